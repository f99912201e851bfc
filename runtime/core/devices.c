/* A tmpfs /dev with the device nodes every program expects, and the usual links. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "runtime/core/internal.h"

static const struct {
    const char *path;
    unsigned major, minor;
} nodes[] = {
    { "/dev/null", 1, 3 },    { "/dev/zero", 1, 5 },    { "/dev/full", 1, 7 },
    { "/dev/random", 1, 8 },  { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 },
};

static const struct {
    const char *target, *path;
} links[] = {
    { "/proc/self/fd", "/dev/fd" },       { "/proc/self/fd/0", "/dev/stdin" },
    { "/proc/self/fd/1", "/dev/stdout" }, { "/proc/self/fd/2", "/dev/stderr" },
    { "pts/ptmx", "/dev/ptmx" },
};

#define N_NODES (sizeof nodes / sizeof nodes[0])
static int host_nodes[N_NODES] = { -1, -1, -1, -1, -1, -1 };

/* Rootless: mknod is not allowed in a user namespace (and a tmpfs mounted
 * there is nodev anyway), so the host's own nodes are bound instead. */
int devices_grab_host(struct osbox_err *err)
{
    for (size_t i = 0; i < N_NODES; i++) {
        host_nodes[i] = open_tree(AT_FDCWD, nodes[i].path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
        if (host_nodes[i] < 0)
            return osbox_error(err, errno, "rootless: bind the host's %s", nodes[i].path);
    }
    return 0;
}

static int bind_host_node(size_t i, struct osbox_err *err)
{
    int fd = open(nodes[i].path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);

    if (fd < 0)
        return osbox_error(err, errno, "create %s", nodes[i].path);
    close(fd);
    if (move_mount(host_nodes[i], "", AT_FDCWD, nodes[i].path, MOVE_MOUNT_F_EMPTY_PATH) < 0)
        return osbox_error(err, errno, "bind the host's %s", nodes[i].path);
    close(host_nodes[i]);
    host_nodes[i] = -1;
    return 0;
}

int devices_populate(struct osbox_err *err)
{
    mode_t old = umask(0);

    for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
        if (host_nodes[i] >= 0) {
            umask(old);
            if (bind_host_node(i, err) < 0)
                return -1;
            umask(0);
            continue;
        }
        if (mknod(nodes[i].path, S_IFCHR | 0666, makedev(nodes[i].major, nodes[i].minor)) < 0 &&
            errno != EEXIST) {
            umask(old);
            return osbox_error(err, errno, "mknod %s", nodes[i].path);
        }
    }
    umask(old);
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
        if (symlink(links[i].target, links[i].path) < 0 && errno != EEXIST)
            return osbox_error(err, errno, "symlink %s", links[i].path);
    return 0;
}
