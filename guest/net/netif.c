/* The interface: its device, its address from the cmdline
 * (ip=ADDR/PREFIX::GATEWAY, the form the monitor passes), and the kernel
 * thread that drives TCP's timers. */
#include "kernel.h"
#include "boot.h"
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
    for (int i = 0; i < NPROC; i++) {
        struct proc *p = &procs[i];
        if (p->state == P_SLEEPING && p->chan == &p->wake_at_ns) make_runnable(p);
    }
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
