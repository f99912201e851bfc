/* Finding containers (name, id, unique id prefix), locking them, what runs
 * now, and the lifecycle file that lets `start`/`exec` rebuild the spec. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime/internal.h"
#include "runtime/lifecycle.h"
#include "util.h"

static bool is_hex(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return false;
    return true;
}

static bool container_exists(const char *id)
{
    _cleanup_free_ char *dir = runtime_container_dir(id);
    return access(dir, F_OK) == 0;
}

int container_lookup(const char *ref, char id[65], struct osbox_err *err)
{
    _cleanup_free_ char *link = NULL, *parent = NULL;
    char target[128];
    ssize_t n;
    DIR *d;
    struct dirent *e;
    int found = 0;

    if (!ref || !*ref || strchr(ref, '/'))
        return osbox_error(err, ENOENT, "no such container: '%s'", ref ? ref : "");
    link = osbox_strdup_printf("%s/names/%s", osbox_root_dir(), ref);
    n = readlink(link, target, sizeof target - 1);
    if (n == 64) {
        target[n] = '\0';
        if (container_exists(target)) {
            memcpy(id, target, 65);
            return 0;
        }
    }
    if (!is_hex(ref) || strlen(ref) > 64)
        goto none;
    parent = osbox_strdup_printf("%s/containers", osbox_root_dir());
    d = opendir(parent);
    if (!d)
        goto none;
    while ((e = readdir(d))) {
        if (strlen(e->d_name) != 64 || strncmp(e->d_name, ref, strlen(ref)))
            continue;
        if (found++) {
            closedir(d);
            return osbox_error(err, EINVAL,
                               "container id prefix '%s' is ambiguous: give more characters", ref);
        }
        memcpy(id, e->d_name, 65);
    }
    closedir(d);
    if (found)
        return 0;
none:
    err->errnum = ENOENT;
    osbox_error(err, 0, "no such container: '%s'", ref);
    err->errnum = ENOENT;
    return -1;
}

int container_lock(const char *id, struct osbox_err *err)
{
    _cleanup_free_ char *dir = runtime_container_dir(id);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct stat st;

    if (fd < 0)
        return osbox_error(err, errno, "no such container %.12s", id);
    /* Bounded: a holder stops within its grace period plus teardown. */
    for (int i = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; i++) {
        if (errno != EWOULDBLOCK || i >= 1200) {
            int e = errno;
            close(fd);
            return osbox_error(err, e, "lock container %.12s", id);
        }
        usleep(50 * 1000);
    }
    /* Removed while we waited (rm won the race). */
    if (fstat(fd, &st) < 0 || st.st_nlink == 0 || !container_exists(id)) {
        close(fd);
        osbox_error(err, 0, "no such container: %.12s (removed)", id);
        err->errnum = ENOENT;
        return -1;
    }
    return fd;
}

/* A zombie counts as gone: the monitor is re-parented to pid 1, which may
 * take its time to reap it. */
static bool is_zombie(pid_t pid)
{
    char path[64], buf[512], *p;
    FILE *f;

    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    f = fopen(path, "re");
    if (!f)
        return true;
    p = fgets(buf, sizeof buf, f);
    fclose(f);
    if (!p || !(p = strrchr(buf, ')')))
        return true;
    return p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

static bool pid_alive(pid_t pid, unsigned long long start)
{
    return pid > 0 && start && proc_start_time(pid) == start && !is_zombie(pid);
}

void container_live_read(const char *id, struct container_live *l)
{
    _cleanup_free_ char *live = runtime_live_dir(id);
    _cleanup_free_ char *path = osbox_strdup_printf("%s/state.json", live);
    json_t *o = json_load_file(path, 0, NULL);
    struct lifecycle lc;
    struct osbox_err err;

    memset(l, 0, sizeof *l);
    if (o) {
        l->pid = (pid_t)json_integer_value(json_object_get(o, "pid"));
        l->pid_start = (unsigned long long)json_integer_value(json_object_get(o, "pid_start"));
        l->running = pid_alive(l->pid, l->pid_start);
        l->holder = (pid_t)json_integer_value(json_object_get(o, "osbox_pid"));
        l->holder_alive = pid_alive(l->holder, (unsigned long long)json_integer_value(
                                                   json_object_get(o, "osbox_start")));
        json_decref(o);
    }
    if (lifecycle_read(id, &lc, &err) == 0) {
        l->monitor = lc.monitor_pid;
        l->monitor_alive = pid_alive(lc.monitor_pid, lc.monitor_start);
        lifecycle_free(&lc);
    }
    if (l->monitor_alive) {
        l->holder = l->monitor;
        l->holder_alive = true;
    }
}

int restart_parse(const char *s, struct restart_spec *r, struct osbox_err *err)
{
    long long n = 0;

    memset(r, 0, sizeof *r);
    if (!s || !strcmp(s, "no"))
        return 0;
    if (!strcmp(s, "always") || !strcmp(s, "unless-stopped")) {
        r->policy = RESTART_ALWAYS;
        return 0;
    }
    if (!strncmp(s, "on-failure", 10) && (s[10] == '\0' || s[10] == ':')) {
        r->policy = RESTART_ON_FAILURE;
        if (s[10] == ':' && osbox_parse_int(s + 11, 0, 1000000, &n, err) < 0)
            return osbox_error(err, 0, "invalid --restart '%s': the retry count must be 0..1000000", s);
        r->max_retries = (int)n;
        return 0;
    }
    return osbox_error(err, 0, "invalid --restart '%s': use no, on-failure[:N] or always", s);
}

const char *restart_name(enum restart_policy p)
{
    return p == RESTART_ALWAYS ? "always" : p == RESTART_ON_FAILURE ? "on-failure" : "no";
}

char *lifecycle_now(void)
{
    struct timespec ts;
    struct tm tm;
    char buf[64];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    return osbox_strdup_printf("%s.%09ldZ", buf, ts.tv_nsec);
}

static char *lifecycle_path(const char *id)
{
    _cleanup_free_ char *dir = runtime_container_dir(id);
    return osbox_strdup_printf("%s/lifecycle.json", dir);
}

void lifecycle_free(struct lifecycle *l)
{
    osbox_strv_free(l->run_args);
    free(l->cwd);
    free(l->started_at);
    free(l->finished_at);
    memset(l, 0, sizeof *l);
}

int lifecycle_read(const char *id, struct lifecycle *l, struct osbox_err *err)
{
    _cleanup_free_ char *path = lifecycle_path(id);
    json_error_t je;
    json_t *o = json_load_file(path, 0, &je), *v;
    size_t i;
    const char *s;

    memset(l, 0, sizeof *l);
    if (!o)
        return osbox_error(err, ENOENT, "read %s: %s", path, je.text);
    l->run_args = osbox_xcalloc(1, sizeof *l->run_args);
    json_array_foreach(json_object_get(o, "run_args"), i, v)
        if (json_is_string(v))
            osbox_strv_push(&l->run_args, json_string_value(v));
    l->restart.policy = (enum restart_policy)json_integer_value(json_object_get(o, "restart_policy"));
    l->restart.max_retries = (int)json_integer_value(json_object_get(o, "restart_max"));
    l->restart_count = (int)json_integer_value(json_object_get(o, "restart_count"));
    l->monitor_pid = (pid_t)json_integer_value(json_object_get(o, "monitor_pid"));
    l->monitor_start = (unsigned long long)json_integer_value(json_object_get(o, "monitor_start"));
    l->log_max = (uint64_t)json_integer_value(json_object_get(o, "log_max"));
    if ((s = json_string_value(json_object_get(o, "cwd"))))
        l->cwd = osbox_xstrdup(s);
    if ((s = json_string_value(json_object_get(o, "started_at"))))
        l->started_at = osbox_xstrdup(s);
    if ((s = json_string_value(json_object_get(o, "finished_at"))))
        l->finished_at = osbox_xstrdup(s);
    json_decref(o);
    return 0;
}

int lifecycle_write(const char *id, const struct lifecycle *l, struct osbox_err *err)
{
    _cleanup_free_ char *path = lifecycle_path(id);
    json_t *o = json_object(), *a = json_array();
    int rc;

    for (size_t i = 0; l->run_args && l->run_args[i]; i++)
        json_array_append_new(a, json_string(l->run_args[i]));
    json_object_set_new(o, "run_args", a);
    json_object_set_new(o, "cwd", l->cwd ? json_string(l->cwd) : json_null());
    json_object_set_new(o, "restart_policy", json_integer(l->restart.policy));
    json_object_set_new(o, "restart_max", json_integer(l->restart.max_retries));
    json_object_set_new(o, "restart_count", json_integer(l->restart_count));
    json_object_set_new(o, "monitor_pid", json_integer(l->monitor_pid));
    json_object_set_new(o, "monitor_start", json_integer((json_int_t)l->monitor_start));
    json_object_set_new(o, "log_max", json_integer((json_int_t)l->log_max));
    json_object_set_new(o, "started_at", l->started_at ? json_string(l->started_at) : json_null());
    json_object_set_new(o, "finished_at", l->finished_at ? json_string(l->finished_at) : json_null());
    rc = runtime_write_json(path, o, err);
    json_decref(o);
    return rc;
}

static const char *status_of(const struct osbox_record *r, const struct container_live *l)
{
    if (l->running)
        return "running";
    if (l->monitor_alive)
        return "restarting";
    if (r->status && !strcmp(r->status, "running"))
        return "exited"; /* its osbox is gone: `osbox gc` settles the record */
    return r->status ? r->status : "unknown";
}

json_t *container_summary_json(const char *id)
{
    struct osbox_record r;
    struct osbox_err err;
    struct container_live l;
    json_t *o, *cmd = json_array();

    if (state_read_record(id, &r, &err) < 0) {
        json_decref(cmd);
        return NULL;
    }
    container_live_read(id, &l);
    for (size_t i = 0; r.command && r.command[i]; i++)
        json_array_append_new(cmd, json_string(r.command[i]));
    o = json_pack("{s:s, s:s, s:s?, s:o, s:s?, s:s, s:i, s:i}", "id", r.id, "name", r.name,
                  "image", r.image, "command", cmd, "created", r.created, "status",
                  status_of(&r, &l), "exit_code", r.exit_code, "pid", l.running ? (int)l.pid : 0);
    osbox_record_free(&r);
    return o;
}

int container_inspect_json(const char *ref, json_t **out, struct osbox_err *err)
{
    char id[65];
    struct lifecycle lc;
    struct osbox_err e2;
    struct container_live l;
    _cleanup_free_ char *dir = NULL, *live = NULL;
    json_t *o, *state, *args = json_array();

    if (container_lookup(ref, id, err) < 0)
        return -1;
    o = container_summary_json(id);
    if (!o)
        return osbox_error(err, EIO, "container %.12s has no readable record", id);
    container_live_read(id, &l);
    dir = runtime_container_dir(id);
    live = runtime_live_dir(id);
    state = json_pack("{s:b, s:i, s:i, s:b}", "running", l.running, "pid", l.running ? (int)l.pid : 0,
                      "monitor_pid", l.monitor_alive ? (int)l.monitor : 0, "monitor_alive",
                      l.monitor_alive);
    if (lifecycle_read(id, &lc, &e2) == 0) {
        for (size_t i = 0; lc.run_args && lc.run_args[i]; i++)
            json_array_append_new(args, json_string(lc.run_args[i]));
        json_object_set_new(state, "started_at", lc.started_at ? json_string(lc.started_at) : json_null());
        json_object_set_new(state, "finished_at", lc.finished_at ? json_string(lc.finished_at) : json_null());
        json_object_set_new(o, "restart_policy", json_pack("{s:s, s:i}", "name",
                            restart_name(lc.restart.policy), "maximum_retry_count", lc.restart.max_retries));
        json_object_set_new(o, "restart_count", json_integer(lc.restart_count));
        _cleanup_free_ char *log = osbox_strdup_printf("%s/" LOG_FILE, dir);
        json_object_set_new(o, "log_path", json_string(log));
        lifecycle_free(&lc);
    }
    json_object_set_new(o, "run_args", args);
    json_object_set_new(o, "state", state);
    json_object_set_new(o, "dir", json_string(dir));
    json_object_set_new(o, "live_dir", json_string(live));
    json_object_set_new(o, "type", json_string("container"));
    *out = o;
    return 0;
}
