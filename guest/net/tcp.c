/* TCP (RFC 793, 6298): one transmission control block (tcb) per connection.
 *
 * The queues, as the course tells them:
 *  - A listening socket owns two queues.  A SYN creates a child in
 *    SYN_RECEIVED on the SYN queue and is answered with SYN-ACK; the
 *    client's final ACK moves the child to the accept queue, ESTABLISHED,
 *    where accept() picks it up.  listen's backlog bounds both: when either
 *    is full a new SYN is dropped and the client retransmits it later.
 *  - A connection owns a send buffer (bytes the application wrote that the
 *    peer has not acknowledged: sent-but-unacked, then not-yet-sent) and a
 *    receive buffer (bytes that arrived in order and wait for read()).
 *    The free space of the receive buffer is the window we advertise; the
 *    peer's advertised window bounds how much we keep in flight.
 *  - Unacknowledged data is retransmitted when the retransmission timer
 *    (RTO, from measured round trips) fires, or after three duplicate ACKs.
 *  - The side that closes first ends in TIME_WAIT for 2*MSL so stray
 *    segments of the old connection die out before the port pair is reused.
 *  - Nagle: while data is unacknowledged a segment smaller than the MSS
 *    waits to fill up (TCP_NODELAY turns this off).  When the device
 *    segments (TSO), one segment carries up to ~64 KiB.
 * Out-of-order segments are not kept: the peer resends them.  No congestion
 * control, no window scaling, no urgent data, no options but MSS. */
#include "kernel.h"
#include "mm.h"
#include "proc.h"
#include "errno.h"
#include "sock.h"

enum tcp_state { CLOSED, LISTEN, SYN_SENT, SYN_RECEIVED, ESTABLISHED, FIN_WAIT_1,
                 FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK, TIME_WAIT };

#define FIN 0x01
#define SYN 0x02
#define RST 0x04
#define PSH 0x08
#define ACK 0x10

#define SNDBUF 65536
#define SND_LOWAT (SNDBUF / 4)  /* a blocked writer wakes when this much is free */
#define RCVBUF 65535            /* fits the 16-bit window field */
#define MSS 1460
#define RTO_INIT_NS 1000000000UL
#define RTO_MIN_NS 200000000UL
#define RTO_MAX_NS 10000000000UL
#define MAX_RETRIES 8
#define MSL_NS 1000000000UL     /* short (Linux: 30 s) so tests do not wait */
#define FIN_WAIT_2_NS 10000000000UL

struct tcp_hdr { u16 sport, dport; u32 seq, ack; u8 off, flags; u16 wnd, csum, urg; };

struct tcb {
    enum tcp_state state;
    u32 laddr, raddr;
    u16 lport, rport;
    struct socket *sock;        /* NULL: not accepted yet, or closed by the application */
    struct tcb *next;           /* all tcbs */

    /* listener: its two queues; child: which listener holds it */
    struct tcb *synq, *acceptq, *qnext, *listener;
    int synq_len, acceptq_len, backlog;

    /* send side: sbuf[sbuf_start] is the byte at sequence snd_una */
    u32 iss, snd_una, snd_nxt, snd_wnd;
    u16 peer_mss;
    u8 *sbuf;
    u32 sbuf_start, sbuf_len;
    bool fin_queued, fin_sent;
    int dupacks;

    /* receive side: in-order bytes waiting for read() */
    u32 irs, rcv_nxt;
    u8 *rbuf;
    u32 rbuf_start, rbuf_len, adv_wnd;
    bool fin_received;
    bool ack_pending;           /* data arrived in this receive batch: ACK at its end */

    /* timers */
    u64 rto, srtt, rttvar, rtx_at, tw_at;
    u32 rtt_seq;
    u64 rtt_sent_at;            /* 0: no segment being timed */
    int retries;
    int error;
};

static struct tcb *tcbs;
static u16 next_ephemeral = 49152;
u64 tcp_syn_dropped, tcp_retransmits, tcp_bad_segments;

/* sequence numbers wrap: compare by signed distance */
static bool seq_lt(u32 a, u32 b) { return (s32)(a - b) < 0; }
static bool seq_le(u32 a, u32 b) { return (s32)(a - b) <= 0; }

static u32 rcv_window(struct tcb *t) { return RCVBUF - t->rbuf_len; }

/* The two buffers are rings: copy in/out as at most two pieces.  With
 * `user` the other side is a user address (read(2)/write(2) go straight
 * between the application's buffer and the ring); nonzero: it faulted. */
static int ring_write(u8 *ring, u32 size, u32 pos, const u8 *src, u32 n, bool user)
{
    pos %= size;
    u32 first = MIN(n, size - pos);
    if (user) return copy_from_user(ring + pos, (u64)src, first) || copy_from_user(ring, (u64)(src + first), n - first);
    memcpy(ring + pos, src, first);
    memcpy(ring, src + first, n - first);
    return 0;
}

static int ring_read(const u8 *ring, u32 size, u32 pos, u8 *dst, u32 n, bool user)
{
    pos %= size;
    u32 first = MIN(n, size - pos);
    if (user) return copy_to_user((u64)dst, ring + pos, first) || copy_to_user((u64)(dst + first), ring, n - first);
    memcpy(dst, ring + pos, first);
    memcpy(dst + first, ring, n - first);
    return 0;
}

static struct tcb *tcb_new(void)
{
    struct tcb *t = kzalloc(sizeof *t);
    if (!t) return NULL;
    t->sbuf = kmalloc(SNDBUF);
    t->rbuf = kmalloc(RCVBUF);
    if (!t->sbuf || !t->rbuf) { kfree(t->sbuf); kfree(t->rbuf); kfree(t); return NULL; }
    static u64 iss_state = 0x9e3779b97f4a7c15UL;
    iss_state ^= rdtsc();
    iss_state *= 0xbf58476d1ce4e5b9UL;
    t->iss = (u32)(iss_state >> 32);
    t->rto = RTO_INIT_NS;
    t->peer_mss = 536;
    t->next = tcbs;
    tcbs = t;
    return t;
}

static void tcb_free(struct tcb *t)
{
    for (struct tcb **pp = &tcbs; *pp; pp = &(*pp)->next)
        if (*pp == t) { *pp = t->next; break; }
    net_free_after_tx(t->sbuf);     /* queued frames may still point into it */
    kfree(t->rbuf);
    kfree(t);
}

/* ---- segments out ---- */

/* off/len: payload from the send ring, off bytes past snd_una.  The payload
 * is not copied: the device reads it from the ring, which stays put until
 * the peer acknowledges it (and is freed with net_free_after_tx).  More than
 * an MSS goes out as one TSO segment (net_gso_max said the device cuts it). */
static void send_segment(struct tcb *t, u32 seq, u8 flags, u32 off, u32 len)
{
    struct pkt p;
    pkt_init(&p);
    if (len) {
        u32 pos = (t->sbuf_start + off) % SNDBUF, first = MIN(len, SNDBUF - pos);
        pkt_add(&p, t->sbuf + pos, first);
        pkt_add(&p, t->sbuf, len - first);
        p.stable = true;
    }
    u32 hlen = flags & SYN ? 24 : 20;
    u8 *seg = pkt_push(&p, hlen);
    u32 wnd = rcv_window(t);
    struct tcp_hdr h = {
        .sport = htons(t->lport), .dport = htons(t->rport), .seq = htonl(seq),
        .ack = htonl(flags & ACK ? t->rcv_nxt : 0), .off = (u8)((hlen / 4) << 4), .flags = flags,
        .wnd = htons((u16)wnd),
    };
    memcpy(seg, &h, sizeof h);
    if (flags & SYN) {      /* MSS option */
        seg[20] = 2; seg[21] = 4; seg[22] = MSS >> 8; seg[23] = MSS & 0xff;
    }
    pkt_l4_checksum(&p, t->laddr, t->raddr, IPPROTO_TCP, 16);
    u32 mss = MIN(MSS, t->peer_mss);
    if (len > mss) p.gso_mss = (u16)mss;
    if (flags & ACK) { t->adv_wnd = wnd; t->ack_pending = false; }
    ip_output(t->raddr, IPPROTO_TCP, &p);
}

static void send_ack(struct tcb *t) { send_segment(t, t->snd_nxt, ACK, 0, 0); }

/* Frames the device delivered together are one receive batch: data in it is
 * acknowledged once, at the end (tcp_rx_batch_end), not once per frame.
 * Outside a batch (loopback, tests) the ACK goes at once. */
static bool in_rx_batch;

static void ack_data(struct tcb *t)
{
    if (in_rx_batch) t->ack_pending = true;
    else send_ack(t);
}

void tcp_rx_batch_begin(void) { in_rx_batch = true; }

void tcp_rx_batch_end(void)
{
    in_rx_batch = false;
    for (struct tcb *t = tcbs; t; t = t->next)
        if (t->ack_pending) send_ack(t);    /* clears it */
}

/* A RST for a segment that belongs to no connection (RFC 793 "reset generation"). */
static void send_reset(u32 src, u32 dst, const struct tcp_hdr *in, u32 dlen)
{
    struct tcb t = { .laddr = dst, .raddr = src, .lport = ntohs(in->dport), .rport = ntohs(in->sport),
                     .rbuf_len = RCVBUF };
    if (in->flags & ACK) {
        send_segment(&t, ntohl(in->ack), RST, 0, 0);
    } else {
        t.rcv_nxt = ntohl(in->seq) + dlen + (in->flags & SYN ? 1 : 0) + (in->flags & FIN ? 1 : 0);
        send_segment(&t, 0, RST | ACK, 0, 0);
    }
}

static void arm_rtx(struct tcb *t) { if (!t->rtx_at) t->rtx_at = time_ns() + t->rto; }

/* Send what the window allows, then our FIN once everything before it is out. */
static void tcp_output(struct tcb *t)
{
    if (t->state < ESTABLISHED) return;
    u32 mss = MIN((u32)MSS, t->peer_mss), seg_max = MAX(mss, net_gso_max(t->raddr));
    for (int guard = 0; guard < 64; guard++) {
        u32 in_flight = t->snd_nxt - t->snd_una;
        u32 unsent_off = in_flight - (t->fin_sent ? 1 : 0);
        if (t->fin_sent || unsent_off >= t->sbuf_len) break;
        u32 room = t->snd_wnd > in_flight ? t->snd_wnd - in_flight : 0;
        u32 n = MIN(MIN(t->sbuf_len - unsent_off, seg_max), room);
        if (!n) break;
        /* Nagle (RFC 896): while anything is unacknowledged, a piece
         * smaller than the MSS waits to grow (or for the ACK), so a
         * program writing 1 KiB at a time still sends full segments.
         * TCP_NODELAY turns this off; our FIN pushes everything out. */
        bool nagle = t->sock && !t->sock->nodelay && !t->fin_queued;
        if (n < mss && in_flight && nagle) break;
        send_segment(t, t->snd_nxt, ACK | PSH, unsent_off, n);
        if (!t->rtt_sent_at) { t->rtt_seq = t->snd_nxt + n; t->rtt_sent_at = time_ns(); }
        t->snd_nxt += n;
    }
    if (t->fin_queued && !t->fin_sent && t->snd_nxt - t->snd_una == t->sbuf_len) {
        send_segment(t, t->snd_nxt, FIN | ACK, 0, 0);
        t->snd_nxt++;
        t->fin_sent = true;
    }
    if (t->snd_nxt != t->snd_una || t->sbuf_len) arm_rtx(t);   /* also the zero-window probe */
}

/* ---- state changes ---- */

static void notify(struct tcb *t)
{
    wakeup(t);
    net_notify();
}

static void unlink_child(struct tcb *c)
{
    struct tcb *l = c->listener;
    if (!l) return;
    for (struct tcb **pp = &l->synq; *pp; pp = &(*pp)->qnext)
        if (*pp == c) { *pp = c->qnext; l->synq_len--; break; }
    for (struct tcb **pp = &l->acceptq; *pp; pp = &(*pp)->qnext)
        if (*pp == c) { *pp = c->qnext; l->acceptq_len--; break; }
    c->listener = NULL;
}

/* The connection is gone: free it unless an application still holds it. */
static void tcb_closed(struct tcb *t, int error)
{
    t->state = CLOSED;
    if (error && !t->error) t->error = error;
    t->rtx_at = t->tw_at = 0;
    unlink_child(t);
    if (t->sock) notify(t);
    else tcb_free(t);
}

static void enter_time_wait(struct tcb *t)
{
    t->state = TIME_WAIT;
    t->rtx_at = 0;
    t->tw_at = time_ns() + 2 * MSL_NS;
    notify(t);
}

/* ---- segments in ---- */

static struct tcb *lookup(u32 laddr, u16 lport, u32 raddr, u16 rport)
{
    struct tcb *listener = NULL;
    for (struct tcb *t = tcbs; t; t = t->next) {
        if (t->lport != lport) continue;
        if (t->state == LISTEN) { if (!t->laddr || t->laddr == laddr) listener = t; continue; }
        if (t->rport == rport && t->raddr == raddr && t->laddr == laddr && t->state != CLOSED) return t;
    }
    return listener;
}

static void rtt_sample(struct tcb *t, u64 r)
{
    if (!t->srtt) { t->srtt = r; t->rttvar = r / 2; }
    else {
        u64 d = t->srtt > r ? t->srtt - r : r - t->srtt;
        t->rttvar = (3 * t->rttvar + d) / 4;
        t->srtt = (7 * t->srtt + r) / 8;
    }
    t->rto = MIN(MAX(t->srtt + 4 * t->rttvar, RTO_MIN_NS), RTO_MAX_NS);
}

/* A SYN on a listening socket: a new child on the SYN queue, unless full. */
static void listen_input(struct tcb *l, u32 src, u32 dst, const struct tcp_hdr *h, u16 mss, u32 dlen)
{
    if (h->flags & RST) return;
    if (h->flags & ACK) { send_reset(src, dst, h, dlen); return; }
    if (!(h->flags & SYN)) return;
    if (l->synq_len >= l->backlog || l->acceptq_len >= l->backlog) { tcp_syn_dropped++; return; }
    struct tcb *c = tcb_new();
    if (!c) return;
    c->state = SYN_RECEIVED;
    c->laddr = dst; c->lport = l->lport;
    c->raddr = src; c->rport = ntohs(h->sport);
    c->irs = ntohl(h->seq);
    c->rcv_nxt = c->irs + 1;
    c->snd_una = c->iss;
    c->snd_nxt = c->iss + 1;
    c->snd_wnd = ntohs(h->wnd);
    c->peer_mss = mss;
    c->listener = l;
    c->qnext = l->synq;
    l->synq = c;
    l->synq_len++;
    send_segment(c, c->iss, SYN | ACK, 0, 0);
    arm_rtx(c);
}

static void syn_sent_input(struct tcb *t, u32 src, u32 dst, const struct tcp_hdr *h, u16 mss, u32 dlen)
{
    u32 ack = ntohl(h->ack);
    if ((h->flags & ACK) && ack != t->iss + 1) {
        if (!(h->flags & RST)) send_reset(src, dst, h, dlen);
        return;
    }
    if (h->flags & RST) {
        if (h->flags & ACK) tcb_closed(t, ECONNREFUSED);
        return;
    }
    if (!(h->flags & SYN) || !(h->flags & ACK)) return;   /* no simultaneous open */
    t->irs = ntohl(h->seq);
    t->rcv_nxt = t->irs + 1;
    t->snd_una = ack;
    t->snd_wnd = ntohs(h->wnd);
    t->peer_mss = mss;
    t->state = ESTABLISHED;
    t->rtx_at = 0;
    t->retries = 0;
    send_ack(t);
    notify(t);
}

/* The ACK field: drop acknowledged bytes, time round trips, detect loss. */
static void ack_input(struct tcb *t, const struct tcp_hdr *h, u32 dlen)
{
    u32 ack = ntohl(h->ack), wnd = ntohs(h->wnd);
    if (t->state == SYN_RECEIVED) {
        if (ack != t->snd_nxt) return;
        /* accept queue full: ignore the ACK; our SYN-ACK retransmission
         * asks for it again, by when accept() may have made room */
        if (t->listener->acceptq_len >= t->listener->backlog) { tcp_syn_dropped++; return; }
        t->snd_una = ack;
        t->snd_wnd = wnd;
        t->state = ESTABLISHED;
        t->rtx_at = 0;
        t->retries = 0;
        struct tcb *l = t->listener;    /* SYN queue -> accept queue */
        unlink_child(t);
        t->listener = l;
        t->qnext = NULL;
        struct tcb **pp = &l->acceptq;
        while (*pp) pp = &(*pp)->qnext;
        *pp = t;
        l->acceptq_len++;
        notify(l);
        return;
    }
    if (seq_lt(t->snd_una, ack) && seq_le(ack, t->snd_nxt)) {
        u32 acked = ack - t->snd_una;
        if (t->fin_sent && ack == t->snd_nxt) acked--;     /* the FIN's sequence number */
        acked = MIN(acked, t->sbuf_len);
        t->sbuf_start = (t->sbuf_start + acked) % SNDBUF;
        t->sbuf_len -= acked;
        t->snd_una = ack;
        t->dupacks = 0;
        t->retries = 0;
        if (t->rtt_sent_at && seq_le(t->rtt_seq, ack)) {
            rtt_sample(t, time_ns() - t->rtt_sent_at);
            t->rtt_sent_at = 0;
        }
        t->rtx_at = 0;
        if (t->snd_una != t->snd_nxt) arm_rtx(t);
        t->snd_wnd = wnd;
        /* wake a blocked writer only for a good-sized piece of the ring:
         * waking it per ACK would send one ACK's worth of data at a time */
        if (SNDBUF - t->sbuf_len >= SND_LOWAT || !t->sbuf_len || t->fin_sent) notify(t);
    } else if (ack == t->snd_una) {
        if (dlen == 0 && wnd == t->snd_wnd && t->snd_nxt != t->snd_una && ++t->dupacks == 3) {
            /* fast retransmit: the segment at snd_una was lost */
            u32 n = MIN(MIN((u32)MSS, t->peer_mss), t->sbuf_len);
            if (n) send_segment(t, t->snd_una, ACK | PSH, 0, n);
            t->rtt_sent_at = 0;
            tcp_retransmits++;
        }
        if (wnd > t->snd_wnd) notify(t);
        t->snd_wnd = wnd;
    }
}

/* Data and FIN: only the next in-order bytes are taken. Returns whether to ACK. */
static bool data_input(struct tcb *t, const struct tcp_hdr *h, const u8 *data, u32 dlen)
{
    u32 seq = ntohl(h->seq);
    bool fin = h->flags & FIN;
    bool need_ack = dlen > 0 || fin;
    if (t->state != ESTABLISHED && t->state != FIN_WAIT_1 && t->state != FIN_WAIT_2) {
        if (t->state == TIME_WAIT && fin) t->tw_at = time_ns() + 2 * MSL_NS;   /* re-ACK a resent FIN */
        return need_ack;
    }
    if (seq_lt(seq, t->rcv_nxt)) {     /* partly old: trim the front */
        u32 skip = t->rcv_nxt - seq;
        if (skip > dlen) return need_ack;
        data += skip; dlen -= skip; seq += skip;
    }
    if (seq != t->rcv_nxt) return need_ack;     /* out of order: dup ACK, peer resends */
    u32 n = MIN(dlen, rcv_window(t));
    ring_write(t->rbuf, RCVBUF, t->rbuf_start + t->rbuf_len, data, n, false);
    t->rbuf_len += n;
    t->rcv_nxt += n;
    if (n) notify(t);
    if (!fin || n < dlen) return need_ack;
    t->rcv_nxt++;
    t->fin_received = true;
    if (t->state == ESTABLISHED) t->state = CLOSE_WAIT;
    else if (t->state == FIN_WAIT_1) t->state = CLOSING;
    else enter_time_wait(t);
    notify(t);
    return true;
}

void tcp_input(u32 src, u32 dst, const u8 *seg, size_t len, bool csum_ok)
{
    struct tcp_hdr h;
    if (len < sizeof h) { tcp_bad_segments++; return; }
    memcpy(&h, seg, sizeof h);
    u32 hlen = (h.off >> 4) * 4;
    if (hlen < sizeof h || hlen > len) { tcp_bad_segments++; return; }
    if (!csum_ok && csum_fold(csum_add(csum_pseudo(src, dst, IPPROTO_TCP, (u16)len), seg, len)) != 0) {
        tcp_bad_segments++;
        return;
    }
    u16 mss = 536;
    for (u32 i = sizeof h; i < hlen;) {     /* options: only MSS matters */
        u8 kind = seg[i];
        if (kind == 0) break;
        if (kind == 1) { i++; continue; }
        if (i + 1 >= hlen || seg[i + 1] < 2 || i + seg[i + 1] > hlen) break;
        if (kind == 2 && seg[i + 1] == 4) mss = (u16)(seg[i + 2] << 8 | seg[i + 3]);
        i += seg[i + 1];
    }
    if (mss < 64) mss = 64;
    const u8 *data = seg + hlen;
    u32 dlen = len - hlen;

    struct tcb *t = lookup(dst, ntohs(h.dport), src, ntohs(h.sport));
    if (!t) { if (!(h.flags & RST)) send_reset(src, dst, &h, dlen); return; }
    if (t->state == LISTEN) { listen_input(t, src, dst, &h, mss, dlen); return; }
    if (t->state == SYN_SENT) { syn_sent_input(t, src, dst, &h, mss, dlen); return; }

    /* Is the segment inside our receive window? */
    u32 seq = ntohl(h.seq), wnd = rcv_window(t);
    bool ok;
    if (dlen == 0) ok = wnd == 0 ? seq == t->rcv_nxt : seq_le(t->rcv_nxt, seq) && seq_lt(seq, t->rcv_nxt + wnd);
    else ok = wnd && (seq_le(t->rcv_nxt, seq + dlen - 1) && seq_lt(seq, t->rcv_nxt + wnd));
    if ((h.flags & FIN) && seq + dlen == t->rcv_nxt) ok = true;    /* a FIN when the buffer is full */
    if (!ok) {
        if (h.flags & RST) return;
        send_ack(t);
        if (h.flags & ACK) { ack_input(t, &h, dlen); tcp_output(t); }
        return;
    }
    if (h.flags & RST) {
        tcb_closed(t, t->state == SYN_RECEIVED ? 0 : ECONNRESET);
        return;
    }
    if (h.flags & SYN) { send_ack(t); return; }    /* a SYN inside the window: challenge ACK */
    if (!(h.flags & ACK)) return;
    ack_input(t, &h, dlen);
    if (t->state == SYN_RECEIVED) return;        /* the ACK was not for our SYN-ACK */

    if (t->fin_sent && t->snd_una == t->snd_nxt) {     /* our FIN is acknowledged */
        if (t->state == FIN_WAIT_1) { t->state = FIN_WAIT_2; t->tw_at = t->sock ? 0 : time_ns() + FIN_WAIT_2_NS; notify(t); }
        else if (t->state == CLOSING) enter_time_wait(t);
        else if (t->state == LAST_ACK) { tcb_closed(t, 0); return; }
    }
    if (data_input(t, &h, data, dlen)) ack_data(t);
    tcp_output(t);
}

/* ---- timers ---- */

static void rtx_timeout(struct tcb *t)
{
    t->rtx_at = 0;
    if (++t->retries > MAX_RETRIES || (t->state <= SYN_RECEIVED && t->retries > 5)) {
        if (t->state == ESTABLISHED || t->state >= FIN_WAIT_1) send_segment(t, t->snd_nxt, RST | ACK, 0, 0);
        tcb_closed(t, ETIMEDOUT);
        return;
    }
    t->rto = MIN(t->rto * 2, RTO_MAX_NS);
    t->rtt_sent_at = 0;     /* Karn: never time a retransmitted segment */
    tcp_retransmits++;
    if (t->state == SYN_SENT) send_segment(t, t->iss, SYN, 0, 0);
    else if (t->state == SYN_RECEIVED) send_segment(t, t->iss, SYN | ACK, 0, 0);
    else if (t->snd_wnd == 0 && t->snd_nxt == t->snd_una && t->sbuf_len) {
        send_segment(t, t->snd_una, ACK, 0, 1);     /* zero window: probe with one byte */
        t->retries = 0;     /* a peer that keeps its window shut is alive */
    } else {
        t->snd_nxt = t->snd_una;    /* go back N: resend from the oldest unacked byte */
        t->fin_sent = false;
        u32 saved = t->snd_wnd;
        if (!t->snd_wnd) t->snd_wnd = 1;
        tcp_output(t);
        t->snd_wnd = saved;
    }
    arm_rtx(t);
}

void tcp_timer(void)
{
    u64 now = time_ns();
    struct tcb *next;
    for (struct tcb *t = tcbs; t; t = next) {
        next = t->next;
        if (t->tw_at && now >= t->tw_at) {       /* TIME_WAIT over, or FIN_WAIT_2 orphan */
            tcb_closed(t, 0);
            continue;
        }
        if (t->rtx_at && now >= t->rtx_at) rtx_timeout(t);   /* may free t, never next */
    }
}

/* ---- the socket side ---- */

u64 sock_deadline(u64 timeo_ns) { return timeo_ns ? time_ns() + timeo_ns : ~0UL; }

static bool port_in_use(u32 addr, u16 port, bool reuse)
{
    for (struct tcb *t = tcbs; t; t = t->next)
        if (t->lport == port && (!addr || !t->laddr || t->laddr == addr)) {
            if (reuse && t->state != LISTEN) continue;    /* SO_REUSEADDR: TIME_WAIT etc. */
            return true;
        }
    return false;
}

static bool port_taken(u16 port) { return port_in_use(0, port, false); }

int tcp_bind(struct socket *s, u32 addr, u16 port)
{
    if (s->lport) return -EINVAL;
    if (addr && !ip_is_local(addr)) return -EADDRNOTAVAIL;
    if (!port) {
        port = ephemeral_port(&next_ephemeral, port_taken);
        if (!port) return -EADDRINUSE;
    } else if (port_in_use(addr, port, s->reuseaddr)) {
        return -EADDRINUSE;
    }
    /* a bound socket holds its port through a CLOSED tcb */
    struct tcb *t = s->tcb ? s->tcb : tcb_new();
    if (!t) return -ENOMEM;
    t->sock = s;
    t->laddr = addr;
    t->lport = port;
    s->tcb = t;
    s->laddr = addr;
    s->lport = port;
    return 0;
}

int tcp_listen(struct socket *s, int backlog)
{
    if (!s->lport) { int r = tcp_bind(s, 0, 0); if (r) return r; }
    struct tcb *t = s->tcb;
    if (t->state != CLOSED && t->state != LISTEN) return -EINVAL;
    t->state = LISTEN;
    t->backlog = backlog < 1 ? 1 : backlog > 1024 ? 1024 : backlog;
    return 0;
}

int tcp_accept(struct socket *s, struct socket **out, bool nonblock)
{
    struct tcb *l = s->tcb;
    if (!l || l->state != LISTEN) return -EINVAL;
    u64 deadline = sock_deadline(s->rcvtimeo_ns);
    while (!l->acceptq) {
        if (nonblock) return -EAGAIN;
        if (net_sleep(l, deadline) == -ETIMEDOUT && !l->acceptq) return -EAGAIN;
        if (signal_pending(cur)) return -EINTR;
    }
    struct tcb *c = l->acceptq;
    struct socket *ns = kzalloc(sizeof *ns);
    if (!ns) return -ENOMEM;
    unlink_child(c);
    ns->type = SOCK_STREAM;
    ns->laddr = c->laddr; ns->lport = c->lport;
    ns->raddr = c->raddr; ns->rport = c->rport;
    ns->tcb = c;
    c->sock = ns;
    *out = ns;
    return 0;
}

int tcp_connect(struct socket *s, u32 addr, u16 port, bool nonblock)
{
    struct tcb *t = s->tcb;
    if (t && t->state == SYN_SENT) return nonblock ? -EALREADY : -EINPROGRESS;
    if (t && t->state == LISTEN) return -EINVAL;
    if (t && t->state != CLOSED) return -EISCONN;
    if (t && t->error) return -tcp_take_error(s);
    if (!s->lport) { int r = tcp_bind(s, 0, 0); if (r) return r; }
    t = s->tcb;
    if (!netif.addr && !ip_is_local(addr)) return -ENETUNREACH;
    t->laddr = ip_source_for(addr);
    t->raddr = addr;
    t->rport = port;
    s->laddr = t->laddr;
    s->raddr = addr;
    s->rport = port;
    t->snd_una = t->iss;
    t->snd_nxt = t->iss + 1;
    t->state = SYN_SENT;
    send_segment(t, t->iss, SYN, 0, 0);
    arm_rtx(t);
    if (nonblock) return -EINPROGRESS;
    while (t->state == SYN_SENT) {
        net_sleep(t, ~0UL);
        if (signal_pending(cur)) return -EINTR;
    }
    if (t->state == ESTABLISHED || t->state == CLOSE_WAIT) return 0;
    int e = tcp_take_error(s);
    return -(e ? e : ECONNREFUSED);
}

ssize_t tcp_send(struct socket *s, const void *buf, size_t n, bool nonblock, bool user)
{
    struct tcb *t = s->tcb;
    size_t done = 0;
    u64 deadline = sock_deadline(s->sndtimeo_ns);
    if (!t || t->state == LISTEN || t->state == SYN_SENT || t->state == SYN_RECEIVED)
        return t && t->state == SYN_SENT && nonblock ? -EAGAIN : -ENOTCONN;
    while (done < n) {
        if (t->error) return done ? (ssize_t)done : -tcp_take_error(s);
        if (s->shut_wr || t->fin_queued || (t->state != ESTABLISHED && t->state != CLOSE_WAIT))
            return done ? (ssize_t)done : -EPIPE;
        /* blocking, wait for SND_LOWAT free (or what is left to write), so
         * data is copied and sent in big pieces; non-blocking takes any room */
        u32 room = SNDBUF - t->sbuf_len;
        if (room == 0 || (!nonblock && room < MIN((size_t)SND_LOWAT, n - done))) {
            if (nonblock) return done ? (ssize_t)done : -EAGAIN;
            if (net_sleep(t, deadline) == -ETIMEDOUT) return done ? (ssize_t)done : -EAGAIN;
            if (signal_pending(cur)) return done ? (ssize_t)done : -EINTR;
            continue;
        }
        u32 c = (u32)MIN(n - done, room);
        if (ring_write(t->sbuf, SNDBUF, t->sbuf_start + t->sbuf_len, (const u8 *)buf + done, c, user))
            return done ? (ssize_t)done : -EFAULT;
        t->sbuf_len += c;
        done += c;
        tcp_output(t);
    }
    return done;
}

ssize_t tcp_recv(struct socket *s, void *buf, size_t n, int flags, bool nonblock, bool user)
{
    struct tcb *t = s->tcb;
    u64 deadline = sock_deadline(s->rcvtimeo_ns);
    if (!t || t->state == LISTEN) return -ENOTCONN;
    if (t->state == SYN_SENT) { if (nonblock) return -EAGAIN; }
    while (!t->rbuf_len) {
        if (t->error) return -tcp_take_error(s);
        if (t->fin_received || s->shut_rd || t->state == CLOSED) return 0;
        if (nonblock) return -EAGAIN;
        if (net_sleep(t, deadline) == -ETIMEDOUT && !t->rbuf_len) return -EAGAIN;
        if (signal_pending(cur)) return -EINTR;
    }
    u32 c = (u32)MIN(n, t->rbuf_len);
    if (ring_read(t->rbuf, RCVBUF, t->rbuf_start, buf, c, user)) return -EFAULT;
    if (flags & MSG_PEEK) return c;
    t->rbuf_start = (t->rbuf_start + c) % RCVBUF;
    t->rbuf_len -= c;
    /* the window opened a lot since we last told the peer: tell it now */
    if (t->state >= ESTABLISHED && t->state != TIME_WAIT && t->adv_wnd < RCVBUF / 2 && rcv_window(t) >= RCVBUF / 2)
        send_ack(t);
    return c;
}

int tcp_shutdown(struct socket *s, bool rd, bool wr)
{
    struct tcb *t = s->tcb;
    if (!t || t->state == CLOSED || t->state == LISTEN || t->state == SYN_SENT) return -ENOTCONN;
    if (rd) { s->shut_rd = true; notify(t); }
    if (wr && !t->fin_queued) {
        s->shut_wr = true;
        t->fin_queued = true;
        if (t->state == ESTABLISHED) t->state = FIN_WAIT_1;
        else if (t->state == CLOSE_WAIT) t->state = LAST_ACK;
        tcp_output(t);
        notify(t);
    }
    return 0;
}

int tcp_poll(struct socket *s)
{
    struct tcb *t = s->tcb;
    if (!t) return POLLOUT | POLLHUP;
    if (t->state == LISTEN) return t->acceptq ? POLLIN : 0;
    int m = 0;
    if (t->rbuf_len || t->fin_received || s->shut_rd) m |= POLLIN;
    if (t->fin_received) m |= POLLRDHUP;
    if ((t->state == ESTABLISHED || t->state == CLOSE_WAIT) && !t->fin_queued && SNDBUF - t->sbuf_len >= SND_LOWAT) m |= POLLOUT;
    if (t->error) m |= POLLERR;
    if (t->state == CLOSED) m |= POLLHUP | POLLIN | (t->error ? POLLERR : 0);
    if (t->fin_received && t->fin_queued) m |= POLLHUP;
    return m;
}

int tcp_take_error(struct socket *s)
{
    struct tcb *t = s->tcb;
    int e = t ? t->error : 0;
    if (t) t->error = 0;
    return e;
}

/* close(): a listener resets its unaccepted children; a connection sends
 * its FIN and lives on (orphaned) until the handshake ends or times out. */
void tcp_close(struct socket *s)
{
    struct tcb *t = s->tcb;
    if (!t) return;
    s->tcb = NULL;
    if (t->state == LISTEN) {
        for (int guard = 0; guard < 4096 && (t->synq || t->acceptq); guard++) {
            struct tcb *c = t->synq ? t->synq : t->acceptq;
            send_segment(c, c->snd_nxt, RST | ACK, 0, 0);
            c->sock = NULL;
            tcb_closed(c, 0);
        }
        t->sock = NULL;
        tcb_closed(t, 0);
        return;
    }
    t->sock = NULL;
    switch (t->state) {
    case ESTABLISHED: case CLOSE_WAIT:
        t->fin_queued = true;
        t->state = t->state == ESTABLISHED ? FIN_WAIT_1 : LAST_ACK;
        tcp_output(t);
        break;
    case FIN_WAIT_2:
        t->tw_at = time_ns() + FIN_WAIT_2_NS;
        break;
    case FIN_WAIT_1: case CLOSING: case LAST_ACK: case TIME_WAIT:
        break;
    default:    /* CLOSED, SYN_SENT */
        tcb_closed(t, 0);
    }
}
