/* The interface: its device, its address from the cmdline
 * (ip=ADDR/PREFIX::GATEWAY, the form the monitor passes), and the kernel
 * thread that drives TCP's timers. */
#include "kernel.h"
#include "boot.h"
#include "mm.h"
#include "proc.h"
#include "net.h"

struct netif netif;

/* "a.b.c.d" -> host order; returns where parsing stopped or NULL */
static const char *parse_ip(const char *s, u32 *out)
{
    u32 v = 0;
    for (int i = 0; i < 4; i++) {
        const char *e;
        long b = parse_long(s, &e);
        if (e == s || b < 0 || b > 255 || (i < 3 && *e != '.')) return NULL;
        v = v << 8 | (u32)b;
        s = i < 3 ? e + 1 : e;
    }
    *out = v;
    return s;
}

static void parse_cmdline(void)
{
    const char *v = cmdline_get("ip");
    if (!v) return;
    u32 addr, gw = 0, prefix = 24;
    const char *p = parse_ip(v, &addr);
    if (!p) goto bad;
    if (*p == '/') {
        const char *e;
        prefix = (u32)parse_long(p + 1, &e);
        if (e == p + 1 || prefix < 1 || prefix > 32) goto bad;
        p = e;
    }
    if (p[0] == ':' && p[1] == ':' && p[2]) {
        if (!parse_ip(p + 2, &gw)) goto bad;
    }
    netif.addr = addr;
    netif.mask = prefix == 32 ? 0xffffffff : ~(0xffffffffU >> prefix);
    netif.gateway = gw;
    printk("osbox-guest: net: %u.%u.%u.%u/%u gateway %u.%u.%u.%u\n", addr >> 24, (addr >> 16) & 255,
           (addr >> 8) & 255, addr & 255, prefix, gw >> 24, (gw >> 16) & 255, (gw >> 8) & 255, gw & 255);
    return;
bad:
    printk("osbox-guest: net: cannot parse ip=%s (want ADDR/PREFIX::GATEWAY)\n", v);
}

/* Wakes sleepers in poll/epoll_wait (they sleep on their own wake_at_ns,
 * as nanosleep does, and re-check their condition when woken). */
void net_notify(void)
{
    for (int i = 0; i < nproc_hi; i++) {
        struct proc *p = &procs[i];
        if (p->state == P_SLEEPING && p->chan == &p->wake_at_ns) make_runnable(p);
    }
}

/* Keep headers + payload under 64 KiB and leave room for TCP options. */
#define GSO_MAX_PAYLOAD (IP_MAX_PAYLOAD - 60)

u32 net_gso_max(u32 dst)
{
    if (ip_is_local(dst) || !netif.dev || !(netif.dev->offloads & NETDEV_TSO)) return 0;
    return GSO_MAX_PAYLOAD;
}

void net_free_after_tx(void *mem)
{
    if (!mem) return;
    if (netif.dev && netif.dev->free_after_tx) netif.dev->free_after_tx(netif.dev, mem);
    else kfree(mem);
}

/* With osbox.netstats=1 on the cmdline, the counters are printed as the VM
 * ends: how many frames each way, how many went out as TSO segments, and
 * what the stack dropped or resent. */
u64 net_tx_tso;
void net_report(void)
{
    struct netdev *d = netif.dev;
    if (!d || !cmdline_get("osbox.netstats")) return;
    printk("osbox-guest: netstats: rx %lu tx %lu (tso %lu) rx_dropped %lu tx_dropped %lu "
           "tcp_retransmits %lu tcp_bad %lu syn_dropped %lu ip_bad %lu frags %lu udp_dropped %lu\n",
           d->rx_frames, d->tx_frames, net_tx_tso, d->rx_dropped, d->tx_dropped, tcp_retransmits,
           tcp_bad_segments, tcp_syn_dropped, ip_bad_dropped, ip_frags_dropped, udp_dropped);
}

static void net_timer_thread(void *arg)
{
    (void)arg;
    static int chan;
    for (;;) {      /* the kernel's own daemon: lives as long as the VM */
        sleep_on_timeout(&chan, time_ns() + TCP_TICK_MS * 1000000UL);
        tcp_timer();
        net_loopback_flush();
    }
}

/* TCP's timers run from the first NIC or the first socket (loopback only) */
void net_start_timer(void)
{
    static bool started;
    if (started) return;
    started = true;
    start_kernel_thread(net_timer_thread, NULL, "net-timer");
}

void netdev_register(struct netdev *d)
{
    if (netif.dev) return;
    netif.dev = d;
    parse_cmdline();
    net_start_timer();
}
