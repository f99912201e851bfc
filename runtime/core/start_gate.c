/* The start gate of an OCI `create`: the container is fully set up (rootfs,
 * mounts, cgroup) but its command must not run until `start`. The caller
 * makes a fifo; the container's init opens its directory before
 * pivot_root (the path is unreachable afterwards), tells osbox it is
 * created, then blocks opening the fifo for writing. `start` opens it for
 * reading, which lets the init through, and reads the byte it writes. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "runtime/core/internal.h"
#include "util.h"

int start_gate_open(const char *path, struct osbox_err *err)
{
    _cleanup_free_ char *dir = osbox_xstrdup(path);
    char *slash = strrchr(dir, '/');
    int fd;

    if (!slash || !slash[1])
        return osbox_error(err, EINVAL, "start gate '%s' is not an absolute file path", path);
    slash[slash == dir ? 1 : 0] = '\0';
    fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return osbox_error(err, errno, "open the start gate's directory %s", dir);
    return fd;
}

int start_gate_wait(int gate, const char *path, int sock, struct osbox_err *err)
{
    struct sync_msg m = { .type = SYNC_CREATED };
    const char *base = strrchr(path, '/') + 1;
    int fd;

    if (sync_send(sock, &m, -1) < 0) {
        close(gate);
        return osbox_error(err, errno, "tell osbox the container is created");
    }
    /* Blocks until `start` opens the fifo for reading. */
    do
        fd = openat(gate, base, O_WRONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    close(gate);
    if (fd < 0)
        return osbox_error(err, errno, "open the start gate %s", path);
    if (write(fd, "0", 1) != 1) {
        int e = errno;
        close(fd);
        return osbox_error(err, e, "pass the start gate");
    }
    close(fd);
    return 0;
}
