/* virtio-net (virtio 1.x, section 5.1) over a TAP fd: one receive and one
 * transmit queue, a MAC in config space, link always up, and the offloads
 * that spare the guest its most expensive work: checksums (CSUM,
 * GUEST_CSUM), TCP segmentation (HOST_TSO4, GUEST_TSO4) and merged receive
 * buffers (MRG_RXBUF). The TAP speaks virtio's own header (IFF_VNET_HDR),
 * so the kernel does on the host what the guest asked us to do; a driver
 * that takes none of them gets plain, fully checksummed frames as before.
 *
 * Everything runs on the transport's service thread. Transmit: each chain
 * is a 12-byte virtio_net_hdr followed by one Ethernet frame (up to 65550
 * bytes with TSO, split over descriptors any way the driver likes); the
 * header is copied out, checked against the features (virtio_net_hdr.c) and
 * written to the TAP in front of the frame in one writev. A bad header is
 * the guest's data, not a broken ring: the frame is dropped and counted.
 * Receive: a frame (with the TAP's header) is read into `pending` first and
 * then copied into the next posted buffer, or with MRG_RXBUF spread over as
 * many as it needs. When the guest has posted too few buffers the frame
 * stays pending and the device stops asking for the TAP fd (rx_stalled)
 * until the guest kicks the receive queue, so a full ring never turns into
 * a busy loop; the kernel's TAP queue holds (and eventually drops) what
 * arrives meanwhile. */
#include <errno.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "virtio_mmio.h"
#include "virtio_net.h"

#define VIRTIO_ID_NET 1
#define VIRTIO_NET_S_LINK_UP 1
#define OFFERED (VIRTIO_F_VERSION_1 | VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS | VIRTIO_NET_F_CSUM | \
                 VIRTIO_NET_F_GUEST_CSUM | VIRTIO_NET_F_HOST_TSO4 | VIRTIO_NET_F_GUEST_TSO4 |     \
                 VIRTIO_NET_F_MRG_RXBUF)

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
    bool told_bad_header, told_too_big;  /* said once per reset */
    uint32_t pending_len;      /* header + frame; 0: nothing pending */
    uint8_t pending[VIRTIO_NET_HDR_LEN + VIRTIO_NET_FRAME_MAX];
    uint16_t rx_heads[VIRTQ_MAX_SIZE];   /* chains one merged frame fills */
    uint32_t rx_lens[VIRTQ_MAX_SIZE];
    struct virtio_net_stats stats;
};

static struct virtio_net *to_net(struct virtio_dev *d)
{
    return (struct virtio_net *)d;
}

static uint64_t net_features(struct virtio_dev *d)
{
    (void)d;
    return OFFERED;
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

/* Copy len bytes between a chain's buffers, from byte `off` of the chain on,
 * and plain memory; the caller has checked that the chain is long enough. */
static void chain_copy(const struct virtq_chain *c, uint64_t off, void *mem, uint64_t len, bool to_chain)
{
    uint8_t *p = mem;

    for (int b = 0; b < c->n && len; b++) {
        if (off >= c->buf[b].len) {
            off -= c->buf[b].len;
            continue;
        }
        uint64_t k = c->buf[b].len - off < len ? c->buf[b].len - off : len;
        if (to_chain)
            memcpy(c->buf[b].host + off, p, k);
        else
            memcpy(p, c->buf[b].host + off, k);
        p += k, len -= k, off = 0;
    }
}

int virtio_net_tx(struct virtio_dev *d, const char **why)
{
    struct virtio_net *n = to_net(d);
    struct virtq *q = &d->vq[TXQ];
    struct virtq_chain c;
    struct virtio_net_hdr h;
    struct iovec iov[1 + VIRTQ_MAX_CHAIN];
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
        /* A local copy: the guest may change its header while we check it. */
        chain_copy(&c, 0, &h, sizeof h, false);
        uint32_t frame_len = (uint32_t)(c.readable - VIRTIO_NET_HDR_LEN);
        uint64_t skip = VIRTIO_NET_HDR_LEN;
        int niov = 0;
        iov[niov++] = (struct iovec){ &h, sizeof h };
        for (int b = 0; b < c.n; b++) {
            if (skip >= c.buf[b].len) {
                skip -= c.buf[b].len;
                continue;
            }
            iov[niov++] = (struct iovec){ c.buf[b].host + skip, c.buf[b].len - skip };
            skip = 0;
        }
        const char *bad;
        if (virtio_net_tx_header(d->driver_features, &h, frame_len, &bad) < 0) {
            /* Said once per reset: a driver that gets its headers wrong
             * sees its connections stall, and this says why. */
            if (!n->told_bad_header && d->log) {
                char msg[160];
                snprintf(msg, sizeof msg, "transmit header refused (%s): frame dropped; "
                         "further ones are dropped silently", bad);
                d->log(d, msg);
            }
            n->told_bad_header = true;
            n->stats.tx_bad_header++;
            n->stats.tx_dropped++;
        } else if (!frame_len || writev(n->tap, iov, niov) < 0) {
            /* A frame the TAP refuses (runt, TAP down or full) is dropped, as on a wire. */
            n->stats.tx_dropped++;
        } else {
            n->stats.tx_frames++;
        }
        virtq_push(q, c.head, 0);
        pushed++;
    }
    notify(d, TXQ, pushed);
    return r < 0 ? -1 : 0;
}

/* Give the pending frame up: too big for what the guest posted (one chain
 * without MRG_RXBUF, the whole ring with it). */
static int drop_pending(struct virtio_net *n, int popped, uint64_t room)
{
    struct virtio_dev *d = &n->dev;

    if (!n->told_too_big && d->log) {
        char msg[200];
        snprintf(msg, sizeof msg, "received frame of %u bytes with header does not fit the %llu bytes "
                 "posted: dropped; further ones are dropped silently", n->pending_len, (unsigned long long)room);
        d->log(d, msg);
    }
    n->told_too_big = true;
    d->vq[RXQ].last_avail -= (uint16_t)popped; /* the buffers stay the guest's */
    n->stats.rx_dropped++;
    n->pending_len = 0;
    return 1;
}

/* Copy the pending frame into the next receive chain(s): 1 delivered (or
 * dropped), 0 not enough buffers posted yet, <0 malformed chain. */
static int deliver(struct virtio_net *n, int *pushed, const char **why)
{
    struct virtio_dev *d = &n->dev;
    struct virtq *q = &d->vq[RXQ];
    struct virtq_chain c, first;
    struct virtio_net_hdr h;
    bool merge = d->driver_features & VIRTIO_NET_F_MRG_RXBUF;
    uint32_t total = n->pending_len, done = 0;
    int k = 0, r;

    /* Without MRG_RXBUF one chain takes the whole frame; with it, chains
     * are taken until the frame fits. Nothing is pushed before it does, so
     * a ring that runs dry midway is rolled back and retried on a kick. */
    while (done < total) {
        if (k == q->size)
            return drop_pending(n, k, done);
        r = virtq_pop(q, d->mem, &c, why);
        if (r < 0)
            return r;
        if (r == 0) {
            q->last_avail -= (uint16_t)k;
            return 0;
        }
        if (c.readable) {
            *why = "receive chain has a device-readable buffer";
            return -1;
        }
        if (!merge && c.writable < VIRTIO_NET_HDR_LEN + VIRTIO_NET_MIN_RXBUF) {
            *why = "receive buffer smaller than 1526 bytes";
            return -1;
        }
        if (merge && c.writable < VIRTIO_NET_HDR_LEN) {
            *why = "receive buffer smaller than the net header";
            return -1;
        }
        uint32_t take = c.writable < total - done ? (uint32_t)c.writable : total - done;
        if (!merge && take < total)
            /* Bigger than the guest's buffers (an MTU above 1500 on the
             * bridge, TSO without big buffers): drop it, keep the buffer. */
            return drop_pending(n, 1, c.writable);
        if (k == 0) {
            first = c;
            chain_copy(&c, VIRTIO_NET_HDR_LEN, n->pending + VIRTIO_NET_HDR_LEN, take - VIRTIO_NET_HDR_LEN, true);
        } else {
            chain_copy(&c, 0, n->pending + done, take, true);
        }
        n->rx_heads[k] = c.head;
        n->rx_lens[k++] = take;
        done += take;
    }
    memcpy(&h, n->pending, sizeof h);
    h.num_buffers = (uint16_t)k;
    chain_copy(&first, 0, &h, sizeof h, true);
    virtq_push_n(q, n->rx_heads, n->rx_lens, k);
    *pushed += k;
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
            struct virtio_net_hdr h;
            if (got < VIRTIO_NET_HDR_LEN) {
                n->stats.rx_dropped++;
                continue;
            }
            memcpy(&h, n->pending, sizeof h);
            if (virtio_net_rx_header(d->driver_features, &h, n->pending + sizeof h,
                                     (uint32_t)got - sizeof h) < 0) {
                n->stats.rx_dropped++;
                continue;
            }
            memcpy(n->pending, &h, sizeof h);
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

/* Tell the TAP which offloads the driver takes: with TUN_F_CSUM it may
 * hand us partial checksums, with TUN_F_TSO4 TCP frames up to 64 KiB;
 * with 0 it sends complete frames only. */
static int set_tap_offloads(struct virtio_net *n, unsigned o, const char **why)
{
    /* ENOTTY: not a TAP (the unit tests' socketpair); nothing to tell. */
    if (ioctl(n->tap, TUNSETOFFLOAD, (unsigned long)o) < 0 && errno != ENOTTY) {
        *why = "the TAP refused TUNSETOFFLOAD";
        return -1;
    }
    n->stats.tap_offloads = o;
    return 0;
}

static int net_activate(struct virtio_dev *d, const char **why)
{
    if (virtio_net_check_features(d->driver_features, why) < 0)
        return -1;
    return set_tap_offloads(to_net(d), virtio_net_tap_offloads(d->driver_features), why);
}

static void net_reset(struct virtio_dev *d)
{
    struct virtio_net *n = to_net(d);
    const char *why;

    n->rx_stalled = false;
    n->told_bad_header = n->told_too_big = false;
    n->pending_len = 0;
    /* Back to complete frames until the next driver says otherwise; if the
     * TAP refuses, virtio_net_rx_header still finishes what arrives. */
    set_tap_offloads(n, 0, &why);
}

static void net_destroy(struct virtio_dev *d)
{
    struct virtio_net *n = to_net(d);
    const struct virtio_net_stats *s = &n->stats;

    /* Lost frames are worth a line: a stalled guest connection starts here. */
    if (d->log && (s->rx_dropped || s->tx_dropped)) {
        char msg[200];
        snprintf(msg, sizeof msg, "dropped %llu of %llu received frames, %llu of %llu sent (%llu refused headers)",
                 (unsigned long long)s->rx_dropped, (unsigned long long)(s->rx_frames + s->rx_dropped),
                 (unsigned long long)s->tx_dropped, (unsigned long long)(s->tx_frames + s->tx_dropped),
                 (unsigned long long)s->tx_bad_header);
        d->log(d, msg);
    }
    free(n); /* the TAP fd is the caller's */
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
    .activate = net_activate,
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
