/* A run request + its image -> struct osbox_spec (run.h). The image's
 * Entrypoint+Cmd, Env, WorkingDir and User apply unless the options say
 * otherwise, as Docker. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runtime/run/run.h"
#include "util.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The root: the image's layers, or --rootfs DIR as the one layer. */
static int spec_root(struct run_request *r, struct osbox_image *img, struct osbox_spec *spec,
                     struct osbox_err *err)
{
    char real[PATH_MAX];
    struct stat st;

    if (img) {
        spec->root.layers = osbox_strv_dup(img->layers);
        run_mounts_add_image_volumes(&r->mounts, img->volumes);
        return 0;
    }
    if (!realpath(r->rootfs, real) || stat(real, &st) < 0)
        return osbox_error(err, errno, "--rootfs %s", r->rootfs);
    if (!S_ISDIR(st.st_mode))
        return osbox_error(err, ENOTDIR, "--rootfs %s", r->rootfs);
    osbox_strv_push(&spec->root.layers, real);
    return 0;
}

/* args: the entrypoint (--entrypoint, else the image's), then cmd (else the
 * image's Cmd, unless --entrypoint replaced the image's entrypoint). */
static int spec_args(const struct run_request *r, const struct osbox_image *img, char **cmd,
                     struct osbox_spec *spec, struct osbox_err *err)
{
    if (r->entrypoint) {
        if (*r->entrypoint)
            osbox_strv_push(&spec->process.args, r->entrypoint);
    } else {
        for (size_t i = 0; img && img->entrypoint && img->entrypoint[i]; i++)
            osbox_strv_push(&spec->process.args, img->entrypoint[i]);
    }
    if (cmd && cmd[0]) {
        for (size_t i = 0; cmd[i]; i++)
            osbox_strv_push(&spec->process.args, cmd[i]);
    } else if (img && !r->entrypoint) {
        for (size_t i = 0; img->cmd && img->cmd[i]; i++)
            osbox_strv_push(&spec->process.args, img->cmd[i]);
    }
    if (!spec->process.args || !spec->process.args[0])
        return osbox_error(err, 0, "no command specified (the image has no Cmd or Entrypoint)");
    return 0;
}

/* Env (the image's, a default PATH, then -e), cwd and user. */
static int spec_process(const struct run_request *r, const struct osbox_image *img,
                        struct osbox_spec *spec, struct osbox_err *err)
{
    for (size_t i = 0; img && img->env && img->env[i]; i++)
        osbox_env_set(&spec->process.env, img->env[i]);
    if (!osbox_env_get(spec->process.env, "PATH"))
        osbox_env_set(&spec->process.env, DEFAULT_PATH);
    for (size_t i = 0; r->env && r->env[i]; i++)
        osbox_env_set(&spec->process.env, r->env[i]);
    spec->process.cwd = osbox_xstrdup(r->workdir ? r->workdir
                                      : img && img->workdir && *img->workdir ? img->workdir : "/");
    if (spec->process.cwd[0] != '/')
        return osbox_error(err, 0, "working directory '%s' is not an absolute path",
                           spec->process.cwd);
    if (r->user && *r->user)
        spec->process.user = osbox_xstrdup(r->user);
    else if (img && img->user && *img->user)
        spec->process.user = osbox_xstrdup(img->user);
    if (r->n_group_add) {
        spec->process.additional_gids = osbox_xcalloc(r->n_group_add, sizeof(gid_t));
        memcpy(spec->process.additional_gids, r->group_add, r->n_group_add * sizeof(gid_t));
        spec->process.n_additional_gids = r->n_group_add;
    }
    run_limits_apply(&r->limits, spec);
    spec->process.terminal = r->tty;
    spec->process.stdin_open = r->interactive;
    return 0;
}

/* Capabilities, seccomp, ...; the profile's warnings to on_warning. */
static int spec_security(struct run_request *r, struct osbox_spec *spec, struct osbox_err *err)
{
    char **warnings = NULL;
    int rc = osbox_security_opts_apply(&r->sec, &spec->security, &warnings, err);

    for (size_t i = 0; r->on_warning && warnings && warnings[i]; i++) {
        _cleanup_free_ char *msg = osbox_strdup_printf("seccomp profile %s: %s", r->sec.seccomp,
                                                       warnings[i]);
        r->on_warning(msg, r->warning_ctx);
    }
    osbox_strv_free(warnings);
    return rc;
}

/* The default mounts, /dev/shm at --shm-size. */
static void spec_mounts(const struct run_request *r, struct osbox_spec *spec)
{
    osbox_spec_add_default_mounts(spec);
    for (size_t i = 0; r->shm_size && i < spec->n_mounts; i++) {
        if (!strcmp(spec->mounts[i].destination, "/dev/shm")) {
            free(spec->mounts[i].data);
            spec->mounts[i].data = osbox_strdup_printf("mode=1777,size=%llu",
                                                       (unsigned long long)r->shm_size);
        }
    }
}

int run_spec_build(struct run_request *r, struct osbox_image *img, char **cmd,
                   struct osbox_spec *spec, struct osbox_err *err)
{
    osbox_spec_init(spec);
    if (spec_root(r, img, spec, err) < 0 || spec_args(r, img, cmd, spec, err) < 0 ||
        spec_process(r, img, spec, err) < 0)
        return -1;
    spec->root.readonly = r->read_only;
    if (r->net.mode == OSBOX_NET_HOST || r->net.mode == OSBOX_NET_CONTAINER)
        spec->namespaces &= ~(unsigned)OSBOX_NS_NET;
    spec->net = r->net; /* moved */
    memset(&r->net, 0, sizeof r->net);
    spec->resources = r->res;
    spec->cgroup_parent = osbox_xstrdup(r->cgroup_parent);
    if (spec_security(r, spec, err) < 0)
        return -1;
    /* Docker's device allow-list; --privileged may use every device, and
     * rootless osbox has no cgroup to enforce one. */
    if (!spec->security.privileged && !spec->security.rootless)
        resources_default_dev_rules(&spec->resources);
    spec_mounts(r, spec);
    return 0;
}
