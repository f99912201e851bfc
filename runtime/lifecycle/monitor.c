/* The per-container monitor of a detached container (no daemon): a process
 * of its own session that holds the container's parent role after the
 * `osbox run -d` (or `start`) that forked it has returned. It creates the
 * container with stdout/stderr going to a logger process, waits for it,
 * records the exit code, cleans up (runtime_destroy: mounts, cgroup,
 * network), and restarts it by policy with a doubling back-off, unless a
 * stop was requested. While it runs, a child of the monitor probes its
 * health check, if it has one (health.c). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/core/internal.h"
#include "runtime/core/container.h"
#include "runtime/lifecycle/health.h"
#include "runtime/lifecycle/lifecycle.h"
#include "runtime/ops/ops.h"
#include "util.h"

struct report {
    int ok;
    int errnum;
    int exit_status;
    char msg[1024];
};

static bool container_gone(const char *id)
{
    _cleanup_free_ char *dir = runtime_container_dir(id);
    return access(dir, F_OK) < 0;
}

static bool stop_requested(const char *id)
{
    _cleanup_free_ char *dir = runtime_container_dir(id);
    _cleanup_free_ char *flag = osbox_strdup_printf("%s/stop-requested", dir);
    return access(flag, F_OK) == 0 || container_gone(id);
}

/* Read-modify-write of lifecycle.json; only the monitor writes while it lives. */
static void lc_update(const char *id, int restart_count, bool started, bool finished, bool self)
{
    struct lifecycle l;
    struct osbox_err err;
    char now[OSBOX_RFC3339_LEN + 1];

    if (lifecycle_read(id, &l, &err) < 0)
        return;
    osbox_rfc3339_now(now);
    if (restart_count >= 0)
        l.restart_count = restart_count;
    if (started) {
        free(l.started_at);
        l.started_at = osbox_xstrdup(now);
    }
    if (finished) {
        free(l.finished_at);
        l.finished_at = osbox_xstrdup(now);
    }
    if (self) {
        l.monitor_pid = getpid();
        l.monitor_start = proc_start_time(getpid());
    }
    lifecycle_write(id, &l, &err);
    lifecycle_free(&l);
}

static void set_status(struct osbox_record *rec, const char *status, int code)
{
    free(rec->status);
    rec->status = osbox_xstrdup(status);
    rec->exit_code = code;
    if (!container_gone(rec->id))
        state_write_record(rec, NULL);
}

/* stdout and stderr -> two pipes the logger process drains into the capped
 * log, keeping which stream each line came from (a pty container writes
 * only the first). */
static pid_t start_logger(const char *id, uint64_t max)
{
    int p[2], q[2];
    pid_t pid;

    if (pipe2(p, O_CLOEXEC) < 0)
        return -1;
    if (pipe2(q, O_CLOEXEC) < 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    pid = fork();
    if (pid == 0) {
        close(p[1]);
        close(q[1]);
        logs_logger_main(p[0], q[0], id, max);
    }
    close(p[0]);
    close(q[0]);
    if (pid > 0) {
        dup2(p[1], 1);
        dup2(q[1], 2);
    }
    close(p[1]);
    close(q[1]);
    return pid;
}

static void send_report(int *fd, const struct osbox_err *err)
{
    struct report r = { .ok = err == NULL };

    if (*fd < 0)
        return;
    if (err) {
        r.errnum = err->errnum;
        r.exit_status = err->exit_status ? err->exit_status : OSBOX_EXIT_FAILED;
        memcpy(r.msg, err->msg, sizeof r.msg);
    }
    if (write(*fd, &r, sizeof r) != (ssize_t)sizeof r) {
        /* the caller is gone: nobody to tell */
    }
    close(*fd);
    *fd = -1;
}

/* Set by SIGTERM/SIGINT to the monitor (see catch_stop_signals). */
static volatile sig_atomic_t stopped_by_signal;
static volatile pid_t current_init;

/* Sleep ms, waking early when a stop is requested. */
static void backoff(const char *id, int ms)
{
    for (int waited = 0; waited < ms && !stop_requested(id) && !stopped_by_signal; waited += 50)
        usleep(50 * 1000);
}

/* SIGTERM/SIGINT to the monitor itself (systemd stopping a unit whose
 * MAINPID it is, or a user): pass it to the container and do not restart. */

static void on_stop_signal(int sig)
{
    stopped_by_signal = 1;
    if (current_init > 0)
        kill(current_init, sig);
}

static void catch_stop_signals(void)
{
    struct sigaction sa = { .sa_handler = on_stop_signal, .sa_flags = SA_RESTART };
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static bool should_restart(const struct restart_spec *r, int status, int count)
{
    switch (r->policy) {
    case RESTART_ALWAYS: return true;
    case RESTART_ON_FAILURE: return status != 0 && (r->max_retries == 0 || count < r->max_retries);
    default: return false;
    }
}

static __attribute__((noreturn)) void monitor_main(const struct osbox_spec *spec,
                                                  struct osbox_record *rec,
                                                  const struct monitor_opts *mo, int report)
{
    struct osbox_runtime_opts ro = { .id = rec->id, .kill_on_parent_death = false,
                                     .ephemeral = rec->auto_remove };
    int devnull;
    pid_t logger;
    int count = 0;

    prctl(PR_SET_NAME, "osbox-monitor");
    /* Keep no fd of the caller's (a container lock above all): only the report pipe. */
    if (report != 3 && dup2(report, 3) == 3) {
        close(report);
        report = 3;
    }
    close_range(4, ~0U, 0);
    runtime_block_signals();
    catch_stop_signals();
    signal(SIGPIPE, SIG_IGN);
    /* Nothing of the caller's stdio stays open: `id=$(osbox run -d ...)` returns. */
    devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull >= 0) {
        for (int fd = 0; fd < 3; fd++)
            dup2(devnull, fd);
        close(devnull);
    }
    logger = start_logger(rec->id, mo->log_max ? mo->log_max : LOG_MAX_DEFAULT);
    lc_update(rec->id, 0, false, false, true);

    for (;;) {
        struct osbox_container *c = NULL;
        struct osbox_err err;
        int status;

        osbox_err_clear(&err);
        if (runtime_create(spec, &ro, &c, &err) < 0) {
            if (report >= 0) {
                send_report(&report, &err);
                _exit(OSBOX_EXIT_FAILED); /* the caller removes the container */
            }
            set_status(rec, "exited", err.exit_status ? err.exit_status : OSBOX_EXIT_FAILED);
            break;
        }
        current_init = runtime_container_pid(c);
        if (stopped_by_signal)
            kill(current_init, SIGTERM);
        /* Before the report: `ps` right after `run -d` shows "health: starting". */
        pid_t checker = health_checker_start(rec->id, current_init, proc_start_time(current_init));
        set_status(rec, "running", -1);
        lc_update(rec->id, count, true, false, false);
        event_log(rec->id, NULL, count ? "restart" : "start", -1);
        if (report >= 0) {
            send_report(&report, NULL);
            if (mo->notify) {
                _cleanup_free_ char *msg = osbox_strdup_printf(
                    "%sMAINPID=%d", mo->notify == 1 ? "READY=1\n" : "", (int)getpid());
                systemd_notify_send(msg, &err);
            }
        }
        status = runtime_wait(c, &err);
        current_init = 0;
        health_checker_stop(checker);
        struct osbox_cgroup_stats cst;
        bool oom = c->cg && cgroup_stats(c->cg, &cst, &err) == 0 && cst.oom_kills > 0;
        runtime_destroy(c, NULL);
        if (status < 0)
            status = OSBOX_EXIT_FAILED;
        if (oom)
            event_log(rec->id, NULL, "oom", -1);
        event_log(rec->id, NULL, "die", status);
        set_status(rec, "exited", status);
        lc_update(rec->id, -1, false, true, false);
        struct lifecycle now; /* `osbox update --restart` may have changed the policy */
        struct restart_spec policy = mo->restart;
        if (lifecycle_read(rec->id, &now, &err) == 0) {
            policy = now.restart;
            lifecycle_free(&now);
        }
        if (stopped_by_signal || stop_requested(rec->id) || !should_restart(&policy, status, count))
            break;
        set_status(rec, "restarting", status);
        backoff(rec->id, 100 << (count < 5 ? count : 5));
        if (stop_requested(rec->id) || stopped_by_signal) {
            set_status(rec, "exited", status);
            break;
        }
        count++;
    }
    /* Let the logger write the last bytes before anyone reads the log as final. */
    for (int fd = 0; fd < 3; fd++)
        close(fd);
    for (int i = 0; logger > 0 && i < 100 && waitpid(logger, NULL, WNOHANG) == 0; i++)
        usleep(20 * 1000);
    if (rec->auto_remove && !container_gone(rec->id))
        state_remove_container(rec->id, NULL);
    _exit(0);
}

int monitor_start(const struct osbox_spec *spec, const struct osbox_record *rec_in,
                  const struct monitor_opts *mo, struct osbox_err *err)
{
    struct osbox_record rec = *rec_in; /* shallow: the monitor owns its copy after fork */
    struct report r;
    int p[2];
    pid_t mid;
    ssize_t n;

    if (pipe2(p, O_CLOEXEC) < 0)
        return osbox_error(err, errno, "pipe");
    mid = fork();
    if (mid < 0) {
        close(p[0]);
        close(p[1]);
        return osbox_error(err, errno, "fork the monitor");
    }
    if (mid == 0) {
        close(p[0]);
        /* Double fork: the monitor is nobody's child but init's (or a subreaper's). */
        if (fork() != 0)
            _exit(0);
        setsid();
        monitor_main(spec, &rec, mo, p[1]);
    }
    close(p[1]);
    while (waitpid(mid, NULL, 0) < 0 && errno == EINTR)
        ;
    do
        n = read(p[0], &r, sizeof r);
    while (n < 0 && errno == EINTR);
    close(p[0]);
    if (n != (ssize_t)sizeof r)
        return osbox_error(err, 0, "the container's monitor died before the command started");
    if (!r.ok) {
        osbox_error(err, 0, "%s", r.msg);
        err->errnum = r.errnum;
        err->exit_status = r.exit_status;
        return -1;
    }
    return 0;
}
