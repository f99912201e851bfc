/* virtio-blk: one request in flight; the caller sleeps until the device's
 * interrupt (or the timer tick, as a safety net) shows it used. */
#include "kernel.h"
#include "virtio.h"
#include "blk.h"
#include "proc.h"
#include "trap.h"
#include "errno.h"

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_F_FLUSH (1UL << 9)

struct vblk {
    struct virtio_dev *dev;
    struct blkdev bd;
    struct { u32 type, rsv; u64 sector; } hdr __attribute__((aligned(16)));
    volatile u8 status;
    bool busy;
};
static struct vblk *disks[4];
static int ndisks;

static bool used_ready(struct vblk *v) { return v->dev->vq.used->idx != v->dev->vq.last_used; }

static void vblk_irq(void *arg)
{
    struct vblk *v = arg;
    virtio_ack_irq(v->dev);
    if (used_ready(v)) wakeup(v);
}

void blk_poll_all(void)
{
    for (int i = 0; i < ndisks; i++)
        if (disks[i]->busy && used_ready(disks[i])) wakeup(disks[i]);
}

/* One request: header, n data buffers, status byte. */
static int vblk_do(struct vblk *v, u32 type, u64 sector, void **bufs, u32 n, u32 len)
{
    while (v->busy) sleep_on_unintr(&v->busy);
    v->busy = true;
    struct virtq *q = &v->dev->vq;
    if (n + 2 > q->num) panic("virtio-blk: request of %u buffers exceeds queue size %u", n, q->num);
    v->hdr.type = type;
    v->hdr.rsv = 0;
    v->hdr.sector = sector;
    v->status = 0xff;
    q->desc[0] = (struct vring_desc){ V2P(&v->hdr), 16, VRING_DESC_F_NEXT, 1 };
    for (u32 i = 0; i < n; i++)
        q->desc[1 + i] = (struct vring_desc){ V2P(bufs[i]), len,
            VRING_DESC_F_NEXT | (type == VIRTIO_BLK_T_IN ? VRING_DESC_F_WRITE : 0), (u16)(2 + i) };
    q->desc[1 + n] = (struct vring_desc){ V2P(&v->status), 1, VRING_DESC_F_WRITE, 0 };
    q->avail->ring[q->avail->idx % q->num] = 0;
    barrier();
    q->avail->idx++;
    barrier();
    virtio_notify(v->dev);
    while (!used_ready(v)) sleep_on_unintr(v);
    q->last_used++;
    v->busy = false;
    wakeup(&v->busy);
    return v->status == 0 ? 0 : -EIO;
}

static int vblk_rw(struct blkdev *d, u64 sector, void *buf, u32 len, bool write)
{
    return vblk_do(d->priv, write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN, sector, &buf, 1, len);
}

static int vblk_rwv(struct blkdev *d, u64 sector, void **bufs, u32 n, u32 len, bool write)
{
    return vblk_do(d->priv, write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN, sector, bufs, n, len);
}

static int vblk_flush(struct blkdev *d)
{
    struct vblk *v = d->priv;
    if (!(v->dev->features & VIRTIO_BLK_F_FLUSH)) return 0;
    return vblk_do(v, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, 0);
}

void virtio_blk_attach(struct virtio_dev *d)
{
    if (ndisks == (int)ARRAY_SIZE(disks)) return;
    if (virtio_init_dev(d, VIRTIO_BLK_F_FLUSH)) {
        printk("osbox-guest: virtio-blk init failed\n");
        return;
    }
    struct vblk *v = kzalloc(sizeof *v);
    v->dev = d;
    v->bd.sectors = virtio_cfg_read32(d, 0) | (u64)virtio_cfg_read32(d, 4) << 32;
    v->bd.rw = vblk_rw;
    v->bd.rwv = vblk_rwv;
    v->bd.flush = vblk_flush;
    v->bd.priv = v;
    disks[ndisks++] = v;
    irq_register(d->gsi, vblk_irq, v);
    printk("osbox-guest: virtio-blk: %lu MiB (irq %d)\n", v->bd.sectors >> 11, d->gsi);
}

struct blkdev *blk_get(int i) { return i < ndisks ? &disks[i]->bd : NULL; }
