/* virtio-net queue logic against plain memory, with a SOCK_DGRAM socketpair
 * standing in for the TAP (it keeps frame boundaries): frames both ways,
 * header handling, an empty receive ring (stall, then resume on a kick), a
 * TAP that refuses frames, and the malformed chains a guest can post. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/virtio.h"

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
    assert_true(f & (1ULL << 5));    /* MAC */
    assert_false(f & ((1ULL << 0) | (1ULL << 15))); /* no CSUM, no MRG_RXBUF */
    assert_int_equal(dev->ops->backend_fd(dev), sv[0]);
}

/* A frame split over header + two buffers reaches the TAP without the header. */
static void test_tx_frame_reaches_tap(void **state)
{
    const char *why = NULL;
    uint8_t got[2048];
    (void)state;
    memset(ram + BUF, 0xee, 12);
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
    assert_int_equal(read(sv[1], got, sizeof got), 31);
    assert_memory_equal(got, "0123456789abcdef-tail-of-frame-", 31);
    assert_int_equal(read(sv[1], got, sizeof got), 16);
    assert_memory_equal(got, "second-frame-xyz", 16);
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
    assert_int_equal(write(sv[1], frame, sizeof frame), sizeof frame);
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
    assert_int_equal(write(sv[1], "frame-one-xxxxxx", 16), 16);
    assert_int_equal(write(sv[1], "frame-two-yyyyyy", 16), 16);
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
    assert_int_equal(write(sv[1], big, sizeof big), sizeof big);
    assert_int_equal(write(sv[1], "small", 5), 5);
    assert_int_equal(dev->ops->backend_ready(dev, &why), 0);
    assert_int_equal(used_idx(RXQ), 1);
    assert_int_equal(used_len(RXQ, 0), 17);
    assert_memory_equal(ram + BUF + 12, "small", 5);
    assert_int_equal(virtio_net_stats(dev)->rx_dropped, 1);
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
    assert_int_equal(write(sv[1], "x-frame-x", 9), 9);
    desc(RXQ, 0, BUF, 1526, 0, 0);
    avail_push(RXQ, 0);
    expect_malformed(RXQ, "device-readable");
    teardown(NULL), setup(NULL);
    /* receive: buffer too small for a full frame */
    assert_int_equal(write(sv[1], "x-frame-x", 9), 9);
    desc(RXQ, 0, BUF, 64, VIRTQ_DESC_F_WRITE, 0);
    avail_push(RXQ, 0);
    expect_malformed(RXQ, "smaller than 1526");
    teardown(NULL), setup(NULL);
    /* receive: a descriptor loop */
    assert_int_equal(write(sv[1], "x-frame-x", 9), 9);
    desc(RXQ, 0, BUF, 1000, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    desc(RXQ, 1, BUF, 1000, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 0);
    avail_push(RXQ, 0);
    expect_malformed(RXQ, "loops");
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
