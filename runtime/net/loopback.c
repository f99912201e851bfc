/* A fresh network namespace has lo down; bring it up as Docker's "none" does. */
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime/core/internal.h"
#include "util.h"

int net_loopback_up(struct osbox_err *err)
{
    _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr;

    if (fd < 0)
        return osbox_error(err, errno, "socket for lo");
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
        return osbox_error(err, errno, "get lo flags");
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
        return osbox_error(err, errno, "bring lo up");
    return 0;
}
