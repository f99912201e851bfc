/* systemd's notify protocol, written out (no libsystemd): one datagram of
 * "KEY=VALUE" lines to the unix socket named by $NOTIFY_SOCKET ("@name" is
 * an abstract socket). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "runtime/core/internal.h"
#include "runtime/lifecycle/lifecycle.h"
#include "util.h"

/* Where the socket appears inside the container (as podman places it). */
#define CONTAINER_NOTIFY_SOCKET "/run/notify/notify.sock"

int systemd_notify_send(const char *msg, struct osbox_err *err)
{
    const char *path = getenv("NOTIFY_SOCKET");
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    socklen_t len;
    int fd;
    ssize_t n;

    if (!path || !*path)
        return 0;
    if (strlen(path) >= sizeof sa.sun_path)
        return osbox_error(err, ENAMETOOLONG, "NOTIFY_SOCKET %s", path);
    memcpy(sa.sun_path, path, strlen(path));
    if (sa.sun_path[0] == '@')
        sa.sun_path[0] = '\0';
    len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return osbox_error(err, errno, "socket");
    n = sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa, len);
    close(fd);
    if (n < 0)
        return osbox_error(err, errno, "notify systemd at %s", path);
    return 0;
}

int systemd_notify_into_container(struct osbox_spec *spec, struct osbox_err *err)
{
    const char *path = getenv("NOTIFY_SOCKET");

    if (!path || !*path)
        return 0; /* not under a notify unit: nothing to pass */
    if (path[0] != '/')
        return osbox_error(err, 0,
                           "--sdnotify=container: NOTIFY_SOCKET '%s' is not a path (an abstract "
                           "socket cannot be bound into the container)", path);
    if (access(path, F_OK) < 0)
        return osbox_error(err, errno, "--sdnotify=container: NOTIFY_SOCKET %s", path);
    osbox_spec_add_mount(spec, CONTAINER_NOTIFY_SOCKET, "bind", path, MS_BIND, NULL);
    osbox_env_set(&spec->process.env, "NOTIFY_SOCKET=" CONTAINER_NOTIFY_SOCKET);
    return 0;
}
