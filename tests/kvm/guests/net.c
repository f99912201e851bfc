/* mode=net and mode=netevil: a minimal virtio-mmio v2 net driver (polled,
 * no interrupts) to test the monitor's virtio-net without the osbox guest.
 * net:     send a hello frame (ethertype 0x88b5, broadcast), then for at most
 *          ~60 s answer ARP for our ip= address, ICMP echo, UDP (echoed on
 *          any port), and raw 0x88b5 frames "PING..." with "PONG..."; a "QUIT" frame ends the guest.
 * netevil: flood the device with junk frames and malformed chains; each
 *          protocol break must raise NEEDS_RESET, the device must work again
 *          after a reset, and a final hello frame must get out. */
#include "guest.h"

#define QSZ 8
#define BUFSZ 2048
#define HDR 12
#define ETH_TEST 0x88b5

struct desc { u64 addr; u32 len; u16 flags, next; };
struct ring {
    struct desc d[QSZ];
    struct { u16 flags, idx, ring[QSZ]; } avail __attribute__((aligned(4096)));
    struct { u16 flags, idx; struct { u32 id, len; } ring[QSZ]; } used __attribute__((aligned(4096)));
} __attribute__((aligned(4096)));

static struct ring rxr, txr;
static u8 rxbuf[QSZ][BUFSZ] __attribute__((aligned(4096)));
static u8 txbuf[QSZ][BUFSZ] __attribute__((aligned(4096)));
static u64 base;
static u8 mac[6];
static u8 myip[4], gwip[4];
static u16 rx_last, tx_n;
static u32 pings;

static u32 r(u32 off) { return mmio_r32(base + off); }
static void w(u32 off, u32 v) { mmio_w32(base + off, v); }

static int fail(const char *why)
{
    puts("net FAIL: ");
    puts(why);
    puts("\n");
    return 1;
}

static int find_device(void)
{
    for (int i = 0; i < 9; i++) {
        u64 b = 0xd0000000UL + 0x200UL * (u64)i;
        if (mmio_r32(b) == 0x74726976 && mmio_r32(b + 8) == 1) {
            base = b;
            return 0;
        }
    }
    return -1;
}

static void queue(int q, struct ring *rg)
{
    u64 d = (u64)rg->d, a = (u64)&rg->avail, u = (u64)&rg->used;
    memset(rg, 0, sizeof *rg);
    w(0x30, (u32)q);
    w(0x38, QSZ);
    w(0x80, (u32)d); w(0x84, (u32)(d >> 32));
    w(0x90, (u32)a); w(0x94, (u32)(a >> 32));
    w(0xa0, (u32)u); w(0xa4, (u32)(u >> 32));
    w(0x44, 1);
}

/* Reset, negotiate VERSION_1 + MAC, set up both queues, post receive buffers. */
static int setup(u32 rx_len)
{
    w(0x70, 0);
    w(0x70, 1 | 2);
    w(0x24, 1); w(0x20, 1);
    w(0x24, 0); w(0x20, 1 << 5);
    w(0x70, 1 | 2 | 8);
    if (!(r(0x70) & 8))
        return -1;
    queue(0, &rxr);
    queue(1, &txr);
    for (int i = 0; i < 6; i++)
        mac[i] = *(volatile u8 *)(base + 0x100 + (u64)i);
    w(0x70, 1 | 2 | 4 | 8);
    for (int i = 0; i < QSZ; i++) {
        rxr.d[i] = (struct desc){ (u64)rxbuf[i], rx_len, 2, 0 };
        rxr.avail.ring[i] = (u16)i;
    }
    barrier();
    rxr.avail.idx = QSZ;
    barrier();
    w(0x50, 0);
    rx_last = 0;
    tx_n = 0;
    return 0;
}

/* Send one chain: header + frame in one buffer; wait until it is used. */
static int send_desc(struct desc d)
{
    u16 old = txr.used.idx;
    int slot = tx_n % QSZ;
    txr.d[slot] = d;
    txr.avail.ring[txr.avail.idx % QSZ] = (u16)slot;
    barrier();
    txr.avail.idx++;
    tx_n++;
    barrier();
    w(0x50, 1);
    for (u64 end = rdtsc() + 2000ULL * 3000000ULL; *(volatile u16 *)&txr.used.idx == old;)
        if (rdtsc() > end)
            return -1;
    return 0;
}

static int send(const u8 *frame, u32 len)
{
    u8 *b = txbuf[tx_n % QSZ];
    memset(b, 0, HDR);
    memcpy(b + HDR, frame, len);
    return send_desc((struct desc){ (u64)b, HDR + len, 0, 0 });
}

static u16 be16(const u8 *p) { return (u16)(p[0] << 8 | p[1]); }
static void put16(u8 *p, u16 v) { p[0] = (u8)(v >> 8); p[1] = (u8)v; }

static u16 csum(const u8 *p, u32 len)
{
    u32 s = 0;
    for (u32 i = 0; i + 1 < len; i += 2)
        s += be16(p + i);
    if (len & 1)
        s += (u32)p[len - 1] << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (u16)~s;
}

static int hello(const char *what)
{
    u8 f[64];
    memset(f, 0xff, 6);
    memcpy(f + 6, mac, 6);
    put16(f + 12, ETH_TEST);
    memset(f + 14, 0, 50);
    memcpy(f + 14, what, 17);
    return send(f, 60);
}

static const char *parse_addr(const char *s, u8 *a)
{
    for (int i = 0; i < 4; i++) {
        u32 v = 0;
        while (*s >= '0' && *s <= '9')
            v = v * 10 + (u32)(*s++ - '0');
        a[i] = (u8)v;
        if (*s == '.')
            s++;
    }
    return s;
}

/* ip=ADDR/PREFIX::GATEWAY */
static void parse_ip(const char *s)
{
    s = parse_addr(s, myip);
    while (*s && !(s[0] == ':' && s[1] == ':'))
        s++;
    if (*s)
        parse_addr(s + 2, gwip);
}

/* Ask who has the gateway: the host's answer is a frame to receive. */
static void arp_gateway(void)
{
    u8 f[60] = { 0 };
    memset(f, 0xff, 6);
    memcpy(f + 6, mac, 6);
    put16(f + 12, 0x0806);
    put16(f + 14, 1);
    put16(f + 16, 0x0800);
    f[18] = 6, f[19] = 4;
    put16(f + 20, 1);
    memcpy(f + 22, mac, 6);
    memcpy(f + 28, myip, 4);
    memcpy(f + 38, gwip, 4);
    send(f, 60);
}

/* Answer one received frame in place; returns 1 for QUIT. */
static int answer(u8 *f, u32 len)
{
    u16 type = be16(f + 12);
    u8 tmp[6];

    if (len < 14)
        return 0;
    if (type == ETH_TEST && len >= 18 && !memcmp(f + 14, "QUIT", 4))
        return 1;
    if (type == ETH_TEST && len >= 18 && !memcmp(f + 14, "PING", 4)) {
        memcpy(f, f + 6, 6);
        memcpy(f + 6, mac, 6);
        f[15] = 'O';
        send(f, len);
        if (!pings++) /* once: each console byte is a VM exit */
            puts("net: answered a raw PING\n");
    } else if (type == 0x0806 && len >= 42 && be16(f + 20) == 1 && !memcmp(f + 38, myip, 4)) {
        memcpy(f, f + 6, 6);
        memcpy(f + 6, mac, 6);
        put16(f + 20, 2);
        memcpy(f + 32, f + 22, 10);   /* target := sender */
        memcpy(f + 22, mac, 6);
        memcpy(f + 28, myip, 4);
        send(f, 42);
    } else if (type == 0x0800 && len >= 34 && f[23] == 1 && !memcmp(f + 30, myip, 4)) {
        u32 ihl = (u32)(f[14] & 15) * 4, tot = be16(f + 16);
        u8 *icmp = f + 14 + ihl;
        if (tot > len - 14 || ihl < 20 || tot < ihl + 8 || icmp[0] != 8)
            return 0;
        memcpy(tmp, f, 6);
        memcpy(f, f + 6, 6);
        memcpy(f + 6, tmp, 6);
        memcpy(tmp, f + 26, 4);
        memcpy(f + 26, f + 30, 4);
        memcpy(f + 30, tmp, 4);
        put16(f + 24, 0);
        put16(f + 24, csum(f + 14, ihl));
        icmp[0] = 0;
        put16(icmp + 2, 0);
        put16(icmp + 2, csum(icmp, tot - ihl));
        send(f, 14 + tot);
        puts("net: answered an ICMP echo\n");
    } else if (type == 0x0800 && len >= 42 && f[23] == 17 && !memcmp(f + 30, myip, 4)) {
        /* UDP echo on any port: swap ends, no UDP checksum (allowed in IPv4). */
        u32 ihl = (u32)(f[14] & 15) * 4, tot = be16(f + 16);
        u8 *udp = f + 14 + ihl;
        if (tot > len - 14 || ihl < 20 || tot < ihl + 8)
            return 0;
        memcpy(tmp, f, 6);
        memcpy(f, f + 6, 6);
        memcpy(f + 6, tmp, 6);
        memcpy(tmp, f + 26, 4);
        memcpy(f + 26, f + 30, 4);
        memcpy(f + 30, tmp, 4);
        memcpy(tmp, udp, 2);
        memcpy(udp, udp + 2, 2);
        memcpy(udp + 2, tmp, 2);
        put16(udp + 6, 0);
        send(f, 14 + tot);
        puts("net: echoed a UDP datagram\n");
    }
    return 0;
}

static int serve(void)
{
    u64 end = rdtsc() + 60000ULL * 3000000ULL, again = rdtsc() + 500ULL * 3000000ULL;
    int heard = 0;

    while (rdtsc() < end) {
        if (*(volatile u16 *)&rxr.used.idx == rx_last) {
            /* Until someone talks to us, repeat the hello (the host side
             * may not have been listening yet). */
            if (!heard && rdtsc() > again) {
                hello("OSBOX-GUEST-HELLO");
                again = rdtsc() + 500ULL * 3000000ULL;
            }
            __asm__ volatile("pause");
            continue;
        }
        barrier();
        u32 id = rxr.used.ring[rx_last % QSZ].id, len = rxr.used.ring[rx_last % QSZ].len;
        rx_last++;
        if (id >= QSZ || len < HDR || len > BUFSZ)
            return fail("bad used element");
        if (rxbuf[id][HDR - 2] != 1)
            return fail("num_buffers is not 1");
        if (len >= HDR + 14 && be16(rxbuf[id] + HDR + 12) == ETH_TEST)
            heard = 1; /* (IPv6 chatter from the host does not count) */
        int quit = answer(rxbuf[id] + HDR, len - HDR);
        rxr.avail.ring[rxr.avail.idx % QSZ] = (u16)id;
        barrier();
        rxr.avail.idx++;
        barrier();
        w(0x50, 0);
        if (quit) {
            puts("net: quit\n");
            return 0;
        }
    }
    return fail("timed out waiting for QUIT");
}

static int needs_reset(const char *what)
{
    for (u64 end = rdtsc() + 2000ULL * 3000000ULL; !(r(0x70) & 0x40);)
        if (rdtsc() > end) {
            fail(what);
            return 0;
        }
    puts("device flagged: ");
    puts(what);
    puts("\n");
    return 1;
}

static int evil(void)
{
    int ok = 1;
    u8 junk[1514];
    u32 x = 12345;

    /* Junk that is well-formed as far as virtio goes: runts, empty frames,
     * random bytes of random lengths. The TAP drops what it must. */
    for (int i = 0; i < 300; i++) {
        u32 len = (x = x * 1103515245 + 12345) >> 21; /* 0..2047 */
        if (len > sizeof junk)
            len = sizeof junk;
        for (u32 k = 0; k < len; k++)
            junk[k] = (u8)((x = x * 1103515245 + 12345) >> 24);
        if (send(junk, len) < 0)
            return fail("junk frame never used");
    }
    if (r(0x70) & 0x40)
        return fail("junk frames broke the device");
    puts("net: sent 300 junk frames\n");
    /* Malformed chains: each one breaks the device until a reset. */
    send_desc((struct desc){ (u64)txbuf[0], 100, 2, 0 });
    ok &= needs_reset("device-writable transmit buffer");
    setup(BUFSZ);
    send_desc((struct desc){ (u64)txbuf[0], 4, 0, 0 });
    ok &= needs_reset("transmit chain shorter than the header");
    setup(BUFSZ);
    send_desc((struct desc){ 0x3ff00000UL, 100, 0, 0 });
    ok &= needs_reset("transmit buffer outside RAM");
    setup(BUFSZ);
    send_desc((struct desc){ (u64)txbuf[0], 100, 1, (u16)(tx_n % QSZ) });
    ok &= needs_reset("transmit descriptor loop");
    setup(64);              /* receive buffers too small; hello makes the host answer */
    puts("net: posted tiny receive buffers\n");
    arp_gateway();
    ok &= needs_reset("receive buffers too small");
    if (setup(BUFSZ) < 0 || (r(0x70) & 0x40))
        return fail("device does not come back after a reset");
    if (hello("OSBOX-GUEST-AFTER") < 0)
        return fail("no transmit after the reset");
    puts(ok ? "netevil ok\n" : "netevil FAIL\n");
    return ok ? 0 : 1;
}

int mode_net(const char *ip, int bad)
{
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
    if (find_device() < 0)
        return fail("no virtio-net device");
    if (setup(BUFSZ) < 0)
        return fail("feature negotiation failed");
    if (ip)
        parse_ip(ip);
    puts("net: mac ");
    for (int i = 0; i < 6; i++)
        put_hex(mac[i]);
    puts("\n");
    if (hello("OSBOX-GUEST-HELLO") < 0)
        return fail("hello frame never used");
    return bad ? evil() : serve();
}
