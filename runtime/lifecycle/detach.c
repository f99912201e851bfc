/* Locking containers, what runs now, and the lifecycle file that lets
 * `start`/`exec` find the saved spec (finding one: core/lookup.c). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/core/internal.h"
#include "runtime/lifecycle/health.h"
#include "runtime/lifecycle/lifecycle.h"
#include "runtime/ops/ops.h"
#include "util.h"

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
    if (fstat(fd, &st) < 0 || st.st_nlink == 0 || !runtime_container_exists(id)) {
        close(fd);
        osbox_error(err, 0, "no such container: %.12s (removed)", id);
        err->errnum = ENOENT;
        return -1;
    }
    return fd;
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
        l->running = proc_alive(l->pid, l->pid_start);
        l->holder = (pid_t)json_integer_value(json_object_get(o, "osbox_pid"));
        l->holder_alive = proc_alive(l->holder, (unsigned long long)json_integer_value(
                                                   json_object_get(o, "osbox_start")));
        json_decref(o);
    }
    if (lifecycle_read(id, &lc, &err) == 0) {
        l->monitor = lc.monitor_pid;
        l->monitor_alive = proc_alive(lc.monitor_pid, lc.monitor_start);
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

static char *lifecycle_path(const char *id)
{
    _cleanup_free_ char *dir = runtime_container_dir(id);
    return osbox_strdup_printf("%s/lifecycle.json", dir);
}

void lifecycle_free(struct lifecycle *l)
{
    free(l->started_at);
    free(l->finished_at);
    memset(l, 0, sizeof *l);
}

int lifecycle_read(const char *id, struct lifecycle *l, struct osbox_err *err)
{
    _cleanup_free_ char *path = lifecycle_path(id);
    json_error_t je;
    json_t *o = json_load_file(path, 0, &je);
    const char *s;

    memset(l, 0, sizeof *l);
    if (!o)
        return osbox_error(err, ENOENT, "read %s: %s", path, je.text);
    l->restart.policy = (enum restart_policy)json_integer_value(json_object_get(o, "restart_policy"));
    l->restart.max_retries = (int)json_integer_value(json_object_get(o, "restart_max"));
    l->restart_count = (int)json_integer_value(json_object_get(o, "restart_count"));
    l->monitor_pid = (pid_t)json_integer_value(json_object_get(o, "monitor_pid"));
    l->monitor_start = (unsigned long long)json_integer_value(json_object_get(o, "monitor_start"));
    l->log_max = (uint64_t)json_integer_value(json_object_get(o, "log_max"));
    l->notify = (int)json_integer_value(json_object_get(o, "notify"));
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
    json_t *o = json_object();
    int rc;

    json_object_set_new(o, "restart_policy", json_integer(l->restart.policy));
    json_object_set_new(o, "restart_max", json_integer(l->restart.max_retries));
    json_object_set_new(o, "restart_count", json_integer(l->restart_count));
    json_object_set_new(o, "monitor_pid", json_integer(l->monitor_pid));
    json_object_set_new(o, "monitor_start", json_integer((json_int_t)l->monitor_start));
    json_object_set_new(o, "log_max", json_integer((json_int_t)l->log_max));
    json_object_set_new(o, "notify", json_integer(l->notify));
    json_object_set_new(o, "started_at", l->started_at ? json_string(l->started_at) : json_null());
    json_object_set_new(o, "finished_at", l->finished_at ? json_string(l->finished_at) : json_null());
    rc = runtime_write_json(path, o, err);
    json_decref(o);
    return rc;
}

static const char *status_of(const struct osbox_record *r, const struct container_live *l)
{
    if (l->running)
        return container_is_paused(r->id) ? "paused" : "running";
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
    json_t *labels = json_object();
    for (size_t i = 0; r.labels && r.labels[i]; i++) {
        const char *eq = strchr(r.labels[i], '=');
        _cleanup_free_ char *k = strndup(r.labels[i], eq ? (size_t)(eq - r.labels[i]) : strlen(r.labels[i]));
        json_object_set_new(labels, k, json_string(eq ? eq + 1 : ""));
    }
    json_object_set_new(o, "labels", labels);
    char *health = health_status(id);
    if (health)
        json_object_set_new(o, "health", json_string(health));
    free(health);
    osbox_record_free(&r);
    return o;
}

static int by_created_desc(const void *a, const void *b)
{
    const char *ca = json_string_value(json_object_get(*(json_t *const *)a, "created"));
    const char *cb = json_string_value(json_object_get(*(json_t *const *)b, "created"));
    return strcmp(cb ? cb : "", ca ? ca : "");
}

/* Every container, newest first. */
json_t *container_list_json(bool all)
{
    _cleanup_free_ char *parent = osbox_strdup_printf("%s/containers", osbox_root_dir());
    json_t *arr = json_array(), **v = NULL;
    size_t n = 0;
    DIR *d = opendir(parent);
    struct dirent *e;

    while (d && (e = readdir(d))) {
        if (strlen(e->d_name) != 64)
            continue;
        json_t *o = container_summary_json(e->d_name);
        if (!o)
            continue;
        const char *st = json_string_value(json_object_get(o, "status"));
        if (!all && strcmp(st, "running") && strcmp(st, "restarting") && strcmp(st, "paused")) {
            json_decref(o);
            continue;
        }
        v = realloc(v, (n + 1) * sizeof *v);
        v[n++] = o;
    }
    if (d)
        closedir(d);
    if (n)
        qsort(v, n, sizeof *v, by_created_desc);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, v[i]);
    free(v);
    return arr;
}

int container_inspect_json(const char *ref, json_t **out, struct osbox_err *err)
{
    char id[65];
    struct lifecycle lc;
    struct osbox_err e2;
    struct container_live l;
    _cleanup_free_ char *dir = NULL, *live = NULL;
    json_t *o, *state;

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
        json_object_set_new(state, "started_at", lc.started_at ? json_string(lc.started_at) : json_null());
        json_object_set_new(state, "finished_at", lc.finished_at ? json_string(lc.finished_at) : json_null());
        json_object_set_new(o, "restart_policy", json_pack("{s:s, s:i}", "name",
                            restart_name(lc.restart.policy), "maximum_retry_count", lc.restart.max_retries));
        json_object_set_new(o, "restart_count", json_integer(lc.restart_count));
        _cleanup_free_ char *log = osbox_strdup_printf("%s/" LOG_FILE, dir);
        json_object_set_new(o, "log_path", json_string(log));
        lifecycle_free(&lc);
    }
    _cleanup_free_ char *config = osbox_strdup_printf("%s/config.json", dir);
    json_object_set_new(o, "config_path", json_string(config));
    json_object_set_new(o, "NetworkSettings", net_container_settings(id));
    struct health_config hc; /* Docker's Config.Healthcheck and State.Health */
    if (health_config_load(id, &hc, &e2) == 0 && hc.test) {
        json_object_set_new(o, "Config", json_pack("{s:o}", "Healthcheck", health_config_json(&hc)));
        json_t *h = health_state_json(id);
        if (h)
            json_object_set_new(state, "Health", h);
    }
    health_config_free(&hc);
    json_object_set_new(o, "state", state);
    json_object_set_new(o, "dir", json_string(dir));
    json_object_set_new(o, "live_dir", json_string(live));
    json_object_set_new(o, "type", json_string("container"));
    *out = o;
    return 0;
}
