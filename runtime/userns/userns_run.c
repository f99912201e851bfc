/* --userns=auto in the container's first process: a user namespace whose
 * root is an unprivileged host id, and the image layers (and the upper and
 * work dirs) shared through idmapped mounts, so files the image gives to
 * root belong to the container's root and nothing is copied or chowned.
 *
 * The rootfs, /dev, /proc and the masks are all made by us while we are
 * still host root (the namespaces they live in belong to the host's user
 * namespace: container root cannot remount or reconfigure them); only then
 * do we join the user namespace, right before our init forks the command. */
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/security/security.h"
#include "util.h"

static int userns_fd = -1;

/* "0 start count", or for keep-id: the kept id as itself, the range
 * around it (container 0..keep-1 and keep+1..count-1 from the range). */
static int write_map(pid_t pid, const char *which, unsigned long start, unsigned long count,
                     const unsigned long *keep, struct osbox_err *err)
{
    char path[64], map[192];
    int fd, n;

    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, which);
    if (!keep)
        n = snprintf(map, sizeof map, "0 %lu %lu\n", start, count);
    else if (*keep >= count)
        n = snprintf(map, sizeof map, "0 %lu %lu\n%lu %lu 1\n", start, count, *keep, *keep);
    else if (*keep + 1 == count)
        n = snprintf(map, sizeof map, "0 %lu %lu\n%lu %lu 1\n", start, *keep, *keep, *keep);
    else
        n = snprintf(map, sizeof map, "0 %lu %lu\n%lu %lu 1\n%lu %lu %lu\n", start, *keep,
                     *keep, *keep, *keep + 1, start + *keep, count - *keep - 1);
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return osbox_error(err, errno, "open %s", path);
    if (write(fd, map, (size_t)n) != n) {
        int e = errno;
        close(fd);
        return osbox_error(err, e, "write %s", path);
    }
    close(fd);
    return 0;
}

/* A helper child makes the namespace, we map it and keep a handle on it. */
static int make_userns(const struct osbox_security *s, struct osbox_err *err)
{
    int ready[2], hold[2], fd = -1;
    char c = 0, path[64];

    pid_t pid;

    if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(hold, O_CLOEXEC) < 0)
        return osbox_error(err, errno, "pipe");
    pid = fork();
    if (pid < 0)
        return osbox_error(err, errno, "fork");
    if (pid == 0) {
        close(ready[0]);
        close(hold[1]);
        /* /proc is still the host's here (we are before the rootfs):
         * its /proc/self names our pid as the host sees it. */
        char self[32] = "";
        ssize_t n = readlink("/proc/self", self, sizeof self - 1);
        if (n <= 0 || unshare(CLONE_NEWUSER) < 0)
            self[0] = '\0';
        if (write(ready[1], self, sizeof self) != (ssize_t)sizeof self || read(hold[0], &c, 1) < 0)
            _exit(1);
        _exit(0);
    }
    close(ready[1]);
    close(hold[0]);
    char host_pid[32] = "";
    pid_t hp;
    if (read(ready[0], host_pid, sizeof host_pid) != (ssize_t)sizeof host_pid || !host_pid[0] ||
        (hp = (pid_t)atoi(host_pid)) <= 0) {
        osbox_error(err, EPERM, "create the user namespace");
    } else if (write_map(hp, "uid_map", s->userns_uid, s->userns_size,
                         s->userns_keep ? &s->userns_keep_uid : NULL, err) == 0 &&
               write_map(hp, "gid_map", s->userns_gid, s->userns_size,
                         s->userns_keep ? &s->userns_keep_gid : NULL, err) == 0) {
        snprintf(path, sizeof path, "/proc/%d/ns/user", (int)hp);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            osbox_error(err, errno, "open %s", path);
    }
    close(ready[0]);
    close(hold[1]); /* the helper exits */
    waitpid(pid, NULL, 0);
    return fd;
}

/* Stack an idmapped copy of path on path itself (in our private mount ns). */
static int idmap_over(const char *path, int ns, struct osbox_err *err)
{
    struct mount_attr a = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)ns };
    int t = (int)syscall(SYS_open_tree, AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
    int rc = 0;

    if (t < 0)
        return osbox_error(err, errno, "open_tree %s", path);
    if (syscall(SYS_mount_setattr, t, "", AT_EMPTY_PATH, &a, sizeof a) < 0)
        rc = osbox_error(err, errno, "idmapped mount of %s (the filesystem or kernel may not "
                         "support idmapped mounts)", path);
    else if (syscall(SYS_move_mount, t, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) < 0)
        rc = osbox_error(err, errno, "mount the idmapped %s", path);
    close(t);
    return rc;
}

int security_userns_prepare(const struct osbox_spec *spec, const char *upper, const char *work,
                            struct osbox_err *err)
{
    const struct osbox_security *s = &spec->security;

    if (!s->userns_size)
        return 0;
    if (!spec->root.layers || !spec->root.layers[0])
        return osbox_error(err, EINVAL, "--userns=auto needs an overlay root");
    /* Our mounts stay in our mount namespace. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return osbox_error(err, errno, "make / private");
    userns_fd = make_userns(s, err);
    if (userns_fd < 0)
        return -1;
    for (size_t i = 0; spec->root.layers[i]; i++)
        if (idmap_over(spec->root.layers[i], userns_fd, err) < 0)
            return -1;
    /* overlayfs wants upper and work on one mount: idmap their common parent. */
    _cleanup_free_ char *dir = osbox_xstrdup(upper);
    char *slash = strrchr(dir, '/');
    if (!slash || strncmp(work, dir, (size_t)(slash - dir + 1)) || strchr(work + (slash - dir + 1), '/'))
        return osbox_error(err, EINVAL, "upper %s and work %s are not siblings", upper, work);
    *slash = '\0';
    if (idmap_over(dir, userns_fd, err) < 0)
        return -1;
    /* The overlay records its mounter's credentials and creates its work
     * dir and copies up with them: they must map through the idmapped
     * layers, so the container's root id, with our capabilities kept. */
    setfsgid((gid_t)s->userns_gid);
    setfsuid((uid_t)s->userns_uid);
    if (setfsuid((uid_t)-1) != (int)s->userns_uid)
        return osbox_error(err, EPERM, "setfsuid %lu", s->userns_uid);
    return caps_raise_all(err);
}

int security_userns_enter(struct osbox_err *err)
{
    if (userns_fd < 0)
        return 0;
    if (setns(userns_fd, CLONE_NEWUSER) < 0)
        return osbox_error(err, errno, "join the container's user namespace");
    close(userns_fd);
    userns_fd = -1;
    if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
        return osbox_error(err, errno, "become root of the user namespace");
    return 0;
}
