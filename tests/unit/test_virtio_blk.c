/* virtio-blk request handling against plain memory and a temp file:
 * read, write, flush, get-id, read-only disks, bad sectors and layouts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/virtio_blk.h"

#define DISK_BYTES (64 * 1024)

static char path[] = "/tmp/osbox-test-blk.XXXXXX";
static char ro_path[] = "/tmp/osbox-test-ro.XXXXXX";
static struct virtio_dev *dev, *ro_dev;
static struct { uint32_t type, reserved; uint64_t sector; } hdr;
static uint8_t data[2048], status;

static int setup(void **state)
{
    struct osbox_err err;
    uint8_t buf[DISK_BYTES];
    int fd = mkstemp(path), fd2 = mkstemp(ro_path);
    (void)state;
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(i / 512);
    assert_int_equal(write(fd, buf, sizeof buf), sizeof buf);
    assert_int_equal(write(fd2, buf, sizeof buf), sizeof buf);
    close(fd);
    close(fd2);
    dev = virtio_blk_new(path, false, &err);
    assert_non_null(dev);
    ro_dev = virtio_blk_new(ro_path, true, &err);
    assert_non_null(ro_dev);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    dev->ops->destroy(dev);
    ro_dev->ops->destroy(ro_dev);
    unlink(path);
    unlink(ro_path);
    return 0;
}

static void add(struct virtq_chain *c, void *p, uint32_t len, bool w)
{
    c->buf[c->n++] = (struct virtq_buf){ p, len, w };
    if (w)
        c->writable += len;
    else
        c->readable += len;
}

/* header, one data buffer (device-writable for reads), status */
static int req(struct virtio_dev *d, uint32_t type, uint64_t sector, uint32_t len, bool dev_writes,
               uint32_t *written)
{
    struct virtq_chain c = { 0 };
    const char *why = NULL;
    hdr.type = type;
    hdr.sector = sector;
    status = 0xee;
    add(&c, &hdr, sizeof hdr, false);
    if (len)
        add(&c, data, len, dev_writes);
    add(&c, &status, 1, true);
    assert_int_equal(virtio_blk_handle(d, &c, written, &why), 0);
    return status;
}

static void test_features_and_config(void **state)
{
    uint32_t len;
    const uint8_t *cfg = dev->ops->config(dev, &len);
    uint64_t cap;
    (void)state;
    memcpy(&cap, cfg, 8);
    assert_int_equal(cap, DISK_BYTES / 512);
    assert_true(dev->ops->features(dev) & VIRTIO_F_VERSION_1);
    assert_false(dev->ops->features(dev) & (1ULL << 5));
    assert_true(ro_dev->ops->features(ro_dev) & (1ULL << 5));
    assert_int_equal(dev->ops->device_id, 2);
}

static void test_read(void **state)
{
    uint32_t w;
    (void)state;
    assert_int_equal(req(dev, 0, 3, 1024, true, &w), 0);
    assert_int_equal(w, 1025);
    assert_int_equal(data[0], 3);
    assert_int_equal(data[1023], 4);
}

static void test_write_then_read_back(void **state)
{
    uint32_t w;
    (void)state;
    memset(data, 0xab, 512);
    assert_int_equal(req(dev, 1, 7, 512, false, &w), 0);
    assert_int_equal(w, 1);
    memset(data, 0, 512);
    assert_int_equal(req(dev, 0, 7, 512, true, &w), 0);
    assert_int_equal(data[0], 0xab);
    assert_int_equal(data[511], 0xab);
    assert_int_equal(req(dev, 4, 0, 0, false, &w), 0); /* flush */
}

static void test_read_only_refuses_writes(void **state)
{
    uint32_t w;
    (void)state;
    assert_int_equal(req(ro_dev, 1, 0, 512, false, &w), 1);
    assert_int_equal(req(ro_dev, 0, 0, 512, true, &w), 0);
}

static void test_out_of_range_and_odd_sizes(void **state)
{
    uint32_t w;
    (void)state;
    assert_int_equal(req(dev, 0, DISK_BYTES / 512, 512, true, &w), 1);  /* just past the end */
    assert_int_equal(req(dev, 0, DISK_BYTES / 512 - 1, 1024, true, &w), 1); /* straddles the end */
    assert_int_equal(req(dev, 0, 1ULL << 63, 512, true, &w), 1);       /* sector*512 overflows */
    assert_int_equal(req(dev, 0, UINT64_MAX, 512, true, &w), 1);
    assert_int_equal(req(dev, 0, 0, 100, true, &w), 1);                /* not whole sectors */
    assert_int_equal(req(dev, 1, DISK_BYTES / 512, 512, false, &w), 1);
    assert_int_equal(req(dev, 0, DISK_BYTES / 512 - 1, 512, true, &w), 0); /* last sector is fine */
}

static void test_get_id_and_unsupported(void **state)
{
    uint32_t w;
    (void)state;
    memset(data, 0, 32);
    assert_int_equal(req(dev, 8, 0, 20, true, &w), 0);
    assert_int_equal(w, 21);
    assert_memory_equal(data, "osbox-test-blk.", 15);
    assert_int_equal(req(dev, 8, 0, 4, true, &w), 0); /* short buffer: truncated id */
    assert_int_equal(w, 5);
    assert_int_equal(req(dev, 99, 0, 0, false, &w), 2);
}

static void test_split_header(void **state)
{
    struct virtq_chain c = { 0 };
    const char *why;
    uint32_t w;
    uint8_t h[16] = { 0 };
    (void)state;
    h[8] = 2; /* sector 2 */
    add(&c, h, 5, false);
    add(&c, h + 5, 11, false);
    add(&c, data, 512, true);
    add(&c, &status, 1, true);
    assert_int_equal(virtio_blk_handle(dev, &c, &w, &why), 0);
    assert_int_equal(status, 0);
    assert_int_equal(data[0], 2);
    /* data and status in one buffer */
    struct virtq_chain d = { 0 };
    uint8_t both[513];
    add(&d, h, 16, false);
    add(&d, both, 513, true);
    assert_int_equal(virtio_blk_handle(dev, &d, &w, &why), 0);
    assert_int_equal(both[512], 0);
    assert_int_equal(both[0], 2);
}

static void test_malformed_requests(void **state)
{
    struct virtq_chain c = { 0 };
    const char *why = NULL;
    uint32_t w;
    (void)state;
    add(&c, &hdr, 8, false); /* short header */
    add(&c, &status, 1, true);
    assert_true(virtio_blk_handle(dev, &c, &w, &why) < 0);
    assert_non_null(why);
    struct virtq_chain d = { 0 };
    add(&d, &hdr, 16, false); /* no status byte */
    assert_true(virtio_blk_handle(dev, &d, &w, &why) < 0);
    struct virtq_chain e = { 0 };
    add(&e, &hdr, 16, false);
    add(&e, &status, 1, true);
    add(&e, data, 0, true); /* empty last buffer */
    assert_true(virtio_blk_handle(dev, &e, &w, &why) < 0);
}

static void test_missing_disk(void **state)
{
    struct osbox_err err;
    (void)state;
    assert_null(virtio_blk_new("/nonexistent/disk.img", false, &err));
    assert_non_null(strstr(err.msg, "open disk /nonexistent/disk.img"));
    assert_null(virtio_blk_new("/tmp", false, &err));
    /* a disk a writer holds cannot be opened by a second VM */
    assert_null(virtio_blk_new(path, true, &err));
    assert_non_null(strstr(err.msg, "in use by another VM"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_features_and_config),
        cmocka_unit_test(test_read),
        cmocka_unit_test(test_write_then_read_back),
        cmocka_unit_test(test_read_only_refuses_writes),
        cmocka_unit_test(test_out_of_range_and_odd_sizes),
        cmocka_unit_test(test_get_id_and_unsupported),
        cmocka_unit_test(test_split_header),
        cmocka_unit_test(test_malformed_requests),
        cmocka_unit_test(test_missing_disk),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
