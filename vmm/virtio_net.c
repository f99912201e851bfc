/* virtio-net (virtio 1.x, section 5.1) over a TAP fd: one receive and one
 * transmit queue, a MAC in config space, link always up, no offloads.
 *
 * Everything runs on the transport's service thread. Transmit: each chain
 * is a 12-byte virtio_net_hdr (ignored: nothing was negotiated that would
 * give it meaning) followed by one Ethernet frame, written to the TAP in one
 * writev. Receive: a frame is read from the TAP into `pending` first and
 * then copied into the next posted buffer behind a zeroed header. When the
 * guest has posted no buffer the frame stays pending and the device stops
 * asking for the TAP fd (rx_stalled) until the guest kicks the receive
 * queue, so a full ring never turns into a busy loop; the kernel's TAP
 * queue holds (and eventually drops) what arrives meanwhile. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "virtio.h"

#define VIRTIO_ID_NET 1
#define VIRTIO_NET_F_MAC    (1ULL << 5)
#define VIRTIO_NET_F_STATUS (1ULL << 16)
#define VIRTIO_NET_S_LINK_UP 1

#define RXQ 0
#define TXQ 1
#define RX_BUDGET 64           /* frames per TAP wakeup; poll comes back for more */

struct __attribute__((packed)) net_config {
    uint8_t mac[6];
    uint16_t status;
};

struct virtio_net {
    struct virtio_dev dev;
    int tap;
    struct net_config config;
    bool rx_stalled;
    uint32_t pending_len;      /* 0: nothing pending */
    uint8_t pending[VIRTIO_NET_FRAME_MAX];
    struct virtio_net_stats stats;
};

static struct virtio_net *to_net(struct virtio_dev *d)
{
    return (struct virtio_net *)d;
}

static uint64_t net_features(struct virtio_dev *d)
{
    (void)d;
    return VIRTIO_F_VERSION_1 | VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS;
}

static const void *net_config(struct virtio_dev *d, uint32_t *len)
{
    *len = sizeof to_net(d)->config;
    return &to_net(d)->config;
}

/* Tell the driver about used buffers once per batch, not per frame. */
static void notify(struct virtio_dev *d, int q, int pushed)
{
    if (pushed && d->interrupt && virtq_should_notify(&d->vq[q]))
        d->interrupt(d);
}

int virtio_net_tx(struct virtio_dev *d, const char **why)
{
    struct virtio_net *n = to_net(d);
    struct virtq *q = &d->vq[TXQ];
    struct virtq_chain c;
    struct iovec iov[VIRTQ_MAX_CHAIN];
    int pushed = 0, r = 0;

    /* One pass over the ring per kick: the driver kicks again for more. */
    for (int i = 0; i < q->size; i++) {
        r = virtq_pop(q, d->mem, &c, why);
        if (r <= 0)
            break;
        if (c.writable) {
            *why = "transmit chain has a device-writable buffer";
            r = -1;
            break;
        }
        if (c.readable < VIRTIO_NET_HDR_LEN || c.readable > VIRTIO_NET_HDR_LEN + VIRTIO_NET_FRAME_MAX) {
            *why = c.readable < VIRTIO_NET_HDR_LEN ? "transmit chain shorter than the net header"
                                                   : "transmit frame longer than 65550 bytes";
            r = -1;
            break;
        }
        uint64_t skip = VIRTIO_NET_HDR_LEN;
        int niov = 0;
        for (int b = 0; b < c.n; b++) {
            if (skip >= c.buf[b].len) {
                skip -= c.buf[b].len;
                continue;
            }
            iov[niov++] = (struct iovec){ c.buf[b].host + skip, c.buf[b].len - skip };
            skip = 0;
        }
        /* A frame the TAP refuses (runt, TAP down or full) is dropped, as on a wire. */
        ssize_t w = niov ? writev(n->tap, iov, niov) : -1;
        if (w < 0)
            n->stats.tx_dropped++;
        else
            n->stats.tx_frames++;
        virtq_push(q, c.head, 0);
        pushed++;
    }
    notify(d, TXQ, pushed);
    return r < 0 ? -1 : 0;
}

/* Copy the pending frame into the next receive chain: 1 delivered, 0 no
 * buffer posted, <0 malformed chain. */
static int deliver(struct virtio_net *n, int *pushed, const char **why)
{
    struct virtio_dev *d = &n->dev;
    struct virtq *q = &d->vq[RXQ];
    struct virtq_chain c;
    uint8_t hdr[VIRTIO_NET_HDR_LEN] = { 0 };
    int r = virtq_pop(q, d->mem, &c, why);

    if (r <= 0)
        return r;
    if (c.readable) {
        *why = "receive chain has a device-readable buffer";
        return -1;
    }
    if (c.writable < VIRTIO_NET_HDR_LEN + VIRTIO_NET_MIN_RXBUF) {
        *why = "receive buffer smaller than 1526 bytes";
        return -1;
    }
    if (VIRTIO_NET_HDR_LEN + (uint64_t)n->pending_len > c.writable) {
        /* Bigger than the guest's buffers (an MTU above 1500 on the bridge):
         * drop the frame, keep the buffer for the next one. */
        q->last_avail--;
        n->stats.rx_dropped++;
        n->pending_len = 0;
        return 1;
    }
    hdr[10] = 1; /* num_buffers, little-endian */
    const uint8_t *src[2] = { hdr, n->pending };
    uint32_t left[2] = { sizeof hdr, n->pending_len }, total = sizeof hdr + n->pending_len;
    int s = 0;
    for (int b = 0; b < c.n && s < 2; b++) {
        uint8_t *dst = c.buf[b].host;
        uint32_t room = c.buf[b].len;
        while (room && s < 2) {
            uint32_t k = left[s] < room ? left[s] : room;
            memcpy(dst, src[s], k);
            dst += k, room -= k, src[s] += k, left[s] -= k;
            if (!left[s])
                s++;
        }
    }
    virtq_push(q, c.head, total);
    (*pushed)++;
    n->stats.rx_frames++;
    n->pending_len = 0;
    return 1;
}

int virtio_net_rx(struct virtio_dev *d, const char **why)
{
    struct virtio_net *n = to_net(d);
    int pushed = 0, r = 0;

    for (int i = 0; i < RX_BUDGET; i++) {
        if (!n->pending_len) {
            ssize_t got = read(n->tap, n->pending, sizeof n->pending);
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0) {
                /* EAGAIN: drained. Anything else (the TAP went away) would
                 * keep poll firing: wait for the guest's next kick instead. */
                if (got < 0 && errno != EAGAIN)
                    n->rx_stalled = true;
                break;
            }
            n->pending_len = (uint32_t)got;
        }
        r = deliver(n, &pushed, why);
        if (r <= 0) {
            n->rx_stalled = r == 0;
            break;
        }
    }
    notify(d, RXQ, pushed);
    return r < 0 ? -1 : 0;
}

static int net_notify(struct virtio_dev *d, int q, const char **why)
{
    if (q == TXQ)
        return virtio_net_tx(d, why);
    /* New receive buffers: deliver what waits, then listen to the TAP again. */
    to_net(d)->rx_stalled = false;
    return virtio_net_rx(d, why);
}

static int net_backend_fd(struct virtio_dev *d)
{
    struct virtio_net *n = to_net(d);

    return n->rx_stalled ? -1 : n->tap;
}

static void net_reset(struct virtio_dev *d)
{
    struct virtio_net *n = to_net(d);

    n->rx_stalled = false;
    n->pending_len = 0;
}

static void net_destroy(struct virtio_dev *d)
{
    free(to_net(d)); /* the TAP fd is the caller's */
}

static const struct virtio_dev_ops net_ops = {
    .name = "virtio-net",
    .device_id = VIRTIO_ID_NET,
    .nqueues = 2,
    .queue_max = 256,
    .features = net_features,
    .config = net_config,
    .queue_notify = net_notify,
    .backend_fd = net_backend_fd,
    .backend_ready = virtio_net_rx,
    .reset = net_reset,
    .destroy = net_destroy,
};

struct virtio_dev *virtio_net_new(int tap_fd, const uint8_t mac[6], struct osbox_err *err)
{
    struct virtio_net *n = calloc(1, sizeof *n);

    if (!n) {
        osbox_error(err, ENOMEM, "virtio-net");
        return NULL;
    }
    n->dev.ops = &net_ops;
    n->tap = tap_fd;
    memcpy(n->config.mac, mac, 6);
    n->config.status = VIRTIO_NET_S_LINK_UP;
    return &n->dev;
}

const struct virtio_net_stats *virtio_net_stats(struct virtio_dev *d)
{
    return &to_net(d)->stats;
}

int virtio_net_attach(struct vm *vm, int tap_fd, const uint8_t mac[6], struct osbox_err *err)
{
    struct virtio_dev *dev = virtio_net_new(tap_fd, mac, err);

    if (!dev)
        return -1;
    return virtio_mmio_attach(vm, dev, err);
}
