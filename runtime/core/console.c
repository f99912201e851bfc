/* -t: a pty from the container's own devpts, its slave bound on /dev/console. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <unistd.h>

#include "runtime/core/internal.h"

int pty_open_in_container(int *master, int *slave, struct osbox_err *err)
{
    char name[64];
    int m, s, fd;

    m = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0)
        return osbox_error(err, errno, "open /dev/pts/ptmx");
    if (unlockpt(m) < 0 || ptsname_r(m, name, sizeof name) != 0) {
        osbox_error(err, errno, "unlock the pty");
        close(m);
        return -1;
    }
    s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s < 0) {
        osbox_error(err, errno, "open %s", name);
        close(m);
        return -1;
    }
    fd = open("/dev/console", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0)
        close(fd);
    if (mount(name, "/dev/console", NULL, MS_BIND, NULL) < 0) {
        osbox_error(err, errno, "bind %s on /dev/console", name);
        close(s);
        close(m);
        return -1;
    }
    *master = m;
    *slave = s;
    return 0;
}
