/* A TAP device for virtio-net: /dev/net/tun with IFF_TAP | IFF_NO_PI, no
 * vnet header (the device adds and strips virtio's own header, so no
 * offloads are ever negotiated). The interface is not persistent: it goes
 * away when the last fd closes, so a killed monitor leaves no TAP behind. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmm.h"

int vmm_tap_open(const char *name, char ifname[16], int *fd, struct osbox_err *err)
{
    struct ifreq ifr;
    int f;

    if (strlen(name) >= IFNAMSIZ)
        return osbox_error(err, 0, "TAP name %s is longer than %d bytes", name, IFNAMSIZ - 1);
    f = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (f < 0)
        return osbox_error(err, errno, "open /dev/net/tun");
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    if (ioctl(f, TUNSETIFF, &ifr) < 0) {
        int e = errno;
        close(f);
        return osbox_error(err, e, "create TAP %s", name);
    }
    snprintf(ifname, 16, "%s", ifr.ifr_name);
    *fd = f;
    return 0;
}
