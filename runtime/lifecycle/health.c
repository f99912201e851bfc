/* A container's health (health.h): the state in health.json, the rules
 * that turn results into it (Docker's: a success makes it healthy and
 * clears the streak; a failure adds to the streak, except while it is still
 * starting within the start period; the streak reaching retries makes it
 * unhealthy), and the checker: a child of the container's holder that
 * waits an interval, probes, records, until the container's init exits. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/core/internal.h"
#include "runtime/lifecycle/health.h"
#include "runtime/lifecycle/lifecycle.h"
#include "runtime/ops/ops.h"

static char *state_path(const char *id, const char *name)
{
    _cleanup_free_ char *dir = runtime_container_dir(id);
    return osbox_strdup_printf("%s/%s", dir, name);
}

/* health.lock held for one read-modify-write (bounded: writers hold it for
 * a file's replacement only). -1 when the container is gone. */
static int health_lock(const char *id)
{
    _cleanup_free_ char *path = state_path(id, "health.lock");
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

    for (int i = 0; fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0; i++) {
        if (errno != EWOULDBLOCK || i >= 200) {
            close(fd);
            return -1;
        }
        usleep(25 * 1000);
    }
    return fd;
}

static json_t *state_load(const char *id)
{
    _cleanup_free_ char *path = state_path(id, "health.json");
    return json_load_file(path, 0, NULL);
}

static void state_save(const char *id, json_t *st)
{
    _cleanup_free_ char *path = state_path(id, "health.json");
    struct osbox_err err;
    runtime_write_json(path, st, &err); /* a lost update shows as an old state, no more */
}

static int64_t now_realtime(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Starting again: status and streak reset, the log kept (as Docker). */
static void health_begin(const char *id)
{
    int lock = health_lock(id);
    json_t *st, *log, *fresh;

    if (lock < 0)
        return;
    st = state_load(id);
    log = json_incref(json_object_get(st, "Log"));
    if (!json_is_array(log)) {
        json_decref(log);
        log = json_array();
    }
    fresh = json_pack("{s:s, s:i, s:o, s:I}", "Status", "starting", "FailingStreak", 0, "Log", log,
                      "StartedNano", (json_int_t)now_realtime());
    state_save(id, fresh);
    json_decref(fresh);
    json_decref(st);
    close(lock);
}

void health_record(const char *id, const struct health_config *c, const struct health_result *r)
{
    char start[OSBOX_RFC3339_LEN + 1], end[OSBOX_RFC3339_LEN + 1];
    int retries = c->retries > 0 ? c->retries : HEALTH_DEFAULT_RETRIES;
    int lock = health_lock(id);
    json_t *st, *log;
    _cleanup_free_ char *before = NULL;
    const char *now;

    if (lock < 0)
        return;
    st = state_load(id);
    if (!json_is_object(st)) {
        json_decref(st);
        st = json_pack("{s:s, s:i, s:[], s:I}", "Status", "starting", "FailingStreak", 0, "Log",
                       "StartedNano", (json_int_t)r->start_ns);
    }
    before = osbox_xstrdup(json_string_value(json_object_get(st, "Status")) ?: "starting");
    log = json_object_get(st, "Log");
    if (!json_is_array(log)) {
        log = json_array();
        json_object_set_new(st, "Log", log);
    }
    osbox_rfc3339_at(r->start_ns, start);
    osbox_rfc3339_at(r->end_ns, end);
    json_array_append_new(log, json_pack("{s:s, s:s, s:i, s:s}", "Start", start, "End", end,
                                         "ExitCode", r->exit_code, "Output", r->output));
    while (json_array_size(log) > HEALTH_LOG_MAX)
        json_array_remove(log, 0);
    json_int_t streak = json_integer_value(json_object_get(st, "FailingStreak"));
    if (r->exit_code == 0) {
        streak = 0;
        json_object_set_new(st, "Status", json_string("healthy"));
    } else {
        int64_t since = r->start_ns - json_integer_value(json_object_get(st, "StartedNano"));
        /* A failure before the first success, within the start period, does not count. */
        if (strcmp(before, "starting") || since >= c->start_period_ns)
            streak++;
        if (streak >= retries)
            json_object_set_new(st, "Status", json_string("unhealthy"));
    }
    json_object_set_new(st, "FailingStreak", json_integer(streak));
    state_save(id, st);
    now = json_string_value(json_object_get(st, "Status"));
    if (strcmp(now, before)) {
        _cleanup_free_ char *action = osbox_strdup_printf("health_status: %s", now);
        event_log(id, NULL, action, -1);
    }
    json_decref(st);
    close(lock);
}

json_t *health_state_json(const char *id)
{
    json_t *st = state_load(id);

    if (!json_is_object(st)) {
        json_decref(st);
        return NULL;
    }
    json_object_del(st, "StartedNano"); /* ours, not Docker's */
    return st;
}

char *health_status(const char *id)
{
    json_t *st = state_load(id);
    const char *s = json_string_value(json_object_get(st, "Status"));
    char *out = s ? osbox_xstrdup(s) : NULL;

    json_decref(st);
    return out;
}

/* The checker: every interval (counted from the end of the last probe, as
 * Docker) a probe, until the init exits; the holder kills it then anyway. */
static __attribute__((noreturn)) void checker_main(const char *id, struct health_config *c,
                                                   pid_t init, unsigned long long init_start)
{
    int64_t interval = c->interval_ns > 0 ? c->interval_ns : HEALTH_DEFAULT_INTERVAL_NS;
    int nul = open("/dev/null", O_RDWR), pidfd;
    sigset_t none;

    prctl(PR_SET_NAME, "osbox-health");
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlives its holder */
    setpgid(0, 0); /* a terminal's ^C is for the container, not for us */
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* Nothing of the holder's: not its log pipes, nor a report pipe. */
    for (int fd = 0; fd < 3 && nul >= 0; fd++)
        dup2(nul, fd);
    close_range(3, ~0U, 0);
    pidfd = (int)syscall(SYS_pidfd_open, init, 0);
    if (pidfd < 0 || !proc_alive(init, init_start))
        _exit(0);
    for (;;) {
        struct pollfd p = { .fd = pidfd, .events = POLLIN };
        struct health_result r;
        int64_t ms = interval / 1000000;
        int n = poll(&p, 1, ms > 0x7fffffff ? 0x7fffffff : (int)(ms ? ms : 1));
        if (n < 0 && errno == EINTR)
            continue;
        if (n != 0)
            _exit(0); /* the init exited (or poll failed: stop rather than spin) */
        health_probe(id, c, &r);
        if (!proc_alive(init, init_start))
            _exit(0); /* the container went meanwhile: the probe says nothing about it */
        health_record(id, c, &r);
    }
}

pid_t health_checker_start(const char *id, pid_t init, unsigned long long init_start)
{
    struct health_config c;
    struct osbox_err err;
    pid_t pid;

    if (health_config_load(id, &c, &err) < 0 || !c.test)
        return 0;
    health_begin(id);
    pid = fork();
    if (pid == 0)
        checker_main(id, &c, init, init_start);
    health_config_free(&c);
    return pid > 0 ? pid : 0;
}

void health_checker_stop(pid_t checker)
{
    if (checker <= 0)
        return;
    kill(checker, SIGKILL);
    while (waitpid(checker, NULL, 0) < 0 && errno == EINTR)
        ;
}

int container_healthcheck_run(const char *id, bool *healthy, struct osbox_err *err)
{
    struct health_config c;
    struct container_live l;
    struct health_result r;

    if (health_config_load(id, &c, err) < 0)
        return -1;
    if (!c.test)
        return osbox_error(err, 0, "container %.12s has no defined healthcheck", id);
    container_live_read(id, &l);
    if (!l.running) {
        health_config_free(&c);
        return osbox_error(err, 0, "container %.12s is not running", id);
    }
    health_probe(id, &c, &r);
    if (proc_alive(l.pid, l.pid_start))
        health_record(id, &c, &r);
    health_config_free(&c);
    *healthy = r.exit_code == 0;
    return 0;
}
