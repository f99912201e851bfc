/* The interfaces as programs see them, one description shared by the
 * rtnetlink dumps (netlink.c) and the SIOCGIF* ioctls (ifconfig, and ip's
 * name-to-index lookup): 1 is lo, 2 is eth0 when the VM has a NIC. */
#include "kernel.h"
#include "mm.h"
#include "errno.h"
#include "sock.h"

int ifdesc_count(void) { return netif.dev ? 2 : 1; }

/* Interface number index (1-based) into *d; false when there is none. */
bool ifdesc_get(int index, struct ifdesc *d)
{
    if (index < 1 || index > ifdesc_count()) return false;
    memset(d, 0, sizeof *d);
    d->index = index;
    d->loopback = index == 1;
    if (d->loopback) {
        strlcpy(d->name, "lo", sizeof d->name);
        d->flags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING | IFF_LOWER_UP;
        d->mtu = 65536;
        d->addr = 0x7f000001;
        d->mask = 0xff000000;
    } else {
        strlcpy(d->name, "eth0", sizeof d->name);
        d->flags = IFF_UP | IFF_BROADCAST | IFF_RUNNING | IFF_MULTICAST | IFF_LOWER_UP;
        d->mtu = ETH_MTU;
        memcpy(d->mac, netif.dev->mac, ETH_ALEN);
        d->addr = netif.addr;
        d->mask = netif.mask;
    }
    d->txqlen = 1000;
    return true;
}

static bool ifdesc_by_name(const char *name, struct ifdesc *d)
{
    for (int i = 1; i <= ifdesc_count(); i++)
        if (ifdesc_get(i, d) && !strcmp(d->name, name)) return true;
    return false;
}

#define SIOCGIFCONF 0x8912
#define SIOCGIFFLAGS 0x8913
#define SIOCGIFADDR 0x8915
#define SIOCGIFBRDADDR 0x8919
#define SIOCGIFNETMASK 0x891b
#define SIOCGIFMTU 0x8921
#define SIOCGIFHWADDR 0x8927
#define SIOCGIFINDEX 0x8933
#define SIOCGIFTXQLEN 0x8942

struct ifreq_k { char name[16]; union { struct sockaddr_in_k sin; u16 hw_family; s32 ival; u16 flags; u8 pad[24]; } u; };

/* SIOCGIFCONF: every interface with an IPv4 address, as struct ifreq */
static long ifconf(u64 arg)
{
    struct { s32 len, pad; u64 buf; } ifc;
    if (copy_from_user(&ifc, arg, sizeof ifc)) return -EFAULT;
    s32 used = 0;
    struct ifdesc d;
    for (int i = 1; i <= ifdesc_count(); i++) {
        if (!ifdesc_get(i, &d) || !d.addr) continue;
        if (ifc.buf) {
            if (used + (s32)sizeof(struct ifreq_k) > ifc.len) break;
            struct ifreq_k r = { { 0 }, { .pad = { 0 } } };
            strlcpy(r.name, d.name, sizeof r.name);
            r.u.sin = (struct sockaddr_in_k){ AF_INET, 0, htonl(d.addr), { 0 } };
            if (copy_to_user(ifc.buf + used, &r, sizeof r)) return -EFAULT;
        }
        used += sizeof(struct ifreq_k);
    }
    ifc.len = used;
    return copy_to_user(arg, &ifc, sizeof ifc) ? -EFAULT : 0;
}

/* ioctl(2) on any socket: the interface queries; -ENOTTY for the rest */
long ifdesc_ioctl(u64 req, u64 arg)
{
    if (req == SIOCGIFCONF) return ifconf(arg);
    if (req != SIOCGIFFLAGS && req != SIOCGIFADDR && req != SIOCGIFBRDADDR && req != SIOCGIFNETMASK &&
        req != SIOCGIFMTU && req != SIOCGIFHWADDR && req != SIOCGIFINDEX && req != SIOCGIFTXQLEN)
        return -ENOTTY;
    struct ifreq_k r;
    struct ifdesc d;
    if (copy_from_user(&r, arg, sizeof r)) return -EFAULT;
    r.name[sizeof r.name - 1] = 0;
    if (!ifdesc_by_name(r.name, &d)) return -ENODEV;
    memset(&r.u, 0, sizeof r.u);
    switch (req) {
    case SIOCGIFFLAGS: r.u.flags = (u16)d.flags; break;
    case SIOCGIFMTU: r.u.ival = d.mtu; break;
    case SIOCGIFINDEX: r.u.ival = d.index; break;
    case SIOCGIFTXQLEN: r.u.ival = d.txqlen; break;
    case SIOCGIFHWADDR:
        r.u.hw_family = d.loopback ? ARPHRD_LOOPBACK : ARPHRD_ETHER;
        memcpy(r.u.pad + 2, d.mac, ETH_ALEN);
        break;
    default: {      /* the IPv4 addresses */
        if (!d.addr) return -EADDRNOTAVAIL;
        u32 a = req == SIOCGIFADDR ? d.addr : req == SIOCGIFNETMASK ? d.mask : d.loopback ? 0 : (d.addr | ~d.mask);
        r.u.sin = (struct sockaddr_in_k){ AF_INET, 0, htonl(a), { 0 } };
    }
    }
    return copy_to_user(arg, &r, sizeof r) ? -EFAULT : 0;
}
