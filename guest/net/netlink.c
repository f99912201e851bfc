/* A minimal AF_NETLINK route socket (rtnetlink), so that `ip addr`, `ip
 * link` and `ip route` read the guest's configuration: dump requests for
 * links, IPv4 addresses and IPv4 routes are answered from netif (and the
 * loopback), every other request with an error.  A request's whole answer
 * is built when it is sent and read back by the next receives, as Linux
 * hands a dump out: one message batch per read, then NLMSG_DONE. */
#include "kernel.h"
#include "mm.h"
#include "proc.h"
#include "errno.h"
#include "sock.h"

#define NLMSG_ERROR 2
#define NLMSG_DONE 3
#define NLM_F_MULTI 2
#define NLM_F_DUMP 0x300
#define RTM_GETLINK 18
#define RTM_NEWLINK 16
#define RTM_GETADDR 22
#define RTM_NEWADDR 20
#define RTM_GETROUTE 26
#define RTM_NEWROUTE 24
#define IFLA_ADDRESS 1
#define IFLA_BROADCAST 2
#define IFLA_IFNAME 3
#define IFLA_MTU 4
#define IFLA_TXQLEN 13
#define IFLA_OPERSTATE 16
#define IFA_ADDRESS 1
#define IFA_LOCAL 2
#define IFA_LABEL 3
#define IFA_BROADCAST 4
#define IFA_CACHEINFO 6
#define RTA_DST 1
#define RTA_OIF 4
#define RTA_GATEWAY 5
#define RTA_PREFSRC 7
#define RTA_TABLE 15
#define RT_SCOPE_UNIVERSE 0
#define RT_SCOPE_LINK 253
#define RT_SCOPE_HOST 254
#define IFA_F_PERMANENT 0x80
#define NL_REPLY_MAX 4096

struct nlmsghdr_k { u32 len; u16 type, flags; u32 seq, pid; };
struct ifinfomsg_k { u8 family, pad; u16 type; s32 index; u32 flags, change; };
struct ifaddrmsg_k { u8 family, prefixlen, flags, scope; u32 index; };
struct rtmsg_k { u8 family, dst_len, src_len, tos, table, protocol, scope, type; u32 flags; };

/* The reply being built: messages appended to s->nl_reply */
struct nlbuf { u8 *b; size_t len; struct nlmsghdr_k *msg; };

static void *nl_put(struct nlbuf *nb, const void *data, size_t n)
{
    size_t at = nb->len, padded = ALIGN_UP(n, 4);
    if (at + padded > NL_REPLY_MAX) return NULL;
    memset(nb->b + at, 0, padded);
    if (data) memcpy(nb->b + at, data, n);
    nb->len += padded;
    if (nb->msg) nb->msg->len = (u32)(nb->b + nb->len - (u8 *)nb->msg);
    return nb->b + at;
}

static void nl_begin(struct nlbuf *nb, u16 type, u16 flags, const struct nlmsghdr_k *req, u32 portid)
{
    nb->msg = NULL;
    struct nlmsghdr_k h = { sizeof h, type, flags, req->seq, portid };
    nb->msg = nl_put(nb, &h, sizeof h);
}

static void nl_attr(struct nlbuf *nb, u16 type, const void *data, size_t n)
{
    u16 rta[2] = { (u16)(4 + n), type };
    nl_put(nb, rta, 4);
    nl_put(nb, data, n);
}

static void nl_attr_u32(struct nlbuf *nb, u16 type, u32 v) { nl_attr(nb, type, &v, 4); }
static void nl_attr_str(struct nlbuf *nb, u16 type, const char *s) { nl_attr(nb, type, s, strlen(s) + 1); }

#define IFLA_QDISC 6

static void dump_links(struct nlbuf *nb, const struct nlmsghdr_k *req, u32 portid)
{
    struct ifdesc d;
    for (int i = 1; ifdesc_get(i, &d); i++) {
        nl_begin(nb, RTM_NEWLINK, NLM_F_MULTI, req, portid);
        struct ifinfomsg_k ifi = { 0, 0, d.loopback ? ARPHRD_LOOPBACK : ARPHRD_ETHER, i, d.flags, 0 };
        nl_put(nb, &ifi, sizeof ifi);
        nl_attr_str(nb, IFLA_IFNAME, d.name);
        nl_attr_u32(nb, IFLA_MTU, (u32)d.mtu);
        nl_attr_u32(nb, IFLA_TXQLEN, (u32)d.txqlen);
        nl_attr_str(nb, IFLA_QDISC, d.loopback ? "noqueue" : "pfifo_fast");
        u8 oper = d.loopback ? 0 : 6;       /* IF_OPER_UNKNOWN (as Linux's lo), IF_OPER_UP */
        nl_attr(nb, IFLA_OPERSTATE, &oper, 1);
        u8 bcast[ETH_ALEN];
        memset(bcast, d.loopback ? 0 : 0xff, ETH_ALEN);
        nl_attr(nb, IFLA_ADDRESS, d.mac, ETH_ALEN);
        nl_attr(nb, IFLA_BROADCAST, bcast, ETH_ALEN);
    }
}

static int prefix_len(u32 mask) { int n = 0; while (mask & 0x80000000U) { n++; mask <<= 1; } return n; }

static void dump_addrs(struct nlbuf *nb, const struct nlmsghdr_k *req, u32 portid)
{
    struct ifdesc d;
    for (int i = 1; ifdesc_get(i, &d); i++) {
        if (!d.addr) continue;
        u32 addr = htonl(d.addr);
        nl_begin(nb, RTM_NEWADDR, NLM_F_MULTI, req, portid);
        struct ifaddrmsg_k ifa = { AF_INET, (u8)prefix_len(d.mask), IFA_F_PERMANENT,
                                   d.loopback ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE, (u32)i };
        nl_put(nb, &ifa, sizeof ifa);
        nl_attr(nb, IFA_ADDRESS, &addr, 4);
        nl_attr(nb, IFA_LOCAL, &addr, 4);
        if (!d.loopback) nl_attr_u32(nb, IFA_BROADCAST, htonl(d.addr | ~d.mask));
        nl_attr_str(nb, IFA_LABEL, d.name);
        u32 cache[4] = { 0xffffffffU, 0xffffffffU, 0, 0 };     /* preferred, valid: forever */
        nl_attr(nb, IFA_CACHEINFO, cache, sizeof cache);
    }
}

static void route(struct nlbuf *nb, const struct nlmsghdr_k *req, u32 portid, u32 dst, int len, u32 gw, u8 scope)
{
    nl_begin(nb, RTM_NEWROUTE, NLM_F_MULTI, req, portid);
    struct rtmsg_k rt = { AF_INET, (u8)len, 0, 0, 254 /* main */, gw ? 3 : 2 /* boot, kernel */,
                          scope, 1 /* unicast */, 0 };
    nl_put(nb, &rt, sizeof rt);
    nl_attr_u32(nb, RTA_TABLE, 254);
    if (len) nl_attr_u32(nb, RTA_DST, htonl(dst));
    if (gw) nl_attr_u32(nb, RTA_GATEWAY, htonl(gw));
    else nl_attr_u32(nb, RTA_PREFSRC, htonl(netif.addr));
    nl_attr_u32(nb, RTA_OIF, 2);
}

/* The main table only, as `ip route` shows it: the default route and the
 * interface's own subnet */
static void dump_routes(struct nlbuf *nb, const struct nlmsghdr_k *req, u32 portid)
{
    if (!netif.dev || !netif.addr) return;
    if (netif.gateway) route(nb, req, portid, 0, 0, netif.gateway, RT_SCOPE_UNIVERSE);
    route(nb, req, portid, netif.addr & netif.mask, prefix_len(netif.mask), 0, RT_SCOPE_LINK);
}

static void nl_error(struct nlbuf *nb, const struct nlmsghdr_k *req, u32 portid, int err)
{
    nl_begin(nb, NLMSG_ERROR, 0, req, portid);
    s32 e = err;
    nl_put(nb, &e, 4);
    nl_put(nb, req, sizeof *req);
}

int netlink_socket(int type, int proto, struct socket *s)
{
    if (type != SOCK_RAW && type != SOCK_DGRAM) return -ESOCKTNOSUPPORT;
    if (proto != NETLINK_ROUTE) return -EPROTONOSUPPORT;
    s->family = AF_NETLINK;
    s->type = type;
    s->nl_portid = (u32)cur->tgid;
    return 0;
}

/* One request (a whole datagram): its answer replaces what was unread */
ssize_t netlink_send(struct socket *s, const void *buf, size_t n)
{
    const struct nlmsghdr_k *req = buf;
    if (n < sizeof *req || req->len < sizeof *req || req->len > n) return -EINVAL;
    if (!s->nl_reply && !(s->nl_reply = kmalloc(NL_REPLY_MAX))) return -ENOMEM;
    struct nlbuf nb = { s->nl_reply, 0, NULL };
    bool dump = (req->flags & NLM_F_DUMP) == NLM_F_DUMP;
    if (dump && req->type == RTM_GETLINK) dump_links(&nb, req, s->nl_portid);
    else if (dump && req->type == RTM_GETADDR) dump_addrs(&nb, req, s->nl_portid);
    else if (dump && req->type == RTM_GETROUTE) dump_routes(&nb, req, s->nl_portid);
    else { nl_error(&nb, req, s->nl_portid, -EOPNOTSUPP); dump = false; }
    if (dump) { nl_begin(&nb, NLMSG_DONE, NLM_F_MULTI, req, s->nl_portid); s32 zero = 0; nl_put(&nb, &zero, 4); }
    s->nl_len = nb.len;
    s->nl_off = 0;
    return (ssize_t)n;
}

/* The next batch of the answer: the dump's messages, then NLMSG_DONE in a
 * read of its own (as Linux); nothing there: EAGAIN or wait (it never comes). */
ssize_t netlink_recv(struct socket *s, void *buf, size_t n, int flags, bool nonblock)
{
    while (s->nl_off >= s->nl_len) {
        if (nonblock) return -EAGAIN;
        sleep_on(s);
        if (signal_pending(cur)) return -EINTR;
    }
    size_t end = s->nl_off;
    while (end < s->nl_len) {       /* whole messages, the DONE one alone */
        const struct nlmsghdr_k *h = (const void *)(s->nl_reply + end);
        if (end > s->nl_off && h->type == NLMSG_DONE) break;
        end += ALIGN_UP(h->len, 4);
        if (h->type == NLMSG_DONE) break;
    }
    size_t c = MIN(n, end - s->nl_off);
    memcpy(buf, s->nl_reply + s->nl_off, c);
    if (!(flags & MSG_PEEK)) s->nl_off = end;
    return (ssize_t)c;
}

int netlink_poll(struct socket *s) { return POLLOUT | (s->nl_off < s->nl_len ? POLLIN : 0); }
void netlink_close(struct socket *s) { kfree(s->nl_reply); }
