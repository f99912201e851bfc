/* Loopback: packets for 127.0.0.0/8 or for our own address never reach the
 * device.  They wait on a queue and are handed to the protocol's input
 * when the code that sent them has finished (net_loopback_flush, called at
 * the end of socket calls, before sleeping, and by the timer thread), never
 * in the middle of TCP's own processing. */
#include "kernel.h"
#include "mm.h"
#include "proc.h"
#include "net.h"

#define LO_MAX_QUEUED 4096

struct lo_pkt { struct lo_pkt *next; u32 src, dst; u8 proto; u16 len; u8 data[]; };
static struct lo_pkt *head, *tail;
static int queued;
static bool flushing;
u64 lo_packets, lo_dropped;

bool ip_is_local(u32 dst) { return (dst >> 24) == 127 || (netif.addr && dst == netif.addr); }

u32 ip_source_for(u32 dst) { return (dst >> 24) == 127 ? 0x7f000001 : netif.addr; }

/* The copy is the only one a looped-back packet gets; its checksum stays
 * partial, as on Linux's lo: nothing can corrupt it on the way. */
int loopback_output(u32 dst, u8 proto, const struct pkt *pk)
{
    u32 len = pkt_len(pk);
    if (queued >= LO_MAX_QUEUED || len > 0xffff) { lo_dropped++; return 0; }
    struct lo_pkt *p = kmalloc(sizeof *p + len);
    if (!p) { lo_dropped++; return 0; }
    p->next = NULL;
    p->src = ip_source_for(dst);
    p->dst = dst;
    p->proto = proto;
    p->len = (u16)len;
    pkt_flatten(pk, p->data);
    if (tail) tail->next = p; else head = p;
    tail = p;
    queued++;
    return 0;
}

/* returns how many packets it delivered */
int net_loopback_flush(void)
{
    int n = 0;
    if (flushing) return 0;     /* the outer flush picks up what this adds */
    flushing = true;
    for (; head && n < 100000; n++) {
        struct lo_pkt *p = head;
        head = p->next;
        if (!head) tail = NULL;
        queued--;
        lo_packets++;
        switch (p->proto) {
        case IPPROTO_ICMP: icmp_input(p->src, p->dst, p->data, p->len); break;
        case IPPROTO_UDP: udp_input(p->src, p->dst, p->data, p->len, true); break;
        case IPPROTO_TCP: tcp_input(p->src, p->dst, p->data, p->len, true); break;
        }
        kfree(p);
    }
    flushing = false;
    return n;
}

/* Whatever the caller waits for may have arrived through the loopback just
 * now: then return at once ("woken") so it checks again. */
int net_sleep(void *chan, u64 deadline_ns)
{
    if (net_loopback_flush()) return 0;
    return sleep_on_timeout(chan, deadline_ns);
}
