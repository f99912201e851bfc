/* Host-side tests of the guest kernel's TCP (guest/net/tcp.c) and Internet
 * checksum: segments are fed to tcp_input and what the stack sends is
 * captured at ip_output.  Covers the handshake through the SYN and accept
 * queues, the backlog limit, in-order/out-of-order data, RST for unknown
 * ports, retransmission with RTO backoff, FIN/TIME_WAIT, garbage, TSO
 * segments read in place from the send ring (guest/net/pkt.c), partial
 * checksums completed over odd-sized pieces, and the send ring's release
 * deferred until the device is done with it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <cmocka.h>

#include "../../guest/net/checksum.c"
#include "../../guest/net/pkt.c"
#include "../../guest/net/tcp.c"

/* ---- the kernel around tcp.c ---- */
struct netif netif = { .addr = 0x0a00020f, .mask = 0xffffff00 };
static u64 now_ns = 1000000000UL;
u64 time_ns(void) { return now_ns; }
void *kmalloc(size_t n) { return malloc(n); }
void *kzalloc(size_t n) { return calloc(1, n); }
void kfree(void *p) { free(p); }
int copy_from_user(void *dst, u64 src, size_t n) { memcpy(dst, (const void *)src, n); return 0; }
int copy_to_user(u64 dst, const void *src, size_t n) { memcpy((void *)dst, src, n); return 0; }
void panic(const char *fmt, ...) { fail_msg("panic: %s", fmt); abort(); }
static u32 gso_max;         /* what net_gso_max answers: 0 = no TSO */
u32 net_gso_max(u32 dst) { (void)dst; return gso_max; }
static int deferred_frees;
void net_free_after_tx(void *mem) { if (mem) deferred_frees++; free(mem); }
void wakeup(void *chan) { (void)chan; }
void net_notify(void) {}
void sleep_on(void *chan) { (void)chan; fail_msg("tcp slept in a test"); }
int sleep_on_timeout(void *chan, u64 d) { (void)chan; (void)d; fail_msg("tcp slept in a test"); return 0; }
int net_sleep(void *chan, u64 d) { return sleep_on_timeout(chan, d); }
bool signal_pending(struct proc *p) { (void)p; return false; }
bool ip_is_local(u32 dst) { return (dst >> 24) == 127; }
u32 ip_source_for(u32 dst) { return (dst >> 24) == 127 ? 0x7f000001 : netif.addr; }

#define GUEST 0x0a00020f
#define PEER 0x0a000201
static struct { u8 data[65536]; size_t len; u16 gso_mss; bool stable; } out[64];
static int nout;
static u16 watch_port;      /* nonzero: capture only segments to this peer port */
int ip_output(u32 dst, u8 proto, struct pkt *p)
{
    assert_int_equal(dst, PEER);
    assert_int_equal(proto, IPPROTO_TCP);
    /* every segment leaves with its checksum partial; completed, it is valid */
    assert_true(p->csum_partial);
    pkt_csum_finish(p);
    u8 *b = malloc(65536);
    size_t len = pkt_flatten(p, b);
    assert_int_equal(len, p->l4_len);
    assert_true(len <= 20 + 40 + IP_MAX_PAYLOAD);
    assert_int_equal(csum_fold(csum_add(csum_pseudo(GUEST, PEER, IPPROTO_TCP, (u16)len), b, len)), 0);
    if (!(watch_port && (b[2] << 8 | b[3]) != watch_port) && nout < 64) {
        memcpy(out[nout].data, b, len);
        out[nout].len = len;
        out[nout].gso_mss = p->gso_mss;
        out[nout].stable = p->stable;
        nout++;
    }
    free(b);
    return 0;
}

static struct tcp_hdr hdr_of(int i) { struct tcp_hdr h; memcpy(&h, out[i].data, sizeof h); return h; }

/* a segment from the peer */
static void seg(u16 sport, u16 dport, u32 seq, u32 ack, u8 flags, const char *data)
{
    u8 b[1500];
    size_t dl = data ? strlen(data) : 0;
    struct tcp_hdr h = { htons(sport), htons(dport), htonl(seq), htonl(ack), 5 << 4, flags, htons(65535), 0, 0 };
    memcpy(b, &h, sizeof h);
    if (dl) memcpy(b + 20, data, dl);
    u16 c = csum_fold(csum_add(csum_pseudo(PEER, GUEST, IPPROTO_TCP, (u16)(20 + dl)), b, 20 + dl));
    memcpy(b + 16, &c, 2);
    tcp_input(PEER, GUEST, b, 20 + dl, false);
}

static struct socket *listener(u16 port, int backlog)
{
    struct socket *s = calloc(1, sizeof *s);
    s->type = SOCK_STREAM;
    assert_int_equal(tcp_bind(s, 0, port), 0);
    assert_int_equal(tcp_listen(s, backlog), 0);
    return s;
}

/* handshake from peer port sport; returns the accepted socket and our ISS */
static struct socket *connect_in(struct socket *l, u16 sport, u32 *iss)
{
    nout = 0;
    seg(sport, l->lport, 1000, 0, SYN, NULL);
    assert_int_equal(nout, 1);
    struct tcp_hdr h = hdr_of(0);
    assert_int_equal(h.flags, SYN | ACK);
    assert_int_equal(ntohl(h.ack), 1001);
    assert_int_equal(out[0].data[20], 2);       /* MSS option */
    *iss = ntohl(h.seq);
    seg(sport, l->lport, 1001, *iss + 1, ACK, NULL);
    struct socket *c;
    assert_int_equal(tcp_accept(l, &c, true), 0);
    assert_int_equal(c->rport, sport);
    return c;
}

static void test_checksum_rfc1071(void **state)
{
    (void)state;
    const u8 d[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
    assert_int_equal(ntohs(csum_fold(csum_add(0, d, sizeof d))), (u16)~0xddf2);
    const u8 odd[] = { 0x00, 0x01, 0xf2 };
    assert_int_equal(ntohs(csum_fold(csum_add(0, odd, 3))), (u16)~(0x0001 + 0xf200));
}

static void test_handshake_queues_and_backlog(void **state)
{
    (void)state;
    struct socket *l = listener(8000, 2);
    struct socket *c;
    assert_int_equal(tcp_accept(l, &c, true), -EAGAIN);
    /* three SYNs: two fit in the SYN queue, the third is dropped */
    nout = 0;
    seg(40001, 8000, 1, 0, SYN, NULL);
    seg(40002, 8000, 1, 0, SYN, NULL);
    u64 dropped = tcp_syn_dropped;
    seg(40003, 8000, 1, 0, SYN, NULL);
    assert_int_equal(nout, 2);
    assert_int_equal(tcp_syn_dropped, dropped + 1);
    assert_int_equal(l->tcb->synq_len, 2);
    assert_false(tcp_poll(l) & POLLIN);
    /* final ACKs: SYN queue -> accept queue */
    seg(40001, 8000, 2, ntohl(hdr_of(0).seq) + 1, ACK, NULL);
    seg(40002, 8000, 2, ntohl(hdr_of(1).seq) + 1, ACK, NULL);
    assert_int_equal(l->tcb->synq_len, 0);
    assert_int_equal(l->tcb->acceptq_len, 2);
    assert_true(tcp_poll(l) & POLLIN);
    /* both queues full now: a new SYN is dropped too */
    nout = 0;
    seg(40004, 8000, 1, 0, SYN, NULL);
    assert_int_equal(nout, 0);
    assert_int_equal(tcp_accept(l, &c, true), 0);
    assert_int_equal(c->rport, 40001);
    tcp_close(c); free(c);
    assert_int_equal(tcp_accept(l, &c, true), 0);
    assert_int_equal(c->rport, 40002);
    tcp_close(c); free(c);
    tcp_close(l); free(l);
}

static void test_data_in_order_only(void **state)
{
    (void)state;
    struct socket *l = listener(8001, 4);
    u32 iss;
    struct socket *c = connect_in(l, 40010, &iss);
    char buf[64] = { 0 };
    assert_int_equal(tcp_recv(c, buf, sizeof buf, 0, true, false), -EAGAIN);
    nout = 0;
    seg(40010, 8001, 1006, iss + 1, ACK, "world");    /* out of order: a hole at 1001 */
    assert_int_equal(nout, 1);
    assert_int_equal(ntohl(hdr_of(0).ack), 1001);    /* duplicate ACK */
    assert_int_equal(tcp_recv(c, buf, sizeof buf, 0, true, false), -EAGAIN);
    seg(40010, 8001, 1001, iss + 1, ACK, "hello");
    assert_int_equal(ntohl(hdr_of(1).ack), 1006);
    assert_int_equal(tcp_recv(c, buf, sizeof buf, MSG_PEEK, true, false), 5);
    assert_int_equal(tcp_recv(c, buf, sizeof buf, 0, true, false), 5);
    assert_memory_equal(buf, "hello", 5);
    /* a retransmitted old segment is acknowledged, not delivered twice */
    nout = 0;
    seg(40010, 8001, 1001, iss + 1, ACK, "hello");
    assert_int_equal(nout, 1);
    assert_int_equal(tcp_recv(c, buf, sizeof buf, 0, true, false), -EAGAIN);
    /* FIN: read returns 0, state CLOSE_WAIT, our close sends FIN (LAST_ACK) */
    seg(40010, 8001, 1006, iss + 1, ACK | FIN, NULL);
    assert_int_equal(tcp_recv(c, buf, sizeof buf, 0, true, false), 0);
    assert_int_equal(c->tcb->state, CLOSE_WAIT);
    nout = 0;
    tcp_close(c); free(c);
    assert_int_equal(nout, 1);
    assert_true(hdr_of(0).flags & FIN);
    seg(40010, 8001, 1007, iss + 2, ACK, NULL);      /* LAST_ACK -> CLOSED, freed */
    nout = 0;
    seg(40010, 8001, 1007, iss + 2, ACK, NULL);      /* nobody home: RST */
    assert_int_equal(nout, 1);
    assert_true(hdr_of(0).flags & RST);
    tcp_close(l); free(l);
}

static void test_rst_for_unknown_ports(void **state)
{
    (void)state;
    nout = 0;
    seg(40020, 9, 5, 0, SYN, NULL);
    assert_int_equal(nout, 1);
    assert_int_equal(hdr_of(0).flags, RST | ACK);
    assert_int_equal(ntohl(hdr_of(0).ack), 6);
    seg(40020, 9, 5, 0, RST, NULL);                  /* never answer a RST */
    assert_int_equal(nout, 1);
}

static void test_retransmission_backoff_and_time_wait(void **state)
{
    (void)state;
    struct socket *l = listener(8002, 4);
    u32 iss;
    struct socket *c = connect_in(l, 40030, &iss);
    watch_port = 40030;     /* earlier tests' orphans retransmit their FINs meanwhile */
    nout = 0;
    assert_int_equal(tcp_send(c, "data", 4, true, false), 4);
    assert_int_equal(nout, 1);
    assert_int_equal(ntohl(hdr_of(0).seq), iss + 1);
    /* no ACK: the RTO (1 s initially) fires, then 2 s later again */
    now_ns += 999000000UL; tcp_timer();
    assert_int_equal(nout, 1);
    now_ns += 2000000UL; tcp_timer();
    assert_int_equal(nout, 2);
    assert_int_equal(ntohl(hdr_of(1).seq), iss + 1);
    now_ns += 1500000000UL; tcp_timer();
    assert_int_equal(nout, 2);
    now_ns += 600000000UL; tcp_timer();
    assert_int_equal(nout, 3);
    seg(40030, 8002, 1001, iss + 5, ACK, NULL);
    assert_int_equal(c->tcb->sbuf_len, 0);
    /* we close first: FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT -> gone after 2 MSL */
    nout = 0;
    struct tcb *t = c->tcb;
    tcp_close(c); free(c);
    assert_int_equal(t->state, FIN_WAIT_1);
    seg(40030, 8002, 1001, iss + 6, ACK, NULL);
    assert_int_equal(t->state, FIN_WAIT_2);
    seg(40030, 8002, 1001, iss + 6, ACK | FIN, NULL);
    assert_int_equal(t->state, TIME_WAIT);
    now_ns += 2 * MSL_NS + 1; tcp_timer();
    nout = 0;
    seg(40030, 8002, 1002, iss + 6, ACK, NULL);
    assert_true(hdr_of(0).flags & RST);
    watch_port = 0;
    tcp_close(l); free(l);
}

static void test_garbage_does_not_crash(void **state)
{
    (void)state;
    struct socket *l = listener(8003, 8);
    u32 iss;
    struct socket *c = connect_in(l, 40040, &iss);
    u64 bad = tcp_bad_segments;
    u8 b[200];
    srand(7);
    for (int i = 0; i < 20000; i++) {
        size_t n = (size_t)(rand() % (int)sizeof b);
        for (size_t k = 0; k < n; k++) b[k] = (u8)rand();
        if (n >= 20 && (i & 1)) {       /* half aimed at our ports, with a valid checksum */
            b[2] = 8003 >> 8; b[3] = 8003 & 0xff;
            b[0] = 40040 >> 8; b[1] = 40040 & 0xff;
            b[12] = (u8)((b[12] & 0xf0) | 0);
            b[16] = b[17] = 0;
            u16 cs = csum_fold(csum_add(csum_pseudo(PEER, GUEST, IPPROTO_TCP, (u16)n), b, n));
            memcpy(b + 16, &cs, 2);
        }
        nout = 0;
        tcp_input(PEER, GUEST, b, n, false);
        now_ns += 1000000UL;
        tcp_timer();
    }
    assert_true(tcp_bad_segments > bad);
    if (c->tcb) { tcp_close(c); }
    free(c);
    tcp_close(l); free(l);
}

/* The Internet checksum of a packet whose payload lies in odd-sized pieces
 * equals that of the same bytes in one piece. */
static void test_partial_checksum_over_pieces(void **state)
{
    (void)state;
    u8 data[3001];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (u8)(i * 7 + 3);
    for (u32 cut = 0; cut < 40; cut++) {
        struct pkt p;
        pkt_init(&p);
        pkt_add(&p, data, 999 + cut);
        pkt_add(&p, data + 999 + cut, 1001 - cut);
        pkt_add(&p, data + 2000, 1001);
        u8 *h = pkt_push(&p, 8);
        memset(h, 0, 8);
        h[4] = (u8)((3009) >> 8); h[5] = (u8)3009;
        pkt_l4_checksum(&p, GUEST, PEER, IPPROTO_UDP, 6);
        pkt_csum_finish(&p);
        assert_false(p.csum_partial);
        u8 flat[3009];
        assert_int_equal(pkt_flatten(&p, flat), sizeof flat);
        assert_int_equal(csum_fold(csum_add(csum_pseudo(GUEST, PEER, IPPROTO_UDP, sizeof flat), flat, sizeof flat)), 0);
    }
    /* a clone (the ARP queue's copy) keeps the request and completes it too */
    struct pkt p;
    pkt_init(&p);
    pkt_add(&p, data, 77);
    u8 *h = pkt_push(&p, 8);
    memset(h, 0, 8);
    h[5] = 85;
    pkt_l4_checksum(&p, GUEST, PEER, IPPROTO_UDP, 6);
    struct pkt *c = pkt_clone(&p);
    assert_true(c->csum_partial && c->stable);
    pkt_csum_finish(c);
    u8 flat[85];
    pkt_flatten(c, flat);
    assert_int_equal(csum_fold(csum_add(csum_pseudo(GUEST, PEER, IPPROTO_UDP, 85), flat, 85)), 0);
    free(c);
}

/* With a TSO device one write of 40000 bytes leaves as one segment the
 * device cuts at the MSS, its payload read in place; without, as MSS-sized
 * ones.  Closing frees the send ring through net_free_after_tx. */
static void test_tso_segments_and_deferred_free(void **state)
{
    (void)state;
    static u8 data[40000];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (u8)(i ^ (i >> 8));
    struct socket *l = listener(8004, 4);
    u32 iss;
    struct socket *c = connect_in(l, 40050, &iss);
    c->tcb->snd_wnd = 65535;
    gso_max = 65000;
    nout = 0;
    assert_int_equal(tcp_send(c, data, sizeof data, true, false), (ssize_t)sizeof data);
    assert_int_equal(nout, 1);
    assert_int_equal(out[0].len, 20 + sizeof data);
    assert_int_equal(out[0].gso_mss, 536);      /* the peer sent no MSS option */
    assert_true(out[0].stable);
    assert_memory_equal(out[0].data + 20, data, sizeof data);
    seg(40050, 8004, 1001, iss + 1 + sizeof data, ACK, NULL);
    /* without TSO: MSS-sized segments; the ring wraps at 65536, so one
     * segment's payload comes from two pieces */
    gso_max = 0;
    nout = 0;
    assert_int_equal(tcp_send(c, data, 30000, true, false), 30000);
    assert_int_equal(nout, 55);                 /* 55 x 536; Nagle holds the last 520 */
    seg(40050, 8004, 1001, iss + 1 + sizeof data + 55 * 536, ACK, NULL);
    assert_int_equal(nout, 56);                 /* all acknowledged: the 520 go */
    size_t off = 0;
    for (int i = 0; i < nout; i++) {
        assert_int_equal(out[i].gso_mss, 0);
        assert_memory_equal(out[i].data + 20, data + off, out[i].len - 20);
        off += out[i].len - 20;
    }
    assert_int_equal(off, 30000);
    int before = deferred_frees;
    seg(40050, 8004, 1001, iss + 1 + sizeof data + 30000, ACK | FIN, NULL);
    tcp_close(c); free(c);
    seg(40050, 8004, 1002, iss + 2 + sizeof data + 30000, ACK, NULL);  /* LAST_ACK -> CLOSED */
    assert_int_equal(deferred_frees, before + 1);
    tcp_close(l); free(l);
}

/* Nagle: a small write waits while data is unacknowledged, unless
 * TCP_NODELAY; with nothing in flight it goes at once. */
static void test_nagle_and_nodelay(void **state)
{
    (void)state;
    struct socket *l = listener(8005, 4);
    u32 iss;
    struct socket *c = connect_in(l, 40060, &iss);
    nout = 0;
    assert_int_equal(tcp_send(c, "one", 3, true, false), 3);
    assert_int_equal(nout, 1);                  /* nothing in flight: sent */
    assert_int_equal(tcp_send(c, "two", 3, true, false), 3);
    assert_int_equal(tcp_send(c, "six", 3, true, false), 3);
    assert_int_equal(nout, 1);                  /* held behind "one" */
    seg(40060, 8005, 1001, iss + 4, ACK, NULL);
    assert_int_equal(nout, 2);                  /* the ACK releases both, as one */
    assert_int_equal(out[1].len, 20 + 6);
    assert_memory_equal(out[1].data + 20, "twosix", 6);
    c->nodelay = true;
    assert_int_equal(tcp_send(c, "abc", 3, true, false), 3);
    assert_int_equal(nout, 3);                  /* TCP_NODELAY: no waiting */
    seg(40060, 8005, 1001, iss + 13, ACK, NULL);
    tcp_close(c); free(c);
    tcp_close(l); free(l);
}

/* Data delivered in one receive batch is acknowledged once, at its end;
 * outside a batch each segment is acknowledged at once. */
static void test_one_ack_per_receive_batch(void **state)
{
    (void)state;
    struct socket *l = listener(8006, 4);
    u32 iss;
    struct socket *c = connect_in(l, 40070, &iss);
    nout = 0;
    tcp_rx_batch_begin();
    seg(40070, 8006, 1001, iss + 1, ACK, "aaaa");
    seg(40070, 8006, 1005, iss + 1, ACK, "bbbb");
    seg(40070, 8006, 1009, iss + 1, ACK, "cccc");
    assert_int_equal(nout, 0);
    tcp_rx_batch_end();
    assert_int_equal(nout, 1);
    assert_int_equal(ntohl(hdr_of(0).ack), 1013);
    tcp_rx_batch_end();                         /* nothing pending: nothing sent */
    assert_int_equal(nout, 1);
    seg(40070, 8006, 1013, iss + 1, ACK, "dddd");
    assert_int_equal(nout, 2);
    char buf[32];
    assert_int_equal(tcp_recv(c, buf, sizeof buf, 0, true, false), 16);
    assert_memory_equal(buf, "aaaabbbbccccdddd", 16);
    tcp_close(c); free(c);
    tcp_close(l); free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checksum_rfc1071),
        cmocka_unit_test(test_handshake_queues_and_backlog),
        cmocka_unit_test(test_data_in_order_only),
        cmocka_unit_test(test_rst_for_unknown_ports),
        cmocka_unit_test(test_retransmission_backoff_and_time_wait),
        cmocka_unit_test(test_garbage_does_not_crash),
        cmocka_unit_test(test_partial_checksum_over_pieces),
        cmocka_unit_test(test_tso_segments_and_deferred_free),
        cmocka_unit_test(test_nagle_and_nodelay),
        cmocka_unit_test(test_one_ack_per_receive_batch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
