/* virtio-net over virtio-mmio v2: queue 0 receives, queue 1 transmits.
 * Every receive descriptor owns one 2 KiB buffer and is handed back to the
 * device as soon as its frame has been processed, so the receive ring stays
 * full.  A frame that finds the transmit ring full waits in a short software
 * queue and goes out as the device hands descriptors back (a dropped ACK or
 * window update would stall the peer until its persist timer fires).
 * No offloads: the stack computes every checksum itself. */
#include "kernel.h"
#include "virtio.h"
#include "trap.h"
#include "net.h"

#define VIRTIO_NET_F_MAC (1UL << 5)
#define VNET_HDR_LEN 12     /* struct virtio_net_hdr with num_buffers (VERSION_1) */
#define VNET_BUF 2048
#define VNET_BACKLOG 512

struct pending { struct pending *next; u32 len; u8 frame[]; };

struct vnet {
    struct virtio_dev *dev;
    struct virtq q[2];      /* RX, TX */
    u8 *rxbuf[VQ_SIZE], *txbuf[VQ_SIZE];
    bool tx_busy[VQ_SIZE];
    u32 tx_next;
    struct pending *backlog, *backlog_tail;
    u32 backlog_len;
    struct netdev nd;
};

static void post_rx(struct vnet *v, u16 id)
{
    struct virtq *q = &v->q[0];
    q->desc[id] = (struct vring_desc){ V2P(v->rxbuf[id]), VNET_BUF, VRING_DESC_F_WRITE, 0 };
    q->avail->ring[q->avail->idx % q->num] = id;
    barrier();
    q->avail->idx++;
}

/* a free transmit descriptor, or q->num */
static u32 free_tx_slot(struct vnet *v)
{
    struct virtq *q = &v->q[1];
    for (u32 i = 0; i < q->num; i++) {
        u32 c = (v->tx_next + i) % q->num;
        if (!v->tx_busy[c]) return c;
    }
    return q->num;
}

static void post_tx(struct vnet *v, u32 id, const void *frame, size_t len)
{
    struct virtq *q = &v->q[1];
    v->tx_next = id + 1;
    v->tx_busy[id] = true;
    memset(v->txbuf[id], 0, VNET_HDR_LEN);
    memcpy(v->txbuf[id] + VNET_HDR_LEN, frame, len);
    q->desc[id] = (struct vring_desc){ V2P(v->txbuf[id]), (u32)(VNET_HDR_LEN + len), 0, 0 };
    q->avail->ring[q->avail->idx % q->num] = (u16)id;
    barrier();
    q->avail->idx++;
    barrier();
    virtio_notify_queue(v->dev, 1);
    v->nd.tx_frames++;
}

/* Transmit descriptors come back through the used ring; free their slots
 * and send what waited for them. */
static void reclaim_tx(struct vnet *v)
{
    struct virtq *q = &v->q[1];
    for (u32 n = 0; n < q->num && q->used->idx != q->last_used; n++) {
        u32 id = q->used->ring[q->last_used % q->num].id;
        if (id < q->num) v->tx_busy[id] = false;
        q->last_used++;
    }
    u32 id;
    while (v->backlog && (id = free_tx_slot(v)) < q->num) {
        struct pending *p = v->backlog;
        v->backlog = p->next;
        if (!v->backlog) v->backlog_tail = NULL;
        v->backlog_len--;
        post_tx(v, id, p->frame, p->len);
        kfree(p);
    }
}

static void vnet_xmit(struct netdev *nd, const void *frame, size_t len)
{
    struct vnet *v = nd->priv;
    if (len > VNET_BUF - VNET_HDR_LEN) { nd->tx_dropped++; return; }
    reclaim_tx(v);
    u32 id = v->backlog ? v->q[1].num : free_tx_slot(v);
    if (id < v->q[1].num) { post_tx(v, id, frame, len); return; }
    struct pending *p = v->backlog_len < VNET_BACKLOG ? kmalloc(sizeof *p + len) : NULL;
    if (!p) { nd->tx_dropped++; return; }
    p->next = NULL;
    p->len = (u32)len;
    memcpy(p->frame, frame, len);
    if (v->backlog_tail) v->backlog_tail->next = p; else v->backlog = p;
    v->backlog_tail = p;
    v->backlog_len++;
}

/* Interrupt: hand every received frame to Ethernet, repost its buffer. */
static void vnet_irq(void *arg)
{
    struct vnet *v = arg;
    struct virtq *q = &v->q[0];
    virtio_ack_irq(v->dev);
    bool posted = false;
    for (u32 n = 0; n < q->num && q->used->idx != q->last_used; n++) {
        struct vring_used_elem e = q->used->ring[q->last_used % q->num];
        q->last_used++;
        if (e.id >= q->num) continue;
        if (e.len > VNET_HDR_LEN && e.len <= VNET_BUF) {
            v->nd.rx_frames++;
            eth_input(&v->nd, v->rxbuf[e.id] + VNET_HDR_LEN, e.len - VNET_HDR_LEN);
        } else {
            v->nd.rx_dropped++;
        }
        post_rx(v, (u16)e.id);
        posted = true;
    }
    if (posted) virtio_notify_queue(v->dev, 0);
    reclaim_tx(v);
}

void virtio_net_attach(struct virtio_dev *d)
{
    static bool have_one;
    if (have_one) return;   /* one interface */
    struct vnet *v = kzalloc(sizeof *v);
    if (!v || virtio_init_queues(d, VIRTIO_NET_F_MAC, v->q, 2)) {
        printk("osbox-guest: virtio-net init failed\n");
        return;
    }
    v->dev = d;
    for (u32 i = 0; i < v->q[0].num; i++) {
        v->rxbuf[i] = kmalloc(VNET_BUF);
        v->txbuf[i] = kmalloc(VNET_BUF);
        if (!v->rxbuf[i] || !v->txbuf[i]) { printk("osbox-guest: virtio-net: out of memory\n"); return; }
        post_rx(v, (u16)i);
    }
    if (d->features & VIRTIO_NET_F_MAC) {
        for (int i = 0; i < ETH_ALEN; i++)
            v->nd.mac[i] = (u8)(virtio_cfg_read32(d, i & ~3) >> (8 * (i & 3)));
    } else {
        static const u8 fallback[ETH_ALEN] = { 0x52, 0x54, 0x00, 0x0b, 0x0b, 0x01 };
        memcpy(v->nd.mac, fallback, ETH_ALEN);
    }
    v->nd.xmit = vnet_xmit;
    v->nd.priv = v;
    have_one = true;
    irq_register(d->gsi, vnet_irq, v);
    virtio_notify_queue(d, 0);
    const u8 *m = v->nd.mac;
    printk("osbox-guest: virtio-net: mac %02x:%02x:%02x:%02x:%02x:%02x (irq %d)\n",
           m[0], m[1], m[2], m[3], m[4], m[5], d->gsi);
    netdev_register(&v->nd);
}
