/* The run request (run.h): options in, checked, then the run itself. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/run/run.h"
#include "runtime/userns/userns.h"
#include "util.h"

void run_request_init(struct run_request *r)
{
    memset(r, 0, sizeof *r);
    r->stop_timeout = -1;
    osbox_resources_init(&r->res);
    osbox_net_spec_init(&r->net);
    osbox_security_opts_init(&r->sec);
    osbox_err_clear(&r->warning);
}

/* --group-add GID. A name would need the image's /etc/group, which the
 * runtime reads only inside the container: numeric gids for now. */
static int add_group(struct run_request *r, const char *arg, struct osbox_err *err)
{
    long long gid;
    gid_t *v;

    if (osbox_parse_int(arg, 0, 0xfffffffeLL, &gid, err) < 0)
        return osbox_error(err, 0, "--group-add '%s': a numeric group id is required", arg);
    v = realloc(r->group_add, (r->n_group_add + 1) * sizeof *v);
    if (!v)
        abort();
    r->group_add = v;
    r->group_add[r->n_group_add++] = (gid_t)gid;
    return 0;
}

/* --label K=V; K alone is K="" (Docker). */
static int add_label(struct run_request *r, const char *arg, struct osbox_err *err)
{
    if (!*arg || *arg == '=')
        return osbox_error(err, 0, "--label '%s': the key is empty", arg);
    if (strchr(arg, '=')) {
        osbox_strv_push(&r->labels, arg);
    } else {
        _cleanup_free_ char *kv = osbox_strdup_printf("%s=", arg);
        osbox_strv_push(&r->labels, kv);
    }
    return 0;
}

/* The options of issue 15 (mounts, limits, the service's own settings):
 * 0, -1 with err, or 1 when opt is not one of these. */
static int opt_service(struct run_request *r, int opt, const char *arg, struct osbox_err *err)
{
    long long t;
    int rc;

    if ((rc = run_health_opt(&r->health, opt, arg, err)) <= 0)
        return rc;
    switch (opt) {
    case RUN_OPT_VOLUME: case RUN_OPT_MOUNT: case RUN_OPT_TMPFS: case RUN_OPT_DEVICE:
    case RUN_OPT_VOLUMES_FROM:
        return run_mounts_opt(&r->mounts, opt, arg, err);
    case RUN_OPT_ULIMIT: case RUN_OPT_OOM_SCORE_ADJ: case RUN_OPT_SYSCTL:
        return run_limits_opt(&r->limits, opt, arg, err);
    case RUN_OPT_GROUP_ADD: return add_group(r, arg, err);
    case RUN_OPT_LABEL: return add_label(r, arg, err);
    case RUN_OPT_SHM_SIZE:
        if (osbox_parse_size(arg, &r->shm_size, err) < 0)
            return osbox_error_prefix(err, "--shm-size");
        return r->shm_size ? 0 : osbox_error(err, 0, "--shm-size: must be more than 0");
    case RUN_OPT_STOP_SIGNAL:
        if ((r->stop_signal = osbox_parse_signal(arg)) < 0)
            return osbox_error(err, 0, "--stop-signal '%s': unknown signal", arg);
        return 0;
    case RUN_OPT_STOP_TIMEOUT:
        if (osbox_parse_int(arg, 0, 3600, &t, err) < 0)
            return osbox_error_prefix(err, "--stop-timeout");
        r->stop_timeout = (int)t;
        return 0;
    }
    return 1;
}

/* An option whose value its library checks: 0, -1 with err, or 1 when opt
 * is not one of these. */
static int opt_checked(struct run_request *r, int opt, const char *arg, struct osbox_err *err)
{
    switch (opt) {
    case RUN_OPT_ENV: return osbox_env_add_arg(&r->env, arg, err);
    case RUN_OPT_ENV_FILE: return osbox_env_read_file(&r->env, arg, err);
    case RUN_OPT_MEMORY: return resources_set_memory(&r->res, arg, err);
    case RUN_OPT_MEMORY_SWAP: return resources_set_memory_swap(&r->res, arg, err);
    case RUN_OPT_CPUS: return resources_set_cpus(&r->res, arg, err);
    case RUN_OPT_CPU_SHARES: return resources_set_cpu_shares(&r->res, arg, err);
    case RUN_OPT_CPU_WEIGHT: return resources_set_cpu_weight(&r->res, arg, err);
    case RUN_OPT_PIDS_LIMIT: return resources_set_pids_limit(&r->res, arg, err);
    case RUN_OPT_CPUSET_CPUS: return resources_set_cpuset_cpus(&r->res, arg, err);
    case RUN_OPT_CPUSET_MEMS: return resources_set_cpuset_mems(&r->res, arg, err);
    case RUN_OPT_NETWORK: return osbox_net_set_mode(&r->net, arg, err);
    case RUN_OPT_PUBLISH: return osbox_net_add_publish(&r->net, arg, err);
    case RUN_OPT_IP: return osbox_net_set_ip(&r->net, arg, err);
    case RUN_OPT_MAC: return osbox_net_set_mac(&r->net, arg, err);
    case RUN_OPT_DNS: return osbox_net_add_dns(&r->net, arg, err);
    case RUN_OPT_ADD_HOST: return osbox_net_add_host(&r->net, arg, err);
    case RUN_OPT_CAP_ADD: case RUN_OPT_CAP_DROP:
        return osbox_security_opts_cap(&r->sec, arg, opt == RUN_OPT_CAP_ADD, err);
    case RUN_OPT_SECURITY_OPT: return osbox_security_opts_security_opt(&r->sec, arg, err);
    case RUN_OPT_USERNS: return osbox_security_opts_userns(&r->sec, arg, err);
    case RUN_OPT_RESTART: return restart_parse(arg, &r->life.restart, err);
    case RUN_OPT_SDNOTIFY: return run_sdnotify_parse(arg, &r->life.sdnotify, err);
    case RUN_OPT_LOG_OPT: return run_log_opt_parse(arg, &r->life.log_max, err);
    case RUN_OPT_PULL: return images_pull_policy_parse(arg, &r->pull, err);
    case RUN_OPT_TRACE_STARTUP: /* the trace's zero: as near osbox's start as parsing allows */
        if (!startup_trace_enable())
            return osbox_error(err, errno, "--trace-startup: map the trace page");
        return 0;
    }
    return opt_service(r, opt, arg, err);
}

/* A flag or a plain value: true when opt was one. */
static bool opt_plain(struct run_request *r, int opt, const char *arg)
{
    switch (opt) {
    case RUN_OPT_RM: r->rm = true; break;
    case RUN_OPT_NAME: r->name = arg; break;
    case RUN_OPT_WORKDIR: r->workdir = arg; break;
    case RUN_OPT_USER: r->user = arg; break;
    case RUN_OPT_HOSTNAME: r->life.hostname = arg; break;
    case RUN_OPT_READ_ONLY: r->read_only = true; break;
    case RUN_OPT_TTY: r->tty = true; break;
    case RUN_OPT_INTERACTIVE: r->interactive = true; break;
    case RUN_OPT_CGROUP_PARENT: r->cgroup_parent = arg; break;
    case RUN_OPT_PRIVILEGED: r->sec.privileged = true; break;
    case RUN_OPT_DETACH: r->life.detach = true; break;
    case RUN_OPT_ROOTFS: r->rootfs = arg; break;
    case RUN_OPT_ENTRYPOINT: r->entrypoint = arg; break;
    default: return false;
    }
    return true;
}

int run_request_opt(struct run_request *r, int opt, const char *arg, struct osbox_err *err)
{
    int rc;

    if (opt_plain(r, opt, arg))
        return 0;
    if ((rc = opt_checked(r, opt, arg, err)) <= 0)
        return rc;
    return osbox_error(err, EINVAL, "run: option code %d is not an option", opt);
}

static bool own_netns(const struct run_request *r)
{
    return r->net.mode == OSBOX_NET_NONE || r->net.mode == OSBOX_NET_BRIDGE;
}

int run_request_check(struct run_request *r, struct osbox_err *err)
{
    if (run_limits_validate(&r->limits, own_netns(r), err) < 0 ||
        osbox_security_opts_validate(&r->sec, err) < 0 || resources_validate(&r->res, err) < 0 ||
        osbox_net_validate(&r->net, err) < 0 || run_health_check(&r->health, err) < 0)
        return -1;
    resources_default_swap(&r->res); /* Docker: -m alone allows as much swap again */
    return 0;
}

/* Once the record exists (container_run's prepare hook): the volumes, named
 * after it where anonymous, and the mounts, before the spec is saved. */
static int apply_mounts(struct osbox_spec *spec, const char *id, void *ctx, struct osbox_err *err)
{
    return run_mounts_apply(&((struct run_request *)ctx)->mounts, id, spec, err);
}

/* The spec from img (NULL: --rootfs), the record, the run. */
static int run_image(struct run_request *r, struct osbox_image *img, const char *ref, char **cmd,
                     struct osbox_err *err)
{
    struct osbox_spec spec;
    struct osbox_record rec = { .auto_remove = r->rm };
    struct health_config health;
    int status = -1;

    startup_trace_begin(TRACE_SPEC);
    if (run_health_build(&r->health, img ? img->healthcheck : NULL, &health, err) < 0) {
        osbox_spec_init(&spec);
        goto out;
    }
    if (run_spec_build(r, img, cmd, &spec, err) < 0)
        goto out;
    startup_trace_end(TRACE_SPEC);
    rec.name = osbox_xstrdup(r->name);
    rec.image = img ? osbox_xstrdup(img->ref ? img->ref : ref)
                    : osbox_strdup_printf("rootfs:%s", spec.root.layers[0]);
    rec.image_digest = img ? osbox_xstrdup(img->digest) : NULL;
    rec.command = osbox_strv_dup(spec.process.args);
    rec.labels = osbox_strv_dup(r->labels);
    rec.stop_signal = r->stop_signal;
    rec.stop_timeout = r->stop_timeout;
    r->life.warning = &r->warning;
    r->life.prepare = apply_mounts;
    r->life.prepare_ctx = r;
    r->life.health = &health;
    status = container_run(&spec, &rec, &r->life, err);
    r->life.health = NULL;
    if (status >= 0)
        r->id = osbox_xstrdup(rec.id);
out:
    health_config_free(&health);
    osbox_spec_free(&spec);
    osbox_record_free(&rec);
    return status;
}

int run_request_run(struct run_request *r, const char *ref, char **cmd, struct osbox_err *err)
{
    struct osbox_image *img = NULL;
    int status;

    /* The container's network namespace is made meanwhile, on a thread. */
    if (own_netns(r) && !r->life.detach && !rootless_active())
        runtime_prefetch_netns();
    startup_trace_begin(TRACE_RESOLVE);
    if (!r->rootfs && images_resolve_pull(ref, r->pull, &img, err) < 0)
        return -1;
    startup_trace_end(TRACE_RESOLVE);
    status = run_image(r, img, ref, cmd, err);
    if (img)
        images_image_free(img);
    return status;
}

int run_request_run_image(struct run_request *r, struct osbox_image *img, char **cmd,
                          struct osbox_err *err)
{
    return run_image(r, img, img->ref ? img->ref : "", cmd, err);
}

void run_request_free(struct run_request *r)
{
    osbox_security_opts_free(&r->sec);
    osbox_strv_free(r->env);
    osbox_net_spec_free(&r->net);
    run_mounts_free(&r->mounts);
    run_limits_free(&r->limits);
    free(r->group_add);
    osbox_strv_free(r->labels);
    free(r->id);
    r->id = NULL;
}

void run_hold_signals_and_stdio(void)
{
    runtime_block_signals();
    signal(SIGPIPE, SIG_IGN);
    for (int fd = 0; fd < 3; fd++)
        if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) < 0)
            break;
}
