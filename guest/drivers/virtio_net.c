/* virtio-net over virtio-mmio v2: queue 0 receives, queue 1 transmits.
 *
 * Receive: every descriptor owns one 2 KiB buffer and is handed back to the
 * device as soon as its frame has been processed, so the ring stays full.
 * With GUEST_TSO4 the host may hand over one 64 KiB TCP segment instead of
 * 44 small ones; MRG_RXBUF spreads it over several buffers (the first
 * header says how many), which are gathered into one frame here.
 *
 * Transmit: the ring is cut into slots of TX_SLOT_DESCS descriptors.  A
 * slot's first descriptor points at its own small buffer, which holds the
 * virtio-net header and the frame's headers (or the whole frame when it is
 * small or its payload may change); the others point straight at a stable
 * payload, a TCP send ring, so a 64 KiB TSO segment is never copied by the
 * guest.  Memory a queued frame points at is freed only once the device has
 * handed every earlier slot back (free_after_tx).  A frame that finds no
 * free slot waits, cloned, in a short software queue (a dropped ACK or
 * window update would stall the peer until its persist timer fires).
 *
 * Offloads, when the device offers them: it completes our partial
 * checksums (CSUM), cuts TSO segments (HOST_TSO4), vouches for the
 * checksums of what it delivers (GUEST_CSUM) and delivers big segments
 * (GUEST_TSO4 with MRG_RXBUF), so the guest never sums a payload.  Without them pkt_csum_finish computes the checksum here. */
#include "kernel.h"
#include "virtio.h"
#include "trap.h"
#include "net.h"

#define VIRTIO_NET_F_CSUM (1UL << 0)
#define VIRTIO_NET_F_GUEST_CSUM (1UL << 1)
#define VIRTIO_NET_F_MAC (1UL << 5)
#define VIRTIO_NET_F_GUEST_TSO4 (1UL << 7)
#define VIRTIO_NET_F_HOST_TSO4 (1UL << 11)
#define VIRTIO_NET_F_MRG_RXBUF (1UL << 15)

/* struct virtio_net_hdr with num_buffers (VERSION_1), little-endian */
struct vnet_hdr { u8 flags, gso_type; u16 hdr_len, gso_size, csum_start, csum_offset, num_buffers; };
#define VNET_HDR_F_NEEDS_CSUM 1
#define VNET_HDR_F_DATA_VALID 2
#define VNET_HDR_GSO_TCPV4 1

#define VNET_BUF 2048
#define VNET_BACKLOG 512
#define TX_SLOT_DESCS (1 + PKT_FRAGS)   /* header buffer + payload pieces */
#define TX_COPY_MAX 256                 /* frames this small are copied whole */
#define ETH_ZLEN 60                     /* shortest frame, without the FCS */

struct pending { struct pending *next; struct pkt *p; };
struct deferred { struct deferred *next; void *mem; u64 seq; };

struct vnet {
    struct virtio_dev *dev;
    struct virtq q[2];      /* RX, TX */
    u8 *rxbuf[VQ_SIZE];
    u32 nslots, tx_next;
    u64 tx_seq;             /* frames ever queued */
    struct tx_slot { u8 *buf; bool busy; u64 seq; struct pkt *owned; } slot[VQ_SIZE / TX_SLOT_DESCS];
    struct pending *backlog, *backlog_tail;
    u32 backlog_len;
    struct deferred *deferred;
    u8 *rxbig;              /* a frame gathered from several buffers (MRG_RXBUF) */
    struct netdev nd;
};
#define RX_FRAME_MAX (ETH_HLEN + 65535)

static void post_rx(struct vnet *v, u16 id)
{
    struct virtq *q = &v->q[0];
    q->desc[id] = (struct vring_desc){ V2P(v->rxbuf[id]), VNET_BUF, VRING_DESC_F_WRITE, 0 };
    q->avail->ring[q->avail->idx % q->num] = id;
    barrier();
    q->avail->idx++;
}

/* a free transmit slot, or v->nslots */
static u32 free_tx_slot(struct vnet *v)
{
    for (u32 i = 0; i < v->nslots; i++) {
        u32 c = (v->tx_next + i) % v->nslots;
        if (!v->slot[c].busy) return c;
    }
    return v->nslots;
}

/* The virtio-net header that carries p's offload requests. */
static struct vnet_hdr offload_hdr(const struct pkt *p, u32 len)
{
    struct vnet_hdr h = { 0 };
    if (p->csum_partial) {
        h.flags = VNET_HDR_F_NEEDS_CSUM;
        h.csum_start = (u16)(len - p->l4_len);
        h.csum_offset = p->csum_off;
    }
    if (p->gso_mss) {
        h.gso_type = VNET_HDR_GSO_TCPV4;
        h.gso_size = p->gso_mss;
        h.hdr_len = (u16)(len - p->l4_len + p->l4_hdr_len);
    }
    return h;
}

/* Queue p in slot s.  `owned` (a clone from the backlog) is freed with the
 * slot's other memory once the device is done. */
static void post_tx(struct vnet *v, u32 s, struct pkt *p, struct pkt *owned)
{
    struct virtq *q = &v->q[1];
    struct tx_slot *sl = &v->slot[s];
    if (p->csum_partial && !(v->nd.offloads & NETDEV_TX_CSUM)) pkt_csum_finish(p);
    u32 len = pkt_len(p), hdrs = PKT_HEADROOM - p->head, d0 = s * TX_SLOT_DESCS;
    struct vnet_hdr h = offload_hdr(p, len);
    memcpy(sl->buf, &h, sizeof h);
    u8 *frame = sl->buf + sizeof h;
    if (len <= TX_COPY_MAX || !p->stable) {
        pkt_flatten(p, frame);
        if (len < ETH_ZLEN) { memset(frame + len, 0, ETH_ZLEN - len); len = ETH_ZLEN; }
        q->desc[d0] = (struct vring_desc){ V2P(sl->buf), (u32)(sizeof h + len), 0, 0 };
    } else {
        memcpy(frame, p->hdr + p->head, hdrs);
        q->desc[d0] = (struct vring_desc){ V2P(sl->buf), (u32)(sizeof h + hdrs), 0, 0 };
        u32 d = d0;
        for (u32 i = 0; i < p->nfrags; i++) {
            q->desc[d].flags = VRING_DESC_F_NEXT;
            q->desc[d].next = (u16)(d + 1);
            d++;
            q->desc[d] = (struct vring_desc){ V2P(p->frag[i].data), p->frag[i].len, 0, 0 };
        }
    }
    sl->busy = true;
    sl->seq = v->tx_seq++;
    sl->owned = owned;
    v->tx_next = s + 1;
    q->avail->ring[q->avail->idx % q->num] = (u16)d0;
    barrier();
    q->avail->idx++;
    barrier();
    virtio_notify_queue(v->dev, 1);
    v->nd.tx_frames++;
    if (p->gso_mss) net_tx_tso++;
}

/* Free deferred memory that no busy slot can point at any more: everything
 * deferred before the oldest frame still queued was queued. */
static void release_deferred(struct vnet *v)
{
    if (!v->deferred) return;
    u64 oldest = v->tx_seq;
    for (u32 i = 0; i < v->nslots; i++)
        if (v->slot[i].busy && v->slot[i].seq < oldest) oldest = v->slot[i].seq;
    for (struct deferred **pp = &v->deferred; *pp;) {
        struct deferred *d = *pp;
        if (d->seq <= oldest) { *pp = d->next; kfree(d->mem); kfree(d); }
        else pp = &d->next;
    }
}

static void vnet_free_after_tx(struct netdev *nd, void *mem)
{
    struct vnet *v = nd->priv;
    struct deferred *d = kmalloc(sizeof *d);
    if (!d) panic("virtio-net: no memory to defer a free");
    d->mem = mem;
    d->seq = v->tx_seq;     /* frames queued so far have smaller numbers */
    d->next = v->deferred;
    v->deferred = d;
    release_deferred(v);
}

/* Transmit slots come back through the used ring; free them and send what
 * waited for them. */
static void reclaim_tx(struct vnet *v)
{
    struct virtq *q = &v->q[1];
    for (u32 n = 0; n < q->num && q->used->idx != q->last_used; n++) {
        u32 id = q->used->ring[q->last_used % q->num].id;
        q->last_used++;
        if (id % TX_SLOT_DESCS || id / TX_SLOT_DESCS >= v->nslots) continue;
        struct tx_slot *sl = &v->slot[id / TX_SLOT_DESCS];
        sl->busy = false;
        if (sl->owned) { struct pkt *o = sl->owned; sl->owned = NULL; vnet_free_after_tx(&v->nd, o); }
    }
    release_deferred(v);
    u32 s;
    while (v->backlog && (s = free_tx_slot(v)) < v->nslots) {
        struct pending *p = v->backlog;
        v->backlog = p->next;
        if (!v->backlog) v->backlog_tail = NULL;
        v->backlog_len--;
        post_tx(v, s, p->p, p->p);
        kfree(p);
    }
}

static void vnet_xmit(struct netdev *nd, struct pkt *p)
{
    struct vnet *v = nd->priv;
    u32 len = pkt_len(p);
    if ((len > VNET_BUF - sizeof(struct vnet_hdr) && !p->stable) || len > ETH_HLEN + IP_MAX_PAYLOAD + 20 ||
        (p->gso_mss && !(nd->offloads & NETDEV_TSO))) {
        nd->tx_dropped++;
        return;
    }
    reclaim_tx(v);
    u32 s = v->backlog ? v->nslots : free_tx_slot(v);
    if (s < v->nslots) { post_tx(v, s, p, NULL); return; }
    struct pending *w = v->backlog_len < VNET_BACKLOG ? kmalloc(sizeof *w) : NULL;
    struct pkt *c = w ? pkt_clone(p) : NULL;
    if (!c) { kfree(w); nd->tx_dropped++; return; }
    w->next = NULL;
    w->p = c;
    if (v->backlog_tail) v->backlog_tail->next = w; else v->backlog = w;
    v->backlog_tail = w;
    v->backlog_len++;
}

/* Copy the nbuf buffers of one merged frame, starting at used entry
 * `first`, into rxbig; returns its length or 0 if it does not fit. */
static u32 gather(struct vnet *v, u16 first, u32 nbuf)
{
    struct virtq *q = &v->q[0];
    u32 len = 0;
    for (u32 i = 0; i < nbuf; i++) {
        struct vring_used_elem e = q->used->ring[(u16)(first + i) % q->num];
        u32 skip = i ? 0 : sizeof(struct vnet_hdr);
        if (e.id >= q->num || e.len > VNET_BUF || e.len < skip || len + e.len - skip > RX_FRAME_MAX) return 0;
        memcpy(v->rxbig + len, v->rxbuf[e.id] + skip, e.len - skip);
        len += e.len - skip;
    }
    return len;
}

/* Interrupt: hand every received frame to Ethernet, repost its buffers. */
static void vnet_irq(void *arg)
{
    struct vnet *v = arg;
    struct virtq *q = &v->q[0];
    bool trust = v->dev->features & VIRTIO_NET_F_GUEST_CSUM;
    bool merged = v->dev->features & VIRTIO_NET_F_MRG_RXBUF;
    virtio_ack_irq(v->dev);
    bool posted = false;
    tcp_rx_batch_begin();
    for (u32 n = 0; n < q->num && q->used->idx != q->last_used; n++) {
        u16 first = q->last_used;
        struct vring_used_elem e = q->used->ring[first % q->num];
        const struct vnet_hdr *h = e.id < q->num ? (const struct vnet_hdr *)v->rxbuf[e.id] : NULL;
        u32 nbuf = merged && h && e.len >= sizeof *h && h->num_buffers > 1 ? h->num_buffers : 1;
        if (nbuf > q->num) nbuf = 1;        /* nonsense: treat it as one buffer, dropped below */
        if ((u16)(q->used->idx - first) < nbuf) break;     /* the rest is not published yet */
        bool csum_ok = trust && h && (h->flags & (VNET_HDR_F_NEEDS_CSUM | VNET_HDR_F_DATA_VALID));
        if (nbuf > 1) {
            u32 len = v->rxbig ? gather(v, first, nbuf) : 0;
            if (len) { v->nd.rx_frames++; eth_input(&v->nd, v->rxbig, len, csum_ok); }
            else v->nd.rx_dropped++;
        } else if (h && e.len > sizeof *h && e.len <= VNET_BUF) {
            v->nd.rx_frames++;
            eth_input(&v->nd, v->rxbuf[e.id] + sizeof *h, e.len - sizeof *h, csum_ok);
        } else {
            v->nd.rx_dropped++;
        }
        for (u32 i = 0; i < nbuf; i++) {
            u32 id = q->used->ring[(u16)(first + i) % q->num].id;
            if (id < q->num) post_rx(v, (u16)id);
        }
        q->last_used = (u16)(first + nbuf);
        posted = true;
    }
    if (posted) virtio_notify_queue(v->dev, 0);
    tcp_rx_batch_end();
    reclaim_tx(v);
}

void virtio_net_attach(struct virtio_dev *d)
{
    static bool have_one;
    if (have_one) return;   /* one interface */
    struct vnet *v = kzalloc(sizeof *v);
    u64 want = VIRTIO_NET_F_MAC | VIRTIO_NET_F_CSUM | VIRTIO_NET_F_HOST_TSO4 | VIRTIO_NET_F_GUEST_CSUM;
    /* big segments in, but only in 2 KiB pieces: 64 KiB receive buffers
     * would cost 4 MiB */
    u64 offered = virtio_offered_features(d);
    if ((offered & VIRTIO_NET_F_MRG_RXBUF) && (offered & VIRTIO_NET_F_GUEST_CSUM))
        want |= VIRTIO_NET_F_GUEST_TSO4 | VIRTIO_NET_F_MRG_RXBUF;
    if (!v || virtio_init_queues(d, want, v->q, 2)) {
        printk("osbox-guest: virtio-net init failed\n");
        return;
    }
    v->dev = d;
    v->nslots = v->q[1].num / TX_SLOT_DESCS;
    for (u32 i = 0; i < v->q[0].num; i++) {
        v->rxbuf[i] = kmalloc(VNET_BUF);
        if (!v->rxbuf[i]) { printk("osbox-guest: virtio-net: out of memory\n"); return; }
        post_rx(v, (u16)i);
    }
    if (d->features & VIRTIO_NET_F_MRG_RXBUF) {
        v->rxbig = kmalloc(RX_FRAME_MAX);
        if (!v->rxbig) { printk("osbox-guest: virtio-net: out of memory\n"); return; }
    }
    for (u32 i = 0; i < v->nslots; i++) {
        v->slot[i].buf = kmalloc(VNET_BUF);
        if (!v->slot[i].buf) { printk("osbox-guest: virtio-net: out of memory\n"); return; }
    }
    if (d->features & VIRTIO_NET_F_MAC) {
        for (int i = 0; i < ETH_ALEN; i++)
            v->nd.mac[i] = (u8)(virtio_cfg_read32(d, i & ~3) >> (8 * (i & 3)));
    } else {
        static const u8 fallback[ETH_ALEN] = { 0x52, 0x54, 0x00, 0x0b, 0x0b, 0x01 };
        memcpy(v->nd.mac, fallback, ETH_ALEN);
    }
    if (d->features & VIRTIO_NET_F_CSUM) v->nd.offloads |= NETDEV_TX_CSUM;
    if ((d->features & VIRTIO_NET_F_CSUM) && (d->features & VIRTIO_NET_F_HOST_TSO4)) v->nd.offloads |= NETDEV_TSO;
    v->nd.xmit = vnet_xmit;
    v->nd.free_after_tx = vnet_free_after_tx;
    v->nd.priv = v;
    have_one = true;
    irq_register(d->gsi, vnet_irq, v);
    virtio_notify_queue(d, 0);
    const u8 *m = v->nd.mac;
    printk("osbox-guest: virtio-net: mac %02x:%02x:%02x:%02x:%02x:%02x (irq %d)%s%s%s%s\n",
           m[0], m[1], m[2], m[3], m[4], m[5], d->gsi,
           v->nd.offloads & NETDEV_TX_CSUM ? " csum" : "", v->nd.offloads & NETDEV_TSO ? " tso" : "",
           d->features & VIRTIO_NET_F_GUEST_CSUM ? " rx-csum" : "",
           d->features & VIRTIO_NET_F_GUEST_TSO4 ? " rx-tso" : "");
    netdev_register(&v->nd);
}
