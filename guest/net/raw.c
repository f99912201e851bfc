/* Raw ICMP sockets (socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)), what ping
 * uses as root: a send is one ICMP message the program built, which gets
 * an IPv4 header; every ICMP message that arrives is queued, IPv4 header
 * first, on every raw socket, as Linux does (ping picks its replies out by
 * type and id).  The queue is UDP's datagram queue (udp_recv). */
#include "kernel.h"
#include "mm.h"
#include "proc.h"
#include "errno.h"
#include "sock.h"

#define RAW_RCVBUF (64 * 1024)
static struct socket *raw_socks;

int raw_socket(int proto, struct socket *s)
{
    if (proto != IPPROTO_ICMP) return -EPROTONOSUPPORT;
    s->type = SOCK_RAW;
    s->raw_next = raw_socks;
    raw_socks = s;
    return 0;
}

ssize_t raw_send(struct socket *s, u32 dst, const void *buf, size_t n)
{
    (void)s;
    if (n > ETH_MTU - sizeof(struct ip_hdr)) return -EMSGSIZE;
    struct pkt p;
    pkt_init(&p);
    pkt_add(&p, buf, (u32)n);
    int r = ip_output(dst, IPPROTO_ICMP, &p);
    return r < 0 ? r : (ssize_t)n;
}

void raw_deliver(u32 src, u32 dst, const u8 *icmp, size_t len)
{
    size_t n = sizeof(struct ip_hdr) + len;
    for (struct socket *s = raw_socks; s; s = s->raw_next) {
        if (s->rq_bytes + n > RAW_RCVBUF) continue;
        struct dgram *d = kmalloc(sizeof *d + n);
        if (!d) return;
        struct ip_hdr h = { 0x45, 0, htons((u16)n), 0, 0, 64, IPPROTO_ICMP, 0, htonl(src), htonl(dst) };
        h.csum = csum_fold(csum_add(0, &h, sizeof h));
        d->next = NULL;
        d->src = src;
        d->sport = 0;
        d->len = (u16)n;
        memcpy(d->data, &h, sizeof h);
        memcpy(d->data + sizeof h, icmp, len);
        if (s->rq_tail) s->rq_tail->next = d; else s->rq_head = d;
        s->rq_tail = d;
        s->rq_bytes += n;
        wakeup(s);
    }
    net_notify();
}

void raw_close(struct socket *s)
{
    for (struct socket **pp = &raw_socks; *pp; pp = &(*pp)->raw_next)
        if (*pp == s) { *pp = s->raw_next; break; }
    udp_close(s);       /* frees the queue */
}
