/* virtio-net queue logic against plain memory, with a SOCK_DGRAM socketpair
 * standing in for the TAP (it keeps frame boundaries; like a TAP with
 * IFF_VNET_HDR each datagram is a 12-byte virtio_net_hdr + frame): frames
 * both ways, an empty receive ring (stall, then resume on a kick), a TAP
 * that refuses frames, the malformed chains a guest can post, and the
 * offloads: feature negotiation and TUNSETOFFLOAD, transmit headers passed
 * through or refused, receive headers cleaned up for a driver without
 * GUEST_CSUM, merged receive buffers. */
#include <setjmp.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/virtio_net.h"

#define RAM (1u << 20)
#define RXQ 0
#define TXQ 1
#define DESC(q) (0x1000 + 0x3000 * (q))
#define AVAIL(q) (0x2000 + 0x3000 * (q))
#define USED(q) (0x3000 + 0x3000 * (q))
#define BUF 0x10000

static uint8_t *ram;
static struct guest_mem gm;
static struct virtio_dev *dev;
static int sv[2]; /* sv[0]: the device's "TAP", sv[1]: the host side */
static int irqs;
static const uint8_t mac[6] = { 2, 0x42, 10, 88, 0, 9 };

static int nlogs;
static char last_log[256];

static void capture_log(struct virtio_dev *d, const char *msg)
{
    (void)d;
    nlogs++;
    snprintf(last_log, sizeof last_log, "%s", msg);
}

static void count_irq(struct virtio_dev *d)
{
    (void)d;
    irqs++;
}

static int setup(void **state)
{
    struct osbox_err err;
    const char *why;
    (void)state;
    ram = aligned_alloc(4096, RAM);
    memset(ram, 0, RAM);
    guest_mem_layout(&gm, ram, RAM);
    assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv), 0);
    dev = virtio_net_new(sv[0], mac, &err);
    assert_non_null(dev);
    dev->mem = &gm;
    dev->interrupt = count_irq;
    dev->log = capture_log;
    nlogs = 0;
    for (int q = 0; q < 2; q++) {
        dev->vq[q] = (struct virtq){ .size = 16, .desc_gpa = DESC(q), .avail_gpa = AVAIL(q),
                                     .used_gpa = USED(q) };
        assert_int_equal(virtq_enable(&dev->vq[q], &gm, &why), 0);
    }
    irqs = 0;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    dev->ops->destroy(dev);
    close(sv[0]);
    close(sv[1]);
    free(ram);
    return 0;
}

static void desc(int q, int i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    struct virtq_desc d = { addr, len, flags, next };
    memcpy(ram + DESC(q) + 16 * i, &d, sizeof d);
}

static void avail_push(int q, uint16_t head)
{
    uint16_t *a = (uint16_t *)(ram + AVAIL(q));
    a[2 + (a[1] % 16)] = head;
    a[1]++;
}

static uint16_t used_idx(int q)
{
    return *(uint16_t *)(ram + USED(q) + 2);
}

static uint32_t used_len(int q, int i)
{
    uint32_t len;
    memcpy(&len, ram + USED(q) + 4 + 8 * i + 4, 4);
    return len;
}

/* The host side sends a frame behind a vnet header, as a TAP would. */
static void tap_send(const struct virtio_net_hdr *h, const void *frame, size_t len)
{
    static const struct virtio_net_hdr zero;
    struct iovec iov[2] = { { (void *)(h ? h : &zero), sizeof *h }, { (void *)frame, len } };
    assert_int_equal(writev(sv[1], iov, 2), (ssize_t)(sizeof *h + len));
}

static void negotiate(uint64_t f)
{
    const char *why = NULL;
    dev->driver_features = VIRTIO_F_VERSION_1 | f;
    assert_int_equal(dev->ops->activate(dev, &why), 0);
}

#define ALL_OFFLOADS (VIRTIO_NET_F_CSUM | VIRTIO_NET_F_GUEST_CSUM | VIRTIO_NET_F_HOST_TSO4 | \
                      VIRTIO_NET_F_GUEST_TSO4 | VIRTIO_NET_F_MRG_RXBUF)

static void test_config_and_features(void **state)
{
    uint32_t len;
    const uint8_t *cfg = dev->ops->config(dev, &len);
    (void)state;
    assert_int_equal(dev->ops->device_id, 1);
    assert_int_equal(dev->ops->nqueues, 2);
    assert_true(len >= 8);
    assert_memory_equal(cfg, mac, 6);
    assert_int_equal(cfg[6] & 1, 1); /* link up */
    uint64_t f = dev->ops->features(dev);
    assert_true(f & VIRTIO_F_VERSION_1);
    /* VERSION_1, MAC(5), STATUS(16), CSUM(0), GUEST_CSUM(1), GUEST_TSO4(7),
     * HOST_TSO4(11), MRG_RXBUF(15) and nothing else */
    assert_true(f == ((1ULL << 32) | (1 << 0) | (1 << 1) | (1 << 5) | (1 << 7) | (1 << 11) |
                      (1 << 15) | (1 << 16)));
    assert_int_equal(dev->ops->backend_fd(dev), sv[0]);
}

/* A frame split over header + two buffers reaches the TAP behind a zero
 * header (no offloads negotiated). */
static void test_tx_frame_reaches_tap(void **state)
{
    const char *why = NULL;
    uint8_t got[2048];
    static const uint8_t zero[12];
    (void)state;
    memset(ram + BUF, 0, 12);
    memcpy(ram + BUF + 0x100, "0123456789abcdef", 16);
    memcpy(ram + BUF + 0x200, "-tail-of-frame-", 15);
    desc(TXQ, 0, BUF, 12, VIRTQ_DESC_F_NEXT, 1);
    desc(TXQ, 1, BUF + 0x100, 16, VIRTQ_DESC_F_NEXT, 2);
    desc(TXQ, 2, BUF + 0x200, 15, 0, 0);
    avail_push(TXQ, 0);
    /* header and frame in one buffer */
    memcpy(ram + BUF + 0x300 + 12, "second-frame-xyz", 16);
    desc(TXQ, 3, BUF + 0x300, 28, 0, 0);
    avail_push(TXQ, 3);
    assert_int_equal(dev->ops->queue_notify(dev, TXQ, &why), 0);
    assert_int_equal(used_idx(TXQ), 2);
    assert_int_equal(read(sv[1], got, sizeof got), 12 + 31);
    assert_memory_equal(got, zero, 12);
    assert_memory_equal(got + 12, "0123456789abcdef-tail-of-frame-", 31);
    assert_int_equal(read(sv[1], got, sizeof got), 12 + 16);
    assert_memory_equal(got + 12, "second-frame-xyz", 16);
    assert_int_equal(irqs, 1); /* one interrupt for the batch */
    assert_int_equal(virtio_net_stats(dev)->tx_frames, 2);
}

static void test_rx_frame_reaches_guest(void **state)
{
    const char *why = NULL;
    uint8_t frame[100];
    (void)state;
    for (size_t i = 0; i < sizeof frame; i++)
        frame[i] = (uint8_t)i;
    memset(ram + BUF, 0xaa, 4096);
    /* header in its own 12-byte buffer, the frame in the next */
    desc(RXQ, 0, BUF, 12, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    desc(RXQ, 1, BUF + 0x100, 1514, VIRTQ_DESC_F_WRITE, 0);
    avail_push(RXQ, 0);
    tap_send(NULL, frame, sizeof frame);
    assert_int_equal(dev->ops->backend_ready(dev, &why), 0);
    assert_int_equal(used_idx(RXQ), 1);
    assert_int_equal(used_len(RXQ, 0), 12 + sizeof frame);
    static const uint8_t hdr[12] = { [10] = 1 }; /* num_buffers = 1 */
    assert_memory_equal(ram + BUF, hdr, 12);
    assert_memory_equal(ram + BUF + 0x100, frame, sizeof frame);
    assert_int_equal(ram[BUF + 0x100 + sizeof frame], 0xaa);
    assert_int_equal(irqs, 1);
}

/* No buffers: the frame waits, the TAP is not polled (no busy loop), and a
 * kick of the receive queue delivers it. */
static void test_rx_stalls_until_kick(void **state)
{
    const char *why = NULL;
    (void)state;
    tap_send(NULL, "frame-one-xxxxxx", 16);
    tap_send(NULL, "frame-two-yyyyyy", 16);
    assert_int_equal(dev->ops->backend_ready(dev, &why), 0);
    assert_int_equal(dev->ops->backend_fd(dev), -1);
    assert_int_equal(used_idx(RXQ), 0);
    desc(RXQ, 0, BUF, 1526, VIRTQ_DESC_F_WRITE, 0);
    avail_push(RXQ, 0);
    assert_int_equal(dev->ops->queue_notify(dev, RXQ, &why), 0);
    assert_int_equal(used_idx(RXQ), 1);
    assert_memory_equal(ram + BUF + 12, "frame-one-xxxxxx", 16);
    /* The second frame found no buffer: stalled again. */
    assert_int_equal(dev->ops->backend_fd(dev), -1);
    desc(RXQ, 1, BUF + 0x1000, 1526, VIRTQ_DESC_F_WRITE, 0);
    avail_push(RXQ, 1);
    assert_int_equal(dev->ops->queue_notify(dev, RXQ, &why), 0);
    assert_int_equal(used_idx(RXQ), 2);
    assert_memory_equal(ram + BUF + 0x1000 + 12, "frame-two-yyyyyy", 16);
    assert_int_equal(dev->ops->backend_fd(dev), sv[0]);
    /* A reset forgets the stall. */
    dev->ops->reset(dev);
    assert_int_equal(dev->ops->backend_fd(dev), sv[0]);
}

/* A frame bigger than the posted buffer is dropped; the buffer is kept. */
static void test_rx_oversized_frame_dropped(void **state)
{
    const char *why = NULL;
    static uint8_t big[3000];
    (void)state;
    memset(big, 7, sizeof big);
    desc(RXQ, 0, BUF, 1526, VIRTQ_DESC_F_WRITE, 0);
    avail_push(RXQ, 0);
    tap_send(NULL, big, sizeof big);
    tap_send(NULL, "small", 5);
    assert_int_equal(dev->ops->backend_ready(dev, &why), 0);
    assert_int_equal(used_idx(RXQ), 1);
    assert_int_equal(used_len(RXQ, 0), 17);
    assert_memory_equal(ram + BUF + 12, "small", 5);
    assert_int_equal(virtio_net_stats(dev)->rx_dropped, 1);
    assert_int_equal(nlogs, 1);
    assert_non_null(strstr(last_log, "frame of 3012 bytes with header does not fit the 1526 bytes"));
}

/* A TAP that refuses a frame (here: nobody reads the other end) drops it;
 * the chain is still returned and the device keeps working. */
static void test_tx_refused_frame_dropped(void **state)
{
    const char *why = NULL;
    (void)state;
    close(sv[1]);
    sv[1] = open("/dev/null", O_RDONLY);
    desc(TXQ, 0, BUF, 12 + 60, 0, 0);
    avail_push(TXQ, 0);
    assert_int_equal(dev->ops->queue_notify(dev, TXQ, &why), 0);
    assert_int_equal(used_idx(TXQ), 1);
    assert_int_equal(virtio_net_stats(dev)->tx_dropped, 1);
}

static void expect_malformed(int q, const char *what)
{
    const char *why = NULL;
    int r = q == TXQ ? dev->ops->queue_notify(dev, TXQ, &why) : dev->ops->backend_ready(dev, &why);
    assert_true(r < 0);
    assert_non_null(why);
    assert_non_null(strstr(why, what));
}

static void test_malformed_chains(void **state)
{
    (void)state;
    /* transmit: a device-writable buffer */
    desc(TXQ, 0, BUF, 100, VIRTQ_DESC_F_WRITE, 0);
    avail_push(TXQ, 0);
    expect_malformed(TXQ, "device-writable");
    teardown(NULL), setup(NULL);
    /* transmit: shorter than the header */
    desc(TXQ, 0, BUF, 8, 0, 0);
    avail_push(TXQ, 0);
    expect_malformed(TXQ, "shorter than the net header");
    teardown(NULL), setup(NULL);
    /* transmit: too long (two 40000-byte buffers) */
    desc(TXQ, 0, BUF, 40000, VIRTQ_DESC_F_NEXT, 1);
    desc(TXQ, 1, BUF + 40000, 40000, 0, 0);
    avail_push(TXQ, 0);
    expect_malformed(TXQ, "longer than");
    teardown(NULL), setup(NULL);
    /* transmit: buffer outside RAM (the checked accessor) */
    desc(TXQ, 0, RAM - 8, 100, 0, 0);
    avail_push(TXQ, 0);
    expect_malformed(TXQ, "outside guest RAM");
    teardown(NULL), setup(NULL);
    /* receive: a device-readable buffer */
    tap_send(NULL, "x-frame-x", 9);
    desc(RXQ, 0, BUF, 1526, 0, 0);
    avail_push(RXQ, 0);
    expect_malformed(RXQ, "device-readable");
    teardown(NULL), setup(NULL);
    /* receive: buffer too small for a full frame */
    tap_send(NULL, "x-frame-x", 9);
    desc(RXQ, 0, BUF, 64, VIRTQ_DESC_F_WRITE, 0);
    avail_push(RXQ, 0);
    expect_malformed(RXQ, "smaller than 1526");
    teardown(NULL), setup(NULL);
    /* receive: a descriptor loop */
    tap_send(NULL, "x-frame-x", 9);
    desc(RXQ, 0, BUF, 1000, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    desc(RXQ, 1, BUF, 1000, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 0);
    avail_push(RXQ, 0);
    expect_malformed(RXQ, "loops");
}

/* Negotiation: the TAP's offloads follow what the driver took; the spec's
 * dependencies are enforced; a reset goes back to none. */
static void test_feature_negotiation(void **state)
{
    const char *why = NULL;
    (void)state;
    negotiate(0);
    assert_int_equal(virtio_net_stats(dev)->tap_offloads, 0);
    negotiate(ALL_OFFLOADS);
    assert_int_equal(virtio_net_stats(dev)->tap_offloads, TUN_F_CSUM | TUN_F_TSO4);
    negotiate(VIRTIO_NET_F_GUEST_CSUM | VIRTIO_NET_F_CSUM);
    assert_int_equal(virtio_net_stats(dev)->tap_offloads, TUN_F_CSUM);
    negotiate(VIRTIO_NET_F_CSUM | VIRTIO_NET_F_HOST_TSO4 | VIRTIO_NET_F_MRG_RXBUF);
    assert_int_equal(virtio_net_stats(dev)->tap_offloads, 0);
    dev->driver_features = VIRTIO_F_VERSION_1 | VIRTIO_NET_F_HOST_TSO4;
    assert_true(dev->ops->activate(dev, &why) < 0);
    assert_non_null(strstr(why, "HOST_TSO4 without CSUM"));
    dev->driver_features = VIRTIO_F_VERSION_1 | VIRTIO_NET_F_GUEST_TSO4 | VIRTIO_NET_F_CSUM;
    assert_true(dev->ops->activate(dev, &why) < 0);
    assert_non_null(strstr(why, "GUEST_TSO4 without GUEST_CSUM"));
    negotiate(ALL_OFFLOADS);
    dev->ops->reset(dev);
    assert_int_equal(virtio_net_stats(dev)->tap_offloads, 0);
}

/* A 65550-byte TSO frame in three descriptors (virtio header + L2-L4
 * headers, then two payload pieces) reaches the TAP behind the driver's
 * header: NEEDS_CSUM and the GSO fields kept, num_buffers cleared. */
static void test_tx_offload_header_passed_through(void **state)
{
    const char *why = NULL;
    static uint8_t got[12 + 65550 + 16];
    struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
                                .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .hdr_len = 54,
                                .gso_size = 1448, .csum_start = 34, .csum_offset = 16,
                                .num_buffers = 7 };
    (void)state;
    negotiate(ALL_OFFLOADS);
    uint8_t *f = ram + BUF + 12;
    memcpy(ram + BUF, &h, 12);
    for (uint32_t i = 0; i < 65550; i++)
        f[i] = (uint8_t)(i * 7 + 3);
    desc(TXQ, 0, BUF, 12 + 54, VIRTQ_DESC_F_NEXT, 1);
    desc(TXQ, 1, BUF + 12 + 54, 30000, VIRTQ_DESC_F_NEXT, 2);
    desc(TXQ, 2, BUF + 12 + 54 + 30000, 65550 - 54 - 30000, 0, 0);
    avail_push(TXQ, 0);
    assert_int_equal(dev->ops->queue_notify(dev, TXQ, &why), 0);
    assert_int_equal(used_idx(TXQ), 1);
    assert_int_equal(read(sv[1], got, sizeof got), 12 + 65550);
    h.num_buffers = 0;
    assert_memory_equal(got, &h, 12);
    assert_memory_equal(got + 12, f, 65550);
    assert_int_equal(virtio_net_stats(dev)->tx_frames, 1);
    assert_int_equal(virtio_net_stats(dev)->tx_dropped, 0);
}

/* Headers that ask for what was not negotiated, or point outside the
 * frame, drop their frame and are counted; the ring is fine (no reset). */
static void test_tx_invalid_headers_dropped(void **state)
{
    const char *why = NULL;
    uint8_t got[256];
    const struct virtio_net_hdr ok_tso = { .flags = 1, .gso_type = 1, .gso_size = 1448,
                                           .hdr_len = 54, .csum_start = 34, .csum_offset = 16 };
    struct {
        uint64_t features;
        struct virtio_net_hdr h;
    } bad[] = {
        { 0, { .flags = 1, .csum_start = 34, .csum_offset = 16 } },          /* no CSUM */
        { VIRTIO_NET_F_CSUM, ok_tso },                                         /* no HOST_TSO4 */
        { ALL_OFFLOADS, { .flags = 2 } },                                      /* DATA_VALID */
        { ALL_OFFLOADS, { .flags = 1, .csum_start = 90, .csum_offset = 9 } },  /* outside */
        { ALL_OFFLOADS, { .flags = 1, .gso_type = 1, .csum_start = 34, .csum_offset = 16 } }, /* gso_size 0 */
        { ALL_OFFLOADS, { .gso_type = 1, .gso_size = 1448 } },                 /* TSO, no NEEDS_CSUM */
        { ALL_OFFLOADS, { .flags = 1, .gso_type = 0x81, .gso_size = 1448, .csum_start = 34, .csum_offset = 16 } }, /* ECN */
        { ALL_OFFLOADS, { .flags = 1, .gso_type = 4, .gso_size = 1448, .csum_start = 34, .csum_offset = 16 } },    /* TCPV6 */
        { ALL_OFFLOADS, { .flags = 1, .gso_type = 3, .gso_size = 1448, .csum_start = 34, .csum_offset = 16 } },    /* UDP */
    };
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        negotiate(bad[i].features);
        memcpy(ram + BUF, &bad[i].h, 12);
        desc(TXQ, (int)i, BUF, 12 + 100, 0, 0);
        avail_push(TXQ, (uint16_t)i);
        assert_int_equal(dev->ops->queue_notify(dev, TXQ, &why), 0);
        assert_int_equal(used_idx(TXQ), i + 1);
        assert_int_equal(virtio_net_stats(dev)->tx_bad_header, i + 1);
    }
    assert_int_equal(virtio_net_stats(dev)->tx_dropped, sizeof bad / sizeof bad[0]);
    /* the monitor's log names the first refusal only */
    assert_int_equal(nlogs, 1);
    assert_non_null(strstr(last_log, "transmit header refused (NEEDS_CSUM without CSUM negotiated)"));
    assert_int_equal(read(sv[1], got, sizeof got), -1); /* nothing reached the TAP */
    assert_int_equal(errno, EAGAIN);
    /* the same TSO header is fine once HOST_TSO4 is on */
    negotiate(ALL_OFFLOADS);
    memcpy(ram + BUF, &ok_tso, 12);
    desc(TXQ, 9, BUF, 12 + 100, 0, 0);
    avail_push(TXQ, 9);
    assert_int_equal(dev->ops->queue_notify(dev, TXQ, &why), 0);
    assert_int_equal(read(sv[1], got, sizeof got), 112);
    assert_int_equal(virtio_net_stats(dev)->tx_frames, 1);
}

static uint16_t fold(const uint8_t *p, size_t len)
{
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < len; i += 2)
        s += (uint32_t)p[i] << 8 | p[i + 1];
    if (len & 1)
        s += (uint32_t)p[len - 1] << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)s;
}

/* A driver without GUEST_CSUM gets a zero header (num_buffers 1) and a
 * complete checksum even if the TAP sent a partial one; a TSO frame it
 * cannot take is dropped. With GUEST_CSUM the header passes through. */
static void test_rx_header_for_driver_without_guest_csum(void **state)
{
    const char *why = NULL;
    uint8_t frame[101];
    const struct virtio_net_hdr partial = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID,
                                            .csum_start = 34, .csum_offset = 16 };
    const struct virtio_net_hdr tso = { .flags = 1, .gso_type = 1, .gso_size = 1448,
                                        .hdr_len = 54, .csum_start = 34, .csum_offset = 16 };
    static const uint8_t one[12] = { [10] = 1 };
    (void)state;
    for (size_t i = 0; i < sizeof frame; i++)
        frame[i] = (uint8_t)(i * 13 + 1);
    negotiate(0);
    for (int i = 0; i < 3; i++) {
        desc(RXQ, i, BUF + 0x1000 * (uint64_t)i, 2048, VIRTQ_DESC_F_WRITE, 0);
        avail_push(RXQ, (uint16_t)i);
    }
    tap_send(&tso, frame, sizeof frame);
    tap_send(&partial, frame, sizeof frame);
    assert_int_equal(dev->ops->backend_ready(dev, &why), 0);
    assert_int_equal(virtio_net_stats(dev)->rx_dropped, 1); /* the TSO frame */
    assert_int_equal(used_idx(RXQ), 1);
    assert_memory_equal(ram + BUF, one, 12);
    const uint8_t *got = ram + BUF + 12;
    assert_memory_equal(got, frame, 50);  /* up to the checksum field */
    assert_memory_equal(got + 52, frame + 52, sizeof frame - 52);
    /* it verifies: data + checksum + the pseudo-header sum the TAP left in the field */
    uint32_t v = fold(got + 34, sizeof frame - 34) + (uint32_t)(frame[50] << 8 | frame[51]);
    assert_int_equal((v & 0xffff) + (v >> 16), 0xffff);
    /* With GUEST_CSUM (and TSO4) the TAP's header goes to the driver as is. */
    negotiate(ALL_OFFLOADS & ~VIRTIO_NET_F_MRG_RXBUF);
    tap_send(&tso, frame, sizeof frame);
    assert_int_equal(dev->ops->backend_ready(dev, &why), 0);
    assert_int_equal(used_idx(RXQ), 2);
    struct virtio_net_hdr h = tso;
    h.num_buffers = 1;
    assert_memory_equal(ram + BUF + 0x1000, &h, 12);
    assert_memory_equal(ram + BUF + 0x1000 + 12, frame, sizeof frame);
}

/* MRG_RXBUF: a 9000-byte frame over five 2 KiB buffers, num_buffers = 5,
 * published at once; too few buffers wait for more; a frame bigger than
 * the whole ring is dropped and the buffers kept. */
static void test_rx_mrg_rxbuf_spreads_frame(void **state)
{
    const char *why = NULL;
    static uint8_t frame[9000], big[20000];
    (void)state;
    for (size_t i = 0; i < sizeof frame; i++)
        frame[i] = (uint8_t)(i * 31 + i / 256);
    negotiate(VIRTIO_NET_F_MRG_RXBUF);
    for (int i = 0; i < 3; i++) {
        desc(RXQ, i, BUF + 0x1000 * (uint64_t)i, 2048, VIRTQ_DESC_F_WRITE, 0);
        avail_push(RXQ, (uint16_t)i);
    }
    tap_send(NULL, frame, sizeof frame);
    assert_int_equal(dev->ops->backend_ready(dev, &why), 0);
    assert_int_equal(used_idx(RXQ), 0);             /* 3 x 2 KiB is not enough: wait */
    assert_int_equal(dev->ops->backend_fd(dev), -1);
    for (int i = 3; i < 6; i++) {
        desc(RXQ, i, BUF + 0x1000 * (uint64_t)i, 2048, VIRTQ_DESC_F_WRITE, 0);
        avail_push(RXQ, (uint16_t)i);
    }
    assert_int_equal(dev->ops->queue_notify(dev, RXQ, &why), 0);
    assert_int_equal(used_idx(RXQ), 5);
    assert_int_equal(irqs, 1);
    uint32_t sum = 0;
    for (int i = 0; i < 5; i++) {
        uint32_t id;
        memcpy(&id, ram + USED(RXQ) + 4 + 8 * i, 4);
        assert_int_equal(id, i);
        assert_int_equal(used_len(RXQ, i), i < 4 ? 2048 : 12 + 9000 - 4 * 2048);
        sum += used_len(RXQ, i);
    }
    assert_int_equal(sum, 12 + 9000);
    static const uint8_t five[12] = { [10] = 5 };
    assert_memory_equal(ram + BUF, five, 12);
    assert_memory_equal(ram + BUF + 12, frame, 2048 - 12);
    for (int i = 1; i < 5; i++)
        assert_memory_equal(ram + BUF + 0x1000 * (uint64_t)i, frame + 2048 * i - 12,
                            i < 4 ? 2048 : 9000 - (2048 * 4 - 12));
    assert_int_equal(dev->ops->backend_fd(dev), sv[0]);
    /* 16 tiny buffers cannot hold 20000 bytes: dropped, buffers kept */
    for (int i = 0; i < 16; i++) {
        desc(RXQ, i, BUF + 0x100 * (uint64_t)i, 100, VIRTQ_DESC_F_WRITE, 0);
        if (i >= 6)
            avail_push(RXQ, (uint16_t)i);
    }
    avail_push(RXQ, 0), avail_push(RXQ, 1), avail_push(RXQ, 2), avail_push(RXQ, 3), avail_push(RXQ, 4);
    tap_send(NULL, big, sizeof big);
    tap_send(NULL, "small", 5);
    assert_int_equal(dev->ops->backend_ready(dev, &why), 0);
    assert_int_equal(virtio_net_stats(dev)->rx_dropped, 1);
    assert_non_null(strstr(last_log, "frame of 20012 bytes with header does not fit the 1600 bytes"));
    assert_int_equal(used_idx(RXQ), 6);
    assert_int_equal(used_len(RXQ, 5), 17);
    /* with MRG_RXBUF a buffer needs room for the header only */
    teardown(NULL), setup(NULL);
    negotiate(VIRTIO_NET_F_MRG_RXBUF);
    tap_send(NULL, "x-frame-x", 9);
    desc(RXQ, 0, BUF, 11, VIRTQ_DESC_F_WRITE, 0);
    avail_push(RXQ, 0);
    expect_malformed(RXQ, "smaller than the net header");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_config_and_features, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_frame_reaches_tap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_frame_reaches_guest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_stalls_until_kick, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_oversized_frame_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_refused_frame_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_chains, setup, teardown),
        cmocka_unit_test_setup_teardown(test_feature_negotiation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_offload_header_passed_through, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tx_invalid_headers_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_header_for_driver_without_guest_csum, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rx_mrg_rxbuf_spreads_frame, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
