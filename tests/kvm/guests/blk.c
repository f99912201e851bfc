/* mode=blk and mode=evil: a minimal virtio-mmio v2 block driver.
 * blk: read sector 0, write sector 1, flush, get-id, out-of-range read,
 *      write to a read-only second disk; the interrupt arrives via irqfd.
 * evil: hand the device malformed queues and chains; the monitor must
 *      survive, flag NEEDS_RESET, and work again after a reset. */
#include "guest.h"

#define VBASE 0xd0000000UL
#define QSZ 8

struct desc { u64 addr; u32 len; u16 flags, next; };
struct req { u32 type, reserved; u64 sector; };

static struct desc descs[QSZ] __attribute__((aligned(4096)));
static struct { u16 flags, idx, ring[QSZ]; } avail __attribute__((aligned(4096)));
static struct { u16 flags, idx; struct { u32 id, len; } ring[QSZ]; } used __attribute__((aligned(4096)));
static struct req hdr;
static u8 data[1024] __attribute__((aligned(512)));
static u8 status;

extern void isr_virtio(void);

static int fail(const char *why)
{
    puts("blk FAIL: ");
    puts(why);
    puts("\n");
    return 1;
}

static u32 r(u64 base, u32 off) { return mmio_r32(base + off); }
static void w(u64 base, u32 off, u32 v) { mmio_w32(base + off, v); }

/* Negotiate and set up queue 0 at the given ring addresses. */
static int setup(u64 base, u64 d, u64 a, u64 u)
{
    if (r(base, 0) != 0x74726976 || r(base, 4) != 2 || r(base, 8) != 2)
        return -1;
    w(base, 0x70, 0);
    w(base, 0x70, 1 | 2);
    w(base, 0x24, 1); w(base, 0x20, 1);    /* VIRTIO_F_VERSION_1 */
    w(base, 0x24, 0); w(base, 0x20, 1 << 9); /* FLUSH */
    w(base, 0x70, 1 | 2 | 8);
    if (!(r(base, 0x70) & 8))
        return -2;
    w(base, 0x30, 0);
    if (r(base, 0x34) < QSZ)
        return -3;
    w(base, 0x38, QSZ);
    w(base, 0x80, (u32)d); w(base, 0x84, (u32)(d >> 32));
    w(base, 0x90, (u32)a); w(base, 0x94, (u32)(a >> 32));
    w(base, 0xa0, (u32)u); w(base, 0xa4, (u32)(u >> 32));
    memset(&avail, 0, sizeof avail);
    memset(&used, 0, sizeof used);
    w(base, 0x44, 1);
    w(base, 0x70, 1 | 2 | 4 | 8);
    return 0;
}

static int setup_default(u64 base)
{
    return setup(base, (u64)descs, (u64)&avail, (u64)&used);
}

/* Publish chain head 0 and kick; wait for the used index to move. */
static int kick(u64 base)
{
    u16 old = used.idx;
    avail.ring[avail.idx % QSZ] = 0;
    barrier();
    avail.idx++;
    barrier();
    w(base, 0x50, 0);
    for (u64 end = rdtsc() + 2000ULL * 3000000ULL; *(volatile u16 *)&used.idx == old;)
        if (rdtsc() > end)
            return -1;
    return 0;
}

/* One request: header, optional data buffer, status byte. */
static int request_buf(u64 base, u32 type, u64 sector, void *buf, u32 len, int device_writes)
{
    hdr = (struct req){ type, 0, sector };
    *(volatile u8 *)&status = 0xff;
    descs[0] = (struct desc){ (u64)&hdr, sizeof hdr, 1, 1 };
    int n = 1;
    if (len) {
        descs[1] = (struct desc){ (u64)buf, len, (u16)(1 | (device_writes ? 2 : 0)), 2 };
        n = 2;
    }
    descs[n] = (struct desc){ (u64)&status, 1, 2, 0 };
    descs[n - 1].next = (u16)n;
    if (kick(base) < 0)
        return -100;
    return *(volatile u8 *)&status;
}

static int request(u64 base, u32 type, u64 sector, u32 len, int device_writes)
{
    return request_buf(base, type, sector, data, len, device_writes);
}

/* mode=blkread: read `mib` MiB sequentially in 64 KiB requests (a benchmark). */
int mode_blkread(u32 mib)
{
    static u8 big[65536] __attribute__((aligned(4096)));

    if (setup_default(VBASE) < 0)
        return fail("setup");
    for (u64 off = 0; off < (u64)mib << 20; off += sizeof big)
        if (request_buf(VBASE, 0, off / 512, big, sizeof big, 1) != 0)
            return fail("sequential read failed");
    puts("blkread done\n");
    return 0;
}

int mode_blk(void)
{
    static const char want0[] = "OSBOX-DISK-SECTOR0";
    static const char wrote[] = "GUEST-WROTE-SECTOR1";
    u64 ro = VBASE + 0x200;
    int s;

    outb(0x21, 0xff);
    outb(0xa1, 0xff);
    set_idt_gate(34, isr_virtio);
    mmio_w32(0xfee000f0, 0x1ff);
    mmio_w32(0xfec00000, 0x10 + 2 * 5 + 1);
    mmio_w32(0xfec00010, 0);
    mmio_w32(0xfec00000, 0x10 + 2 * 5);
    mmio_w32(0xfec00010, 34);              /* IRQ 5 -> vector 34 */
    __asm__ volatile("sti");

    if (setup_default(VBASE) < 0)
        return fail("no virtio-blk device at 0xd0000000 or negotiation failed");
    if ((s = request(VBASE, 0, 0, 512, 1)) != 0) {
        put_dec((u64)(long)s);
        return fail(" <- status of the read of sector 0");
    }
    if (memcmp(data, want0, sizeof want0 - 1))
        return fail("sector 0 does not hold the host's pattern");
    memset(data, 0, 512);
    memcpy(data, wrote, sizeof wrote);
    if ((s = request(VBASE, 1, 1, 512, 0)) != 0) {
        put_dec((u64)(long)s);
        return fail(" <- status of the write of sector 1");
    }
    if (request(VBASE, 4, 0, 0, 0) != 0)
        return fail("flush failed");
    memset(data, 0, 32);
    if (request(VBASE, 8, 0, 20, 1) != 0)
        return fail("get-id failed");
    puts("disk id: ");
    puts((const char *)data);
    puts("\n");
    if (request(VBASE, 0, 1ULL << 40, 512, 1) != 1)
        return fail("read beyond the end did not fail with IOERR");
    if (request(VBASE, 77, 0, 0, 0) != 2)
        return fail("unknown request type did not fail with UNSUPP");
    if (wait_change(&virtio_irqs, 0, 2000) < 0)
        return fail("no interrupt from the device");
    if (r(VBASE, 0x60) & 1)
        w(VBASE, 0x64, 1);
    if (r(ro, 0) == 0x74726976) {
        if (setup_default(ro) < 0)
            return fail("second disk negotiation failed");
        if (!(r(ro, 0x10) & (1 << 5)))
            return fail("read-only disk does not offer VIRTIO_BLK_F_RO");
        if (request(ro, 1, 0, 512, 0) != 1)
            return fail("write to a read-only disk did not fail");
        puts("read-only disk refused the write\n");
    }
    __asm__ volatile("cli");
    puts("blk ok, interrupts ");
    put_dec(virtio_irqs);
    puts("\n");
    return 0;
}

/* The device must flag NEEDS_RESET within a bounded time. */
static int needs_reset(const char *what)
{
    u64 end = rdtsc() + 2000ULL * 3000000ULL;
    while (!(r(VBASE, 0x70) & 0x40))
        if (rdtsc() > end) {
            fail(what);
            return 0;
        }
    puts("device flagged: ");
    puts(what);
    puts("\n");
    return 1;
}

static void publish(void)
{
    avail.ring[avail.idx % QSZ] = 0;
    barrier();
    avail.idx++;
    barrier();
    w(VBASE, 0x50, 0);
}

int mode_evil(void)
{
    int ok = 1;

    outb(0x21, 0xff);
    outb(0xa1, 0xff);
    /* 1: a buffer outside guest RAM */
    if (setup_default(VBASE) < 0)
        return fail("setup");
    hdr = (struct req){ 0, 0, 0 };
    descs[0] = (struct desc){ (u64)&hdr, 16, 1, 1 };
    descs[1] = (struct desc){ 0x30000000UL, 512, 3, 2 };
    descs[2] = (struct desc){ (u64)&status, 1, 2, 0 };
    publish();
    ok &= needs_reset("buffer outside RAM");
    /* 2: a descriptor loop */
    setup_default(VBASE);
    descs[0] = (struct desc){ (u64)&hdr, 16, 1, 1 };
    descs[1] = (struct desc){ (u64)data, 512, 1, 0 };
    publish();
    ok &= needs_reset("descriptor loop");
    /* 3: a huge length */
    setup_default(VBASE);
    descs[0] = (struct desc){ (u64)&hdr, 16, 1, 1 };
    descs[1] = (struct desc){ (u64)data, 0xfffffff0u, 3, 2 };
    descs[2] = (struct desc){ (u64)&status, 1, 2, 0 };
    publish();
    ok &= needs_reset("huge length");
    /* 4: an available index far ahead */
    setup_default(VBASE);
    avail.idx = 1000;
    barrier();
    w(VBASE, 0x50, 0);
    ok &= needs_reset("available index jump");
    /* 5: rings outside RAM */
    setup(VBASE, 0x3ff00000UL, (u64)&avail, (u64)&used);
    ok &= needs_reset("ring outside RAM");
    /* 6: a notify for a queue that does not exist */
    setup_default(VBASE);
    w(VBASE, 0x50, 7);
    /* The device still works after all that. */
    if (setup_default(VBASE) < 0 || request(VBASE, 0, 0, 512, 1) != 0)
        return fail("device does not work after a reset");
    puts(ok ? "evil ok\n" : "evil FAIL\n");
    return ok ? 0 : 1;
}
