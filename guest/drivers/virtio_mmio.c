/* virtio-mmio version 2 transport: find devices (cmdline or QEMU microvm's
 * windows), negotiate, set up one split virtqueue per device. */
#include "kernel.h"
#include "virtio.h"
#include "boot.h"
#include "trap.h"
#include "apic.h"

static u32 rd(struct virtio_dev *d, u32 off) { return *(volatile u32 *)(d->base + off); }
static void wr(struct virtio_dev *d, u32 off, u32 v) { *(volatile u32 *)(d->base + off) = v; }

u32 virtio_cfg_read32(struct virtio_dev *d, u32 off) { return rd(d, 0x100 + off); }

/* Reset, negotiate features, set up nq split virtqueues (queue i in qs[i]),
 * then DRIVER_OK. */
/* What the device offers, read before negotiating (the device is reset). */
u64 virtio_offered_features(struct virtio_dev *d)
{
    wr(d, VIRTIO_MMIO_STATUS, 0);
    wr(d, VIRTIO_MMIO_STATUS, 1 | 2);
    wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    u64 f = (u64)rd(d, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
    wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    return f | rd(d, VIRTIO_MMIO_DEVICE_FEATURES);
}

int virtio_init_queues(struct virtio_dev *d, u64 features_wanted, struct virtq *qs, int nq)
{
    wr(d, VIRTIO_MMIO_STATUS, 0);
    wr(d, VIRTIO_MMIO_STATUS, 1 | 2);
    wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    u64 f = (u64)rd(d, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
    wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    f |= rd(d, VIRTIO_MMIO_DEVICE_FEATURES);
    if (!(f & VIRTIO_F_VERSION_1)) return -1;
    f &= features_wanted | VIRTIO_F_VERSION_1;
    d->features = f;
    wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    wr(d, VIRTIO_MMIO_DRIVER_FEATURES, f >> 32);
    wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (u32)f);
    wr(d, VIRTIO_MMIO_STATUS, 1 | 2 | 8);
    if (!(rd(d, VIRTIO_MMIO_STATUS) & 8)) return -1;

    for (int i = 0; i < nq; i++) {
        struct virtq *q = &qs[i];
        wr(d, VIRTIO_MMIO_QUEUE_SEL, i);
        u32 max = rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
        if (max == 0) return -1;
        q->num = max < VQ_SIZE ? max : VQ_SIZE;
        u64 pd = page_alloc(), pa = page_alloc(), pu = page_alloc();
        if (!pd || !pa || !pu) return -1;
        q->desc = P2V(pd);
        q->avail = P2V(pa);
        q->used = P2V(pu);
        wr(d, VIRTIO_MMIO_QUEUE_NUM, q->num);
        wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (u32)pd);
        wr(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, pd >> 32);
        wr(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (u32)pa);
        wr(d, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, pa >> 32);
        wr(d, VIRTIO_MMIO_QUEUE_USED_LOW, (u32)pu);
        wr(d, VIRTIO_MMIO_QUEUE_USED_HIGH, pu >> 32);
        wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
    }
    wr(d, VIRTIO_MMIO_STATUS, 1 | 2 | 4 | 8);
    return 0;
}

int virtio_init_dev(struct virtio_dev *d, u64 features_wanted)
{
    return virtio_init_queues(d, features_wanted, &d->vq, 1);
}

void virtio_notify_queue(struct virtio_dev *d, u32 q) { wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, q); }
void virtio_notify(struct virtio_dev *d) { wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0); }

u32 virtio_ack_irq(struct virtio_dev *d)
{
    u32 s = rd(d, VIRTIO_MMIO_INTERRUPT_STATUS);
    if (s) wr(d, VIRTIO_MMIO_INTERRUPT_ACK, s);
    return s;
}

static void found(u64 phys, int gsi)
{
    static struct virtio_dev devs[8];
    static int ndev;
    if (ndev == (int)ARRAY_SIZE(devs)) return;
    struct virtio_dev *d = &devs[ndev];
    d->base = (u64)P2V(phys);
    d->gsi = gsi;
    if (rd(d, VIRTIO_MMIO_MAGIC) != 0x74726976) return;
    u32 ver = rd(d, VIRTIO_MMIO_VERSION), id = rd(d, VIRTIO_MMIO_DEVICE_ID);
    if (id == 0) return;
    if (ver != 2) {
        printk("osbox-guest: virtio-mmio at %lx is version %u; need 2 (QEMU: -global virtio-mmio.force-legacy=false)\n", phys, ver);
        return;
    }
    d->device_id = id;
    ndev++;
    if (id == VIRTIO_ID_BLOCK) virtio_blk_attach(d);
    if (id == VIRTIO_ID_NET) virtio_net_attach(d);
}

void virtio_probe(void)
{
    int n = 0;
    /* virtio_mmio.device=SIZE@BASE:IRQ, possibly several, among the kernel's
     * words: those before " -- " (after it, init's arguments) */
    static const char key[] = "virtio_mmio.device=";
    bool q = false;
    for (const char *p = boot_cmdline; *p;) {
        while (*p == ' ') p++;
        if (!q && p[0] == '-' && p[1] == '-' && (p[2] == ' ' || !p[2])) break;
        const char *w = p;
        for (; *p && (q || *p != ' '); p++)
            if (*p == '"') q = !q;
        if (strncmp(w, key, sizeof key - 1)) continue;
        const char *s = w + sizeof key - 1, *e;
        parse_long(s, &e);
        if (*e == 'K' || *e == 'k') e++;
        if (*e != '@') continue;
        u64 base = parse_long(e + 1, &e);
        if (*e != ':') continue;
        int irq = (int)parse_long(e + 1, &e);
        found(base, irq);
        n++;
    }
    if (n) return;
    /* QEMU microvm fills its windows from the last one down; their GSIs
     * start at 24 when it has a second I/O APIC, else at 5 */
    int gsi0 = ioapic2_present() ? 24 : OSBOX_MICROVM_MMIO_GSI0;
    for (int i = OSBOX_MICROVM_MMIO_COUNT - 1; i >= 0; i--)
        found(OSBOX_MICROVM_MMIO_BASE + (u64)i * OSBOX_MICROVM_MMIO_SIZE, gsi0 + i);
}
