/* The spec's mounts, made inside the new root after pivot_root.
 *
 * A destination is resolved with openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS) from the container's "/", and the missing parts are
 * created one component at a time under the same rule; the mount is then
 * attached to that resolved fd, never to a path looked up again. So a
 * symlink in the image or in a bind source a host user controls (/data ->
 * /etc, ../../.., /proc/self/fd/N) cannot take a mount out of the container's
 * root, and nothing can swap a component between check and mount.
 *
 * Binds get their attributes (read-only for every mount of the tree,
 * nosuid/nodev/noexec, propagation) with mount_setattr on the detached tree
 * before it is attached; kernels without it get the old remount of the top. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "runtime/core/internal.h"
#include "util.h"

#define PROPAGATION (MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE)

bool mount_is_bind(const struct osbox_mount *m)
{
    return (m->flags & MS_BIND) || (m->type && !strcmp(m->type, "bind"));
}

static int resolve_in_root(int root, const char *rel)
{
    struct open_how how = {
        .flags = O_PATH | O_CLOEXEC,
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    int fd = (int)syscall(SYS_openat2, root, rel, &how, sizeof how);

    if (fd < 0 && errno == ENOSYS) /* < 5.6: past pivot_root "/" is the root anyway */
        fd = openat(root, rel, O_PATH | O_CLOEXEC);
    return fd;
}

/* An O_PATH fd of dest inside the root, made (a dir, or an empty file when
 * file) if missing. */
static int open_target(const char *dest, bool file, struct osbox_err *err)
{
    _cleanup_free_ char *rel = osbox_xstrdup(dest + strspn(dest, "/"));
    int root, fd;

    if (!*rel)
        return osbox_error(err, EINVAL, "mount on the container's / is not allowed");
    root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
        return osbox_error(err, errno, "open /");
    fd = resolve_in_root(root, rel);
    if (fd < 0 && errno == ENOENT) {
        /* Walk: each prefix resolved in the root, the next name made inside it. */
        int parent = dup(root);
        char *name = rel, *slash;
        bool last = false;
        while (parent >= 0 && !last) {
            slash = strchr(name, '/');
            last = !slash || !slash[strspn(slash, "/")];
            if (slash)
                *slash = '\0';
            int r = last && file ? openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)
                                 : mkdirat(parent, name, 0755);
            if (r < 0 && errno != EEXIST) {
                osbox_error(err, errno, "create mount target %s", dest);
                close(parent);
                close(root);
                return -1;
            }
            if (r >= 0 && last && file)
                close(r);
            if (!last) {
                int next = resolve_in_root(parent, name);
                close(parent);
                parent = next;
                *slash = '/';
                name = slash + strspn(slash, "/");
            }
        }
        if (parent < 0) {
            osbox_error(err, errno, "mount target %s", dest);
            close(root);
            return -1;
        }
        close(parent);
        fd = resolve_in_root(root, rel);
    }
    close(root);
    if (fd < 0)
        return osbox_error(err, errno, errno == ELOOP || errno == EXDEV
                                          ? "mount target %s: a symlink that leaves the container"
                                          : "mount target %s", dest);
    return fd;
}

/* Copy a tree (files, dirs, symlinks, nodes; owners, modes) for copy_up. */
static int copy_dir(int src, int dst, struct osbox_err *err)
{
    int dfd = openat(src, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    struct dirent *e;
    int rc = 0;

    if (!d) {
        if (dfd >= 0)
            close(dfd);
        return osbox_error(err, errno, "copy into volume");
    }
    while (rc == 0 && (e = readdir(d))) {
        struct stat st;
        const char *n = e->d_name;
        if (!strcmp(n, ".") || !strcmp(n, ".."))
            continue;
        if (fstatat(dfd, n, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            rc = osbox_error(err, errno, "copy into volume: %s", n);
            break;
        }
        if (S_ISDIR(st.st_mode)) {
            if (mkdirat(dst, n, 0700) < 0) {
                rc = osbox_error(err, errno, "copy into volume: %s", n);
                break;
            }
            int s = openat(dfd, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            int t = openat(dst, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (s < 0 || t < 0)
                rc = osbox_error(err, errno, "copy into volume: %s", n);
            else
                rc = copy_dir(s, t, err);
            if (s >= 0)
                close(s);
            if (t >= 0)
                close(t);
        } else if (S_ISREG(st.st_mode)) {
            int s = openat(dfd, n, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
            int t = openat(dst, n, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
            ssize_t k = 0;
            if (s >= 0 && t >= 0) {
                while ((k = copy_file_range(s, NULL, t, NULL, 1 << 30, 0)) > 0)
                    ;
                if (k < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS)) {
                    char buf[65536];
                    while ((k = read(s, buf, sizeof buf)) > 0 && osbox_write_all(t, buf, (size_t)k) == 0)
                        ;
                }
            }
            if (s < 0 || t < 0 || k < 0)
                rc = osbox_error(err, errno, "copy into volume: %s", n);
            if (s >= 0)
                close(s);
            if (t >= 0)
                close(t);
        } else if (S_ISLNK(st.st_mode)) {
            char target[4096];
            ssize_t k = readlinkat(dfd, n, target, sizeof target - 1);
            if (k < 0 || (target[k] = '\0', symlinkat(target, dst, n) < 0))
                rc = osbox_error(err, errno, "copy into volume: %s", n);
        } else if (mknodat(dst, n, st.st_mode, st.st_rdev) < 0) {
            rc = osbox_error(err, errno, "copy into volume: %s", n);
        }
        if (rc == 0 && (fchownat(dst, n, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
                        (!S_ISLNK(st.st_mode) && fchmodat(dst, n, st.st_mode & 07777, 0) < 0)))
            rc = osbox_error(err, errno, "copy into volume: %s", n);
    }
    closedir(d);
    return rc;
}

/* copy_up: the image's dir at the target into an empty bound dir. */
static int copy_up(int target, int tree, struct osbox_err *err)
{
    int dst = openat(tree, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int src = openat(target, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d;
    struct dirent *e;
    struct stat st;
    bool empty = true;
    int rc = 0;

    if (dst < 0 || src < 0) { /* a file, or nothing to copy */
        if (dst >= 0)
            close(dst);
        if (src >= 0)
            close(src);
        return 0;
    }
    if ((d = fdopendir(dup(dst)))) {
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                empty = false;
        closedir(d);
    }
    if (empty && fstat(src, &st) == 0) {
        rc = copy_dir(src, dst, err);
        if (rc == 0 && (fchown(dst, st.st_uid, st.st_gid) < 0 || fchmod(dst, st.st_mode & 07777) < 0))
            rc = osbox_error(err, errno, "copy into volume: owner and mode");
    }
    close(src);
    close(dst);
    return rc;
}

static int attach_bind(const struct osbox_mount *m, int tree, int target, struct osbox_err *err)
{
    const char *dest = m->destination;
    unsigned long prop = m->flags & PROPAGATION;
    struct mount_attr attr = { .propagation = prop ? prop : MS_PRIVATE };
    bool setattr_done = false;

    attr.attr_set |= (m->flags & MS_RDONLY) ? MOUNT_ATTR_RDONLY : 0;
    attr.attr_set |= (m->flags & MS_NOSUID) ? MOUNT_ATTR_NOSUID : 0;
    attr.attr_set |= (m->flags & MS_NODEV) ? MOUNT_ATTR_NODEV : 0;
    attr.attr_set |= (m->flags & MS_NOEXEC) ? MOUNT_ATTR_NOEXEC : 0;
    if (m->copy_up && copy_up(target, tree, err) < 0)
        return osbox_error_prefix(err, "%s", dest);
    if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) == 0)
        setattr_done = true;
    else if (errno != ENOSYS)
        return osbox_error(err, errno, "bind %s on %s: set its attributes", m->source, dest);
    if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return osbox_error(err, errno, "bind %s on %s", m->source, dest);
    if (!setattr_done) {
        unsigned long ro = m->flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
        if (ro && mount(NULL, dest, NULL, MS_REMOUNT | MS_BIND | ro, NULL) < 0)
            return osbox_error(err, errno, "remount %s", dest);
        if (mount(NULL, dest, NULL, (prop ? prop : MS_PRIVATE) | (m->flags & MS_REC), NULL) < 0)
            return osbox_error(err, errno, "propagation of %s", dest);
    }
    return 0;
}

int mount_one(const struct osbox_mount *m, int tree, struct osbox_err *err)
{
    const char *dest = m->destination;
    struct stat st;
    char where[64];
    int target, rc = 0;

    if (!dest || dest[0] != '/')
        return osbox_error(err, EINVAL, "mount destination '%s' is not absolute", dest ? dest : "");
    target = open_target(dest, tree >= 0 && fstat(tree, &st) == 0 && !S_ISDIR(st.st_mode), err);
    if (target < 0)
        return -1;
    if (tree >= 0) {
        rc = attach_bind(m, tree, target, err);
        close(target);
        return rc;
    }
    /* A fresh filesystem: mount(2) on the resolved fd through its /proc
     * link; the very first mounts (/proc itself) by the path just checked. */
    snprintf(where, sizeof where, "/proc/self/fd/%d", target);
    if (access("/proc/self/fd", F_OK) < 0)
        snprintf(where, sizeof where, "%s", "");
    if (mount(m->source, where[0] ? where : dest, m->type, m->flags & ~PROPAGATION, m->data) < 0)
        rc = osbox_error(err, errno, "mount %s on %s", m->type, dest);
    else if ((m->flags & PROPAGATION) &&
             mount(NULL, dest, NULL, (m->flags & PROPAGATION) | (m->flags & MS_REC), NULL) < 0)
        rc = osbox_error(err, errno, "propagation of %s", dest);
    close(target);
    return rc;
}
