/* The container's root: overlayfs over the image layers (or a plain dir),
 * pivot_root into it, then the spec's mounts. Runs in the child, inside its
 * own mount namespace, so nothing here is ever visible on the host and the
 * kernel drops it all when the namespace dies. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/core/internal.h"
#include "util.h"

/* The directory all layers share, when they do (an image store keeps them
 * side by side), else NULL. */
static char *common_parent(char **layers)
{
    char *parent = NULL;

    for (size_t i = 0; layers[i]; i++) {
        const char *slash = strrchr(layers[i], '/');
        if (!slash || slash == layers[i] || !slash[1])
            goto differ;
        size_t n = (size_t)(slash - layers[i]);
        if (!parent)
            parent = strndup(layers[i], n);
        else if (strlen(parent) != n || strncmp(parent, layers[i], n))
            goto differ;
    }
    return parent;
differ:
    free(parent);
    return NULL;
}

/* Overlay options: lowerdir lists the TOP layer first; spec layers are bottom
 * first. The options must fit in a page: with many layers they are given
 * relative to their common parent, which the caller makes the cwd (*chdir_to);
 * E2BIG when even that does not fit. */
static int overlay_options(const struct child_ctx *ctx, bool vol, char **out, char **chdir_to,
                           struct osbox_err *err)
{
    char **layers = ctx->spec->root.layers;
    size_t n = osbox_strv_len(layers), len = 0, cap, skip = 0;
    char *buf, *p;
    struct stat st;

    *chdir_to = NULL;
    for (size_t i = 0; i < n; i++) {
        if (stat(layers[i], &st) < 0)
            return osbox_error(err, errno, "image layer %s", layers[i]);
        if (!S_ISDIR(st.st_mode))
            return osbox_error(err, ENOTDIR, "image layer %s", layers[i]);
        if (strpbrk(layers[i], ":,\\"))
            return osbox_error(err, EINVAL, "image layer path %s", layers[i]);
        len += strlen(layers[i]) + 1;
    }
    cap = len + strlen(ctx->upper) + strlen(ctx->work) + 64;
    if (cap >= 4096 && (*chdir_to = common_parent(layers)))
        skip = strlen(*chdir_to) + 1;
    p = buf = osbox_xcalloc(1, cap);
    p += sprintf(p, "lowerdir=");
    for (size_t i = n; i-- > 0;)
        p += sprintf(p, "%s%s", layers[i] + skip, i ? ":" : "");
    p += sprintf(p, ",upperdir=%s,workdir=%s%s", ctx->upper, ctx->work, vol ? ",volatile" : "");
    if (ctx->spec->security.rootless) /* trusted.* xattrs need host root */
        sprintf(p, ",userxattr");
    if (strlen(buf) >= 4096) {
        free(buf);
        free(*chdir_to);
        *chdir_to = NULL;
        return osbox_error(err, E2BIG, "overlay options for %zu layers too long", n);
    }
    *out = buf;
    return 0;
}

/* Many layers: one fsconfig() call per lower dir (Linux >= 6.8), no page
 * limit. Returns -1 with errno EINVAL where "lowerdir+" is unknown. */
static int mount_overlay_fsconfig(const struct child_ctx *ctx, bool vol)
{
    char **layers = ctx->spec->root.layers;
    size_t n = osbox_strv_len(layers);
    int fd = fsopen("overlay", FSOPEN_CLOEXEC), mfd, e;

    if (fd < 0)
        return -1;
    for (size_t i = n; i-- > 0;)
        if (fsconfig(fd, FSCONFIG_SET_STRING, "lowerdir+", layers[i], 0) < 0)
            goto fail;
    if (fsconfig(fd, FSCONFIG_SET_STRING, "upperdir", ctx->upper, 0) < 0 ||
        fsconfig(fd, FSCONFIG_SET_STRING, "workdir", ctx->work, 0) < 0 ||
        (ctx->spec->security.rootless && fsconfig(fd, FSCONFIG_SET_FLAG, "userxattr", NULL, 0) < 0) ||
        (vol && fsconfig(fd, FSCONFIG_SET_FLAG, "volatile", NULL, 0) < 0) ||
        fsconfig(fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        goto fail;
    mfd = fsmount(fd, FSMOUNT_CLOEXEC, 0);
    if (mfd < 0)
        goto fail;
    close(fd);
    fd = move_mount(mfd, "", AT_FDCWD, ctx->mountpoint, MOVE_MOUNT_F_EMPTY_PATH);
    e = errno;
    close(mfd);
    errno = e;
    return fd < 0 ? -1 : 0;
fail:
    e = errno;
    close(fd);
    errno = e;
    return -1;
}

static int mount_root(const struct child_ctx *ctx, struct osbox_err *err)
{
    const struct osbox_root *root = &ctx->spec->root;

    if (root->layers && root->layers[0]) {
        /* A writable layer deleted at exit (--rm) is mounted "volatile": no
         * sync of the upper fs when the overlay goes, which otherwise makes
         * the container's exit wait for every dirty page on that fs (1-40 ms
         * measured on a busy host). Kernels before 5.10 lack it: retry without. */
        bool vol = ctx->opts && ctx->opts->ephemeral;
        _cleanup_free_ char *opts = NULL, *cwd = NULL;
        int rc = overlay_options(ctx, vol, &opts, &cwd, err);
        if (rc < 0 && err->errnum == E2BIG) {
            if (mount_overlay_fsconfig(ctx, vol) == 0)
                return 0;
            if (errno != EINVAL)
                return osbox_error(err, errno, "mount overlay on %s", ctx->mountpoint);
        }
        if (rc < 0)
            return -1;
        if (cwd && chdir(cwd) < 0)
            return osbox_error(err, errno, "chdir %s", cwd);
        if (mount("overlay", ctx->mountpoint, "overlay", 0, opts) == 0)
            return 0;
        if (errno == EINVAL && vol) {
            free(opts);
            opts = NULL;
            free(cwd);
            cwd = NULL;
            if (overlay_options(ctx, false, &opts, &cwd, err) < 0)
                return -1;
            if (mount("overlay", ctx->mountpoint, "overlay", 0, opts) == 0)
                return 0;
        }
        return osbox_error(err, errno, "mount overlay on %s", ctx->mountpoint);
    }
    if (!root->path)
        return osbox_error(err, EINVAL, "spec has neither layers nor a root path");
    if (mount(root->path, ctx->mountpoint, NULL, MS_BIND | MS_REC, NULL) < 0)
        return osbox_error(err, errno, "bind rootfs %s on %s", root->path, ctx->mountpoint);
    return 0;
}

#define FRESH_ATTR_FLAGS (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | \
                          MS_NODIRATIME | MS_STRICTATIME | MS_RELATIME | MS_REC)

/* The filesystem options ("mode=755,size=64k", "newinstance") one by one. */
static int fresh_config(int fd, const char *data)
{
    _cleanup_free_ char *copy = osbox_xstrdup(data ? data : "");
    char *save = NULL;

    for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(o, '=');
        if (eq)
            *eq = '\0';
        if (fsconfig(fd, eq ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG, o, eq ? eq + 1 : NULL, 0) < 0)
            return -1;
    }
    return fsconfig(fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0);
}

/* A fresh filesystem made now, detached, and attached after pivot_root in
 * the config's order: a mount's id is given when it is made, and the
 * kernel lists /proc/self/mountinfo by id, so making every mount (binds
 * cloned, fresh ones created) in the listed order is what keeps that order
 * readable back. -2: not made here (no new mount API for it, or an option
 * only mount(2) knows); it is then mounted after pivot_root as before.
 * must (rootless proc and sysfs: a user namespace may mount them only while
 * a full host instance is visible): every failure is an error. */
static int detached_mount(const struct osbox_mount *m, bool must, struct osbox_err *err)
{
    unsigned attr = 0;
    int fd, mfd;

    if (!m->type || mount_is_bind(m) || (!must && (m->flags & ~(unsigned long)FRESH_ATTR_FLAGS)))
        return -2;
    attr |= (m->flags & MS_RDONLY) ? MOUNT_ATTR_RDONLY : 0;
    attr |= (m->flags & MS_NOSUID) ? MOUNT_ATTR_NOSUID : 0;
    attr |= (m->flags & MS_NODEV) ? MOUNT_ATTR_NODEV : 0;
    attr |= (m->flags & MS_NOEXEC) ? MOUNT_ATTR_NOEXEC : 0;
    attr |= (m->flags & MS_NOATIME) ? MOUNT_ATTR_NOATIME : 0;
    attr |= (m->flags & MS_STRICTATIME) ? MOUNT_ATTR_STRICTATIME : 0;
    attr |= (m->flags & MS_NODIRATIME) ? MOUNT_ATTR_NODIRATIME : 0;
    fd = fsopen(m->type, FSOPEN_CLOEXEC);
    if (fd < 0 && must && errno == EPERM && !strcmp(m->type, "sysfs")) {
        /* The host's network namespace (--network host) is not ours:
         * no sysfs of our own, so the host's, as podman does. */
        fd = open_tree(AT_FDCWD, "/sys", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
        if (fd < 0)
            return osbox_error(err, errno, "rootless: bind the host's /sys");
        return fd;
    }
    if (fd < 0)
        return must ? osbox_error(err, errno, "rootless: fsopen %s", m->type) : -2;
    if (fresh_config(fd, m->data) < 0 || (mfd = fsmount(fd, FSMOUNT_CLOEXEC, attr)) < 0) {
        int rc = must ? osbox_error(err, errno, "rootless: mount %s for %s", m->type, m->destination) : -2;
        close(fd);
        return rc;
    }
    close(fd);
    return mfd;
}

/* A bind's source, cloned as a detached tree while the host is visible. */
static int grab_bind(const struct osbox_mount *m, struct osbox_err *err)
{
    int fd = open_tree(AT_FDCWD, m->source ? m->source : "",
                       OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | ((m->flags & MS_REC) ? AT_RECURSIVE : 0));

    if (fd < 0)
        return osbox_error(err, errno, "bind source %s", m->source ? m->source : "");
    return fd;
}

int rootfs_setup(const struct child_ctx *ctx, struct osbox_err *err)
{
    const struct osbox_spec *spec = ctx->spec;
    int *trees = osbox_xcalloc(spec->n_mounts + 1, sizeof *trees);
    bool dev_tmpfs = false;
    int rc = -1;

    startup_trace_begin(TRACE_MOUNTS);
    for (size_t i = 0; i < spec->n_mounts; i++)
        trees[i] = -1;
    /* A bind that asks for slave or shared propagation is cloned while the
     * namespace's mounts are still peers of the host's; mounts.c then sets
     * each bind's propagation (private unless asked) before attaching it. */
    for (size_t i = 0; i < spec->n_mounts; i++) {
        const struct osbox_mount *m = &spec->mounts[i];
        if (mount_is_bind(m) && (m->flags & (MS_SLAVE | MS_SHARED)) &&
            (trees[i] = grab_bind(m, err)) < 0)
            goto out;
    }
    /* Nothing we mount may propagate back to the host. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
        osbox_error(err, errno, "make / private");
        goto out;
    }
    startup_trace_end(TRACE_MOUNTS);
    startup_trace_begin(TRACE_OVERLAY);
    if (mount_root(ctx, err) < 0)
        goto out;
    startup_trace_end(TRACE_OVERLAY);
    startup_trace_begin(TRACE_MOUNTS);
    /* Bind sources are host paths: grab them before the host goes away;
     * fresh filesystems are made now too, in the listed order (see
     * detached_mount). */
    for (size_t i = 0; i < spec->n_mounts; i++) {
        const struct osbox_mount *m = &spec->mounts[i];
        bool must = spec->security.rootless && m->type &&
                    (!strcmp(m->type, "proc") || !strcmp(m->type, "sysfs"));
        if (!mount_is_bind(m)) {
            if ((trees[i] = detached_mount(m, must, err)) == -2)
                trees[i] = -1;
            else if (trees[i] < 0)
                goto out;
            continue;
        }
        if (trees[i] >= 0) /* cloned early for its propagation (so listed early) */
            continue;
        if ((trees[i] = grab_bind(m, err)) < 0)
            goto out;
    }
    if (spec->security.rootless && devices_grab_host(err) < 0)
        goto out;
    if (chdir(ctx->mountpoint) < 0) {
        osbox_error(err, errno, "chdir %s", ctx->mountpoint);
        goto out;
    }
    startup_trace_end(TRACE_MOUNTS);
    startup_trace_begin(TRACE_PIVOT);
    /* pivot_root(".", "."): the old root ends up stacked on "/", detach it. */
    if (syscall(SYS_pivot_root, ".", ".") < 0) {
        osbox_error(err, errno, "pivot_root to %s", ctx->mountpoint);
        goto out;
    }
    if (umount2(".", MNT_DETACH) < 0) {
        osbox_error(err, errno, "detach the old root");
        goto out;
    }
    if (chdir("/") < 0) {
        osbox_error(err, errno, "chdir /");
        goto out;
    }
    startup_trace_end(TRACE_PIVOT);
    startup_trace_begin(TRACE_MOUNTS);
    for (size_t i = 0; i < spec->n_mounts; i++) {
        const struct osbox_mount *m = &spec->mounts[i];
        if (mount_one(m, trees[i], err) < 0)
            goto out;
        if (!strcmp(m->destination, "/dev") && m->type && !strcmp(m->type, "tmpfs"))
            dev_tmpfs = true;
    }
    if (dev_tmpfs && devices_populate(err) < 0)
        goto out;
    startup_trace_end(TRACE_MOUNTS);
    rc = 0;
out:
    for (size_t i = 0; i < spec->n_mounts; i++)
        if (trees[i] >= 0)
            close(trees[i]);
    free(trees);
    return rc;
}

int rootfs_make_readonly(struct osbox_err *err)
{
    if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
        return osbox_error(err, errno, "remount the rootfs read-only");
    return 0;
}
