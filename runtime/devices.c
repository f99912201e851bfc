/* A tmpfs /dev with the device nodes every program expects, and the usual links. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "runtime/internal.h"

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

int devices_populate(struct osbox_err *err)
{
    mode_t old = umask(0);

    for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
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
