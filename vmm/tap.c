/* A TAP device for virtio-net: /dev/net/tun with IFF_TAP | IFF_NO_PI |
 * IFF_VNET_HDR. Every frame read or written carries virtio's own 12-byte
 * virtio_net_hdr (TUNSETVNETHDRSZ; the kernel's default is the 10-byte
 * legacy one without num_buffers), which is how checksum and TSO offloads
 * pass between the guest and the kernel; which ones the kernel may use
 * towards the guest is set later, per driver, with TUNSETOFFLOAD
 * (virtio_net.c). The interface is not persistent: it goes away when the
 * last fd closes, so a killed monitor leaves no TAP behind. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "virtio_net.h"
#include "vmm.h"

/* VERSION_1 headers are little-endian. The TAP reads its header in the
 * host's order unless told otherwise (TUNSETVNETLE), which on this
 * little-endian host is the same thing, so it is never called. */
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "big-endian host: vmm_tap_open must call TUNSETVNETLE"
#endif

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
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    if (ioctl(f, TUNSETIFF, &ifr) < 0) {
        int e = errno;
        close(f);
        return osbox_error(err, e, "create TAP %s", name);
    }
    int hdr = VIRTIO_NET_HDR_LEN;
    if (ioctl(f, TUNSETVNETHDRSZ, &hdr) < 0) {
        int e = errno;
        close(f);
        return osbox_error(err, e, "TAP %s: vnet header size %d", name, hdr);
    }
    snprintf(ifname, 16, "%s", ifr.ifr_name);
    *fd = f;
    return 0;
}
