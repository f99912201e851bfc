/* UDP (RFC 768): datagrams queued on the socket bound to their port; a full
 * queue drops new ones, as a real kernel does when its receive buffer is full. */
#include "kernel.h"
#include "mm.h"
#include "proc.h"
#include "errno.h"
#include "sock.h"

#define UDP_RCVBUF (256 * 1024)
struct udp_hdr { u16 sport, dport, len, csum; };

static struct socket *bound;   /* every bound UDP socket */
static u16 next_ephemeral = 49152;
u64 udp_dropped;

static struct socket *find(u32 addr, u16 port)
{
    for (struct socket *s = bound; s; s = s->udp_next)
        if (s->lport == port && (!s->laddr || !addr || s->laddr == addr)) return s;
    return NULL;
}

static bool port_taken(u16 port) { return find(0, port) != NULL; }

int udp_bind(struct socket *s, u32 addr, u16 port)
{
    if (s->lport) return -EINVAL;
    if (addr && !ip_is_local(addr)) return -EADDRNOTAVAIL;
    if (!port) {
        port = ephemeral_port(&next_ephemeral, port_taken);
        if (!port) return -EADDRINUSE;
    } else if (find(addr, port)) {
        return -EADDRINUSE;
    }
    s->laddr = addr;
    s->lport = port;
    s->udp_next = bound;
    bound = s;
    return 0;
}

void udp_input(u32 src, u32 dst, const u8 *seg, size_t len, bool csum_ok)
{
    struct udp_hdr h;
    if (len < sizeof h) return;
    memcpy(&h, seg, sizeof h);
    size_t ulen = ntohs(h.len);
    if (ulen < sizeof h || ulen > len) return;
    if (h.csum && !csum_ok && csum_fold(csum_add(csum_pseudo(src, dst, IPPROTO_UDP, ulen), seg, ulen)) != 0) return;
    struct socket *s = find(dst == netif.addr ? dst : 0, ntohs(h.dport));
    if (!s || s->shut_rd) return;
    if (s->connected && (src != s->raddr || ntohs(h.sport) != s->rport)) return;
    size_t n = ulen - sizeof h;
    if (s->rq_bytes + n > UDP_RCVBUF) { udp_dropped++; return; }
    struct dgram *d = kmalloc(sizeof *d + n);
    if (!d) return;
    d->next = NULL;
    d->src = src;
    d->sport = ntohs(h.sport);
    d->len = (u16)n;
    memcpy(d->data, seg + sizeof h, n);
    if (s->rq_tail) s->rq_tail->next = d; else s->rq_head = d;
    s->rq_tail = d;
    s->rq_bytes += n;
    wakeup(s);
    net_notify();
}

/* No fragmentation: a datagram must fit one Ethernet frame. */
ssize_t udp_send(struct socket *s, u32 dst, u16 dport, const void *buf, size_t n)
{
    if (n > ETH_MTU - 20 - sizeof(struct udp_hdr)) return -EMSGSIZE;
    if (!s->lport) { int r = udp_bind(s, 0, 0); if (r) return r; }
    struct pkt p;
    pkt_init(&p);
    pkt_add(&p, buf, (u32)n);       /* not stable: the driver copies it */
    struct udp_hdr *h = pkt_push(&p, sizeof *h);
    *h = (struct udp_hdr){ htons(s->lport), htons(dport), htons((u16)(n + sizeof *h)), 0 };
    pkt_l4_checksum(&p, ip_source_for(dst), dst, IPPROTO_UDP, 6);
    int r = ip_output(dst, IPPROTO_UDP, &p);
    return r < 0 ? r : (ssize_t)n;
}

ssize_t udp_recv(struct socket *s, void *buf, size_t n, int flags, bool nonblock, u32 *src, u16 *sport)
{
    u64 deadline = sock_deadline(s->rcvtimeo_ns);
    while (!s->rq_head) {
        if (s->shut_rd) return 0;
        if (nonblock) return -EAGAIN;
        if (net_sleep(s, deadline) == -ETIMEDOUT && !s->rq_head) return -EAGAIN;
        if (signal_pending(cur)) return -EINTR;
    }
    struct dgram *d = s->rq_head;
    size_t c = MIN(n, d->len);
    memcpy(buf, d->data, c);
    *src = d->src;
    *sport = d->sport;
    if (!(flags & MSG_PEEK)) {
        s->rq_head = d->next;
        if (!s->rq_head) s->rq_tail = NULL;
        s->rq_bytes -= d->len;
        kfree(d);
    }
    return c;
}

int udp_poll(struct socket *s) { return POLLOUT | (s->rq_head || s->shut_rd ? POLLIN : 0); }

void udp_close(struct socket *s)
{
    for (struct socket **pp = &bound; *pp; pp = &(*pp)->udp_next)
        if (*pp == s) { *pp = s->udp_next; break; }
    while (s->rq_head) {
        struct dgram *d = s->rq_head;
        s->rq_head = d->next;
        kfree(d);
    }
}
