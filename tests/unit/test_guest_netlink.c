/* Host-side tests of the guest's route netlink (guest/net/netlink.c) and
 * interface ioctls (guest/net/ifdesc.c), what `ip` and `ifconfig` read:
 * dumps of links, addresses and routes with and without a NIC, the request's
 * sequence number echoed, NLMSG_DONE in a read of its own, an error for
 * what is not answered, bad requests refused, and SIOCGIF* by name. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../guest/net/ifdesc.c"
#include "../../guest/net/netlink.c"

/* ---- the kernel around them ---- */
struct netif netif;
void *kmalloc(size_t n) { return malloc(n); }
void kfree(void *p) { free(p); }
int copy_from_user(void *dst, u64 src, size_t n) { memcpy(dst, (const void *)src, n); return 0; }
int copy_to_user(u64 dst, const void *src, size_t n) { memcpy((void *)dst, src, n); return 0; }
void sleep_on(void *chan) { (void)chan; fail_msg("netlink slept in a test"); }
bool signal_pending(struct proc *p) { (void)p; return false; }
size_t strlcpy(char *d, const char *s, size_t n) { snprintf(d, n, "%s", s); return strlen(s); }

static struct netdev nic = { .mac = { 0x02, 0, 0, 0, 0, 0x42 } };
static void with_nic(void) { netif = (struct netif){ &nic, 0x0a580005, 0xffff0000, 0x0a580001 }; }

static struct socket sock;
static u8 buf[NL_REPLY_MAX];

static void request(u16 type, u16 flags, u32 seq)
{
    struct { struct nlmsghdr_k h; u8 family, pad[3]; } req = { { sizeof req, type, flags | 1, seq, 0 }, 2, { 0 } };
    free(sock.nl_reply);
    sock = (struct socket){ .family = AF_NETLINK, .type = SOCK_RAW, .nl_portid = 77 };
    assert_int_equal(netlink_send(&sock, &req, sizeof req), sizeof req);
}

/* the attribute of type t in a message whose fixed part is fixed bytes long */
static const u8 *attr(const struct nlmsghdr_k *h, size_t fixed, u16 t, u16 *len)
{
    const u8 *p = (const u8 *)h + sizeof *h + fixed, *end = (const u8 *)h + h->len;
    while (p + 4 <= end) {
        u16 l, ty;
        memcpy(&l, p, 2); memcpy(&ty, p + 2, 2);
        if (ty == t) { *len = l - 4; return p + 4; }
        p += (l + 3) & ~3u;
    }
    return NULL;
}

/* one read; its messages into msgs (pointers into buf) */
static int read_batch(const struct nlmsghdr_k **msgs, int max)
{
    ssize_t n = netlink_recv(&sock, buf, sizeof buf, 0, true);
    if (n < 0) return (int)n;
    int k = 0;
    for (size_t off = 0; off < (size_t)n && k < max; k++) {
        msgs[k] = (const void *)(buf + off);
        assert_true(msgs[k]->len >= sizeof(struct nlmsghdr_k));
        off += (msgs[k]->len + 3) & ~3u;
    }
    return k;
}

static void test_links_loopback_only(void **state)
{
    (void)state;
    netif = (struct netif){ 0 };
    request(RTM_GETLINK, NLM_F_DUMP, 41);
    const struct nlmsghdr_k *m[8];
    assert_int_equal(read_batch(m, 8), 1);
    assert_int_equal(m[0]->type, RTM_NEWLINK);
    assert_int_equal(m[0]->seq, 41);
    assert_int_equal(m[0]->pid, 77);
    const struct ifinfomsg_k *ifi = (const void *)(m[0] + 1);
    assert_int_equal(ifi->index, 1);
    assert_int_equal(ifi->type, ARPHRD_LOOPBACK);
    assert_true(ifi->flags & IFF_LOOPBACK);
    u16 l;
    const u8 *name = attr(m[0], sizeof *ifi, IFLA_IFNAME, &l);
    assert_non_null(name);
    assert_string_equal((const char *)name, "lo");
    u32 mtu;
    memcpy(&mtu, attr(m[0], sizeof *ifi, IFLA_MTU, &l), 4);
    assert_int_equal(mtu, 65536);
    assert_int_equal(read_batch(m, 8), 1);          /* DONE alone */
    assert_int_equal(m[0]->type, NLMSG_DONE);
    assert_int_equal(m[0]->seq, 41);
    assert_int_equal(read_batch(m, 8), -EAGAIN);    /* nothing more */
}

static void test_addrs_and_routes_with_a_nic(void **state)
{
    (void)state;
    with_nic();
    request(RTM_GETADDR, NLM_F_DUMP, 5);
    const struct nlmsghdr_k *m[8];
    assert_int_equal(read_batch(m, 8), 2);
    const struct ifaddrmsg_k *lo = (const void *)(m[0] + 1), *eth = (const void *)(m[1] + 1);
    assert_int_equal(lo->prefixlen, 8);
    assert_int_equal(lo->scope, RT_SCOPE_HOST);
    assert_int_equal(eth->prefixlen, 16);
    assert_int_equal(eth->index, 2);
    u16 l;
    u32 a;
    memcpy(&a, attr(m[1], sizeof *eth, IFA_LOCAL, &l), 4);
    assert_int_equal(ntohl(a), 0x0a580005);
    assert_string_equal((const char *)attr(m[1], sizeof *eth, IFA_LABEL, &l), "eth0");

    request(RTM_GETROUTE, NLM_F_DUMP, 6);
    assert_int_equal(read_batch(m, 8), 2);
    const struct rtmsg_k *def = (const void *)(m[0] + 1), *net = (const void *)(m[1] + 1);
    assert_int_equal(def->dst_len, 0);
    memcpy(&a, attr(m[0], sizeof *def, RTA_GATEWAY, &l), 4);
    assert_int_equal(ntohl(a), 0x0a580001);
    assert_int_equal(net->dst_len, 16);
    memcpy(&a, attr(m[1], sizeof *net, RTA_DST, &l), 4);
    assert_int_equal(ntohl(a), 0x0a580000);
    free(sock.nl_reply);
    sock.nl_reply = NULL;
}

static void test_errors(void **state)
{
    (void)state;
    netif = (struct netif){ 0 };
    request(RTM_GETLINK, 0, 9);                     /* not a dump: an error, no DONE */
    const struct nlmsghdr_k *m[4];
    assert_int_equal(read_batch(m, 4), 1);
    assert_int_equal(m[0]->type, NLMSG_ERROR);
    s32 e;
    memcpy(&e, m[0] + 1, 4);
    assert_int_equal(e, -EOPNOTSUPP);
    assert_int_equal(read_batch(m, 4), -EAGAIN);
    struct nlmsghdr_k shortreq = { 100, RTM_GETLINK, NLM_F_DUMP, 1, 0 };
    assert_int_equal(netlink_send(&sock, &shortreq, sizeof shortreq), -EINVAL);   /* len past the data */
    assert_int_equal(netlink_send(&sock, &shortreq, 8), -EINVAL);
    free(sock.nl_reply);
    sock.nl_reply = NULL;
}

static void test_interface_ioctls(void **state)
{
    (void)state;
    with_nic();
    struct ifreq_k r = { "eth0", { .pad = { 0 } } };
    assert_int_equal(ifdesc_ioctl(SIOCGIFINDEX, (u64)&r), 0);
    assert_int_equal(r.u.ival, 2);
    assert_int_equal(ifdesc_ioctl(SIOCGIFNETMASK, (u64)&r), 0);
    assert_int_equal(ntohl(r.u.sin.addr), 0xffff0000);
    assert_int_equal(ifdesc_ioctl(SIOCGIFHWADDR, (u64)&r), 0);
    assert_memory_equal(r.u.pad + 2, nic.mac, 6);
    strcpy(r.name, "lo");
    assert_int_equal(ifdesc_ioctl(SIOCGIFFLAGS, (u64)&r), 0);
    assert_true(r.u.flags & IFF_LOOPBACK);
    strcpy(r.name, "wlan0");
    assert_int_equal(ifdesc_ioctl(SIOCGIFINDEX, (u64)&r), -ENODEV);
    assert_int_equal(ifdesc_ioctl(0x5401 /* TCGETS */, (u64)&r), -ENOTTY);
    struct ifreq_k all[4];
    struct { s32 len, pad; u64 buf; } ifc = { sizeof all, 0, (u64)all };
    assert_int_equal(ifdesc_ioctl(SIOCGIFCONF, (u64)&ifc), 0);
    assert_int_equal(ifc.len, 2 * sizeof(struct ifreq_k));
    assert_string_equal(all[1].name, "eth0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_links_loopback_only),
        cmocka_unit_test(test_addrs_and_routes_with_a_nic),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_interface_ioctls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
