/* osbox run, once the spec is built: the container's record, hostname, its
 * saved spec (container_spec.c) and /etc files, its lifecycle (restart,
 * --sdnotify, log cap), then either a monitor (-d) or runtime_create/wait/
 * destroy in the foreground with the record kept up to date. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/core/container.h"
#include "runtime/lifecycle/health.h"
#include "runtime/lifecycle/lifecycle.h"
#include "runtime/ops/ops.h"
#include "runtime/volume/volume.h"
#include "util.h"

int run_sdnotify_parse(const char *arg, enum run_sdnotify *out, struct osbox_err *err)
{
    if (!strcmp(arg, "conmon"))
        *out = RUN_SDNOTIFY_CONMON;
    else if (!strcmp(arg, "container"))
        *out = RUN_SDNOTIFY_CONTAINER;
    else if (!strcmp(arg, "ignore"))
        *out = RUN_SDNOTIFY_IGNORE;
    else
        return osbox_error(err, 0, "invalid --sdnotify '%s': use conmon, container or ignore", arg);
    return 0;
}

int run_log_opt_parse(const char *arg, uint64_t *log_max, struct osbox_err *err)
{
    if (strncmp(arg, "max-size=", 9))
        return osbox_error(err, 0, "invalid --log-opt '%s': only max-size=SIZE is known", arg);
    if (osbox_parse_size(arg + 9, log_max, err) < 0)
        return osbox_error_prefix(err, "--log-opt");
    if (*log_max < 4096)
        return osbox_error(err, 0, "invalid --log-opt '%s': at least 4k", arg);
    return 0;
}

/* As monitor_opts.notify: 0 nothing, 1 READY=1 + MAINPID, 2 MAINPID. */
static int notify_of(const struct container_run_opts *o)
{
    return o->sdnotify == RUN_SDNOTIFY_CONMON ? 1 : o->sdnotify == RUN_SDNOTIFY_CONTAINER ? 2 : 0;
}

/* Hostname and $HOSTNAME; the spec saved for start/restart/exec; /etc files. */
static int prepare_spec(const struct container_run_opts *o, struct osbox_spec *spec,
                        const struct osbox_record *rec, struct osbox_err *err)
{
    _cleanup_free_ char *dir = runtime_container_dir(rec->id);
    bool host_network = spec->net.mode == OSBOX_NET_HOST;

    spec->net.name = osbox_xstrdup(rec->name);
    if (!spec->hostname)
        spec->hostname = osbox_xstrdup(o->hostname ? o->hostname : "");
    if (!*spec->hostname) {
        char host[256];
        free(spec->hostname);
        /* As Docker: --network host keeps the host's name, else the short id. */
        if (host_network && gethostname(host, sizeof host) == 0 && host[0])
            spec->hostname = osbox_strdup_printf("%.*s", (int)sizeof host, host);
        else
            spec->hostname = osbox_strdup_printf("%.12s", rec->id);
    }
    if (!osbox_env_get(spec->process.env, "HOSTNAME")) {
        _cleanup_free_ char *kv = osbox_strdup_printf("HOSTNAME=%s", spec->hostname);
        osbox_env_set(&spec->process.env, kv);
    }
    /* Saved with the spec, so start and restart mount the same volumes. */
    if ((o->prepare && o->prepare(spec, rec->id, o->prepare_ctx, err) < 0) ||
        container_spec_save(rec->id, spec, rec->image_digest, err) < 0)
        return -1;
    return runtime_prepare_etc(spec, dir, host_network, err);
}

/* The restart rules, --sdnotify's socket, the health check, lifecycle.json. */
static int prepare_lifecycle(const struct container_run_opts *o, struct osbox_spec *spec,
                             const struct osbox_record *rec, struct osbox_err *err)
{
    struct lifecycle lc = { .restart = o->restart, .notify = notify_of(o),
                            .log_max = o->log_max ? o->log_max : LOG_MAX_DEFAULT };

    if (o->restart.policy != RESTART_NO && !o->detach)
        return osbox_error(err, 0, "--restart needs -d (a monitor process applies it)");
    if (o->restart.policy != RESTART_NO && rec->auto_remove)
        return osbox_error(err, 0, "--restart and --rm exclude each other");
    if (o->sdnotify == RUN_SDNOTIFY_CONTAINER) {
        if (systemd_notify_into_container(spec, err) < 0)
            return -1;
    } else if (o->sdnotify == RUN_SDNOTIFY_IGNORE) {
        unsetenv("NOTIFY_SOCKET");
    }
    if (health_config_save(rec->id, o->health, err) < 0)
        return -1;
    return lifecycle_write(rec->id, &lc, err);
}

/* Foreground: the command runs (READY=1, MAINPID=osbox to systemd). osbox
 * stays the unit's main process: it relays systemd's SIGTERM and exits with
 * the command's status. */
static void started(const struct container_run_opts *o)
{
    _cleanup_free_ char *msg = NULL;

    if (o->sdnotify == RUN_SDNOTIFY_IGNORE || !getenv("NOTIFY_SOCKET"))
        return;
    msg = osbox_strdup_printf(o->sdnotify == RUN_SDNOTIFY_CONTAINER ? "MAINPID=%d"
                                                                   : "READY=1\nMAINPID=%d",
                              (int)getpid());
    (void)systemd_notify_send(msg, o->warning); /* a failure is only a warning */
}

static void set_status(struct osbox_record *rec, const char *status)
{
    free(rec->status);
    rec->status = osbox_xstrdup(status);
}

static int run_foreground(const struct container_run_opts *o, struct osbox_spec *spec,
                          struct osbox_record *rec, struct osbox_err *err)
{
    struct osbox_runtime_opts ro = { .kill_on_parent_death = true, .id = rec->id,
                                     .ephemeral = rec->auto_remove };
    struct osbox_container *c = NULL;
    int status;

    if (runtime_create(spec, &ro, &c, err) < 0)
        return -1;
    pid_t checker = health_checker_start(rec->id, c->pid, proc_start_time(c->pid));
    started(o);
    if (o->on_started)
        o->on_started(o->started_ctx);
    set_status(rec, "running");
    state_write_record(rec, err);
    event_log(rec->id, rec->name ? rec->name : "", "start", -1); /* the events a monitor logs for -d */
    status = runtime_wait(c, err);
    health_checker_stop(checker);
    if (status < 0) {
        runtime_destroy(c, NULL);
        return -1;
    }
    struct osbox_cgroup_stats cst;
    struct osbox_err ignored;
    if (c->cg && cgroup_stats(c->cg, &cst, &ignored) == 0 && cst.oom_kills > 0)
        event_log(rec->id, rec->name ? rec->name : "", "oom", -1);
    /* A cleanup failure is reported, but the command's status stands. */
    (void)runtime_destroy(c, o->warning);
    event_log(rec->id, rec->name ? rec->name : "", "die", status);
    set_status(rec, "exited");
    rec->exit_code = status;
    if (rec->auto_remove) {
        state_remove_container(rec->id, NULL);
        event_log(rec->id, rec->name ? rec->name : "", "destroy", -1);
    } else {
        state_write_record(rec, NULL);
    }
    return status;
}

int container_run(struct osbox_spec *spec, struct osbox_record *rec,
                  const struct container_run_opts *o, struct osbox_err *err)
{
    struct monitor_opts mo = { .restart = o->restart, .log_max = o->log_max,
                               .notify = notify_of(o) };
    int status;

    if (o->warning)
        osbox_err_clear(o->warning);
    startup_trace_begin(TRACE_STATE);
    if (state_create_container(rec, err) < 0)
        return -1;
    if (prepare_spec(o, spec, rec, err) < 0 || prepare_lifecycle(o, spec, rec, err) < 0)
        goto fail;
    startup_trace_end(TRACE_STATE);
    /* -d: with --sdnotify=container the command says READY itself. */
    status = o->detach ? monitor_start(spec, rec, &mo, err) : run_foreground(o, spec, rec, err);
    if (status >= 0 && o->detach && o->on_started)
        o->on_started(o->started_ctx);
    if (status >= 0)
        return status;
fail:
    /* Nothing of a container that never ran stays behind (its anonymous volumes too). */
    state_remove_container(rec->id, NULL);
    volume_release(rec->id, true);
    return -1;
}
