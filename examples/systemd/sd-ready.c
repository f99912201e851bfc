/* sd-ready [CMD [ARG...]]: tell systemd the service is ready (READY=1 to
 * $NOTIFY_SOCKET, the sd_notify protocol without libsystemd), then become
 * CMD. Built static, it goes into a container run with
 * `osbox run --sdnotify=container`, which binds the unit's notify socket
 * into the container and points NOTIFY_SOCKET at it.
 *   musl-gcc -static -O2 -o sd-ready examples/systemd/sd-ready.c */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int notify(const char *path, const char *msg)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    size_t n = strlen(path);
    int fd, rc;

    if (n >= sizeof sa.sun_path) {
        fprintf(stderr, "sd-ready: NOTIFY_SOCKET too long\n");
        return -1;
    }
    memcpy(sa.sun_path, path, n);
    if (sa.sun_path[0] == '@') /* abstract namespace */
        sa.sun_path[0] = '\0';
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    rc = (int)sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&sa,
                     (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n));
    close(fd);
    return rc < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
    const char *path = getenv("NOTIFY_SOCKET");
    char msg[128];

    if (path && *path) {
        snprintf(msg, sizeof msg, "READY=1\nSTATUS=ready (pid %d in the container)", (int)getpid());
        if (notify(path, msg) < 0) {
            perror("sd-ready: notify systemd");
            return 1;
        }
    }
    if (argc > 1) {
        execvp(argv[1], argv + 1);
        perror(argv[1]);
        return 127;
    }
    return 0;
}
