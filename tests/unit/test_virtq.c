/* Split virtqueue logic against plain memory: well-formed chains and the
 * malicious ones a guest can build (loops, out-of-range indices, buffers
 * outside RAM, huge lengths, index jumps). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/guest_mem.h"
#include "vmm/virtq.h"

#define RAM (1u << 20)
#define DESC 0x1000
#define AVAIL 0x2000
#define USED 0x3000

static uint8_t *ram;
static struct guest_mem gm;
static struct virtq q;

static int setup(void **state)
{
    (void)state;
    ram = aligned_alloc(4096, RAM);
    memset(ram, 0, RAM);
    guest_mem_layout(&gm, ram, RAM);
    q = (struct virtq){ .size = 16, .desc_gpa = DESC, .avail_gpa = AVAIL, .used_gpa = USED };
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(ram);
    return 0;
}

static void desc(int i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    struct virtq_desc d = { addr, len, flags, next };
    memcpy(ram + DESC + 16 * i, &d, sizeof d);
}

static void avail_push(uint16_t head)
{
    uint16_t *a = (uint16_t *)(ram + AVAIL);
    a[2 + (a[1] % q.size)] = head;
    a[1]++;
}

static int pop(struct virtq_chain *c, const char **why)
{
    *why = NULL;
    return virtq_pop(&q, &gm, c, why);
}

static void test_guest_ptr_bounds(void **state)
{
    (void)state;
    assert_non_null(guest_ptr(&gm, 0, RAM));
    assert_non_null(guest_ptr(&gm, RAM - 1, 1));
    assert_null(guest_ptr(&gm, RAM - 1, 2));
    assert_null(guest_ptr(&gm, RAM, 0));
    assert_null(guest_ptr(&gm, UINT64_MAX, 2));
    assert_null(guest_ptr(&gm, 16, UINT64_MAX));
    assert_null(guest_ptr(&gm, 0, UINT64_MAX));
}

static void test_layout_splits_around_mmio_gap(void **state)
{
    struct guest_mem big;
    (void)state;
    /* Layout only: no access to the (fake) host addresses. */
    guest_mem_layout(&big, (uint8_t *)0x10000000, 4ULL << 30);
    assert_int_equal(big.nslots, 2);
    assert_int_equal(big.slots[0].size, GUEST_MMIO_GAP_START);
    assert_int_equal(big.slots[1].gpa, GUEST_HIGH_RAM_START);
    assert_null(guest_ptr(&big, 0xd0000000, 4));
    assert_non_null(guest_ptr(&big, GUEST_HIGH_RAM_START, 4096));
}

static void test_enable_checks(void **state)
{
    const char *why;
    (void)state;
    q.size = 3;
    assert_true(virtq_enable(&q, &gm, &why) < 0);
    q.size = 2048;
    assert_true(virtq_enable(&q, &gm, &why) < 0);
    q.size = 0;
    assert_true(virtq_enable(&q, &gm, &why) < 0);
    q.size = 16;
    q.desc_gpa = DESC + 8;
    assert_true(virtq_enable(&q, &gm, &why) < 0);
    assert_string_equal(why, "queue ring is misaligned");
    q.desc_gpa = RAM - 16;
    assert_true(virtq_enable(&q, &gm, &why) < 0);
    assert_string_equal(why, "queue ring lies outside guest RAM");
    q.desc_gpa = DESC;
    q.used_gpa = UINT64_MAX - 3;
    assert_true(virtq_enable(&q, &gm, &why) < 0);
    q.used_gpa = USED;
    assert_int_equal(virtq_enable(&q, &gm, &why), 0);
}

static void test_pop_chain_and_push(void **state)
{
    struct virtq_chain c;
    const char *why;
    (void)state;
    assert_int_equal(virtq_enable(&q, &gm, &why), 0);
    assert_int_equal(pop(&c, &why), 0); /* empty */
    desc(0, 0x10000, 16, VIRTQ_DESC_F_NEXT, 5);
    desc(5, 0x20000, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 9);
    desc(9, 0x30000, 1, VIRTQ_DESC_F_WRITE, 0);
    avail_push(0);
    assert_int_equal(pop(&c, &why), 1);
    assert_int_equal(c.head, 0);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.readable, 16);
    assert_int_equal(c.writable, 513);
    assert_ptr_equal(c.buf[1].host, ram + 0x20000);
    assert_true(c.buf[2].writable);
    assert_int_equal(pop(&c, &why), 0);
    virtq_push(&q, c.head, 513);
    uint16_t used_idx;
    uint32_t id, len;
    memcpy(&used_idx, ram + USED + 2, 2);
    memcpy(&id, ram + USED + 4, 4);
    memcpy(&len, ram + USED + 8, 4);
    assert_int_equal(used_idx, 1);
    assert_int_equal(id, 0);
    assert_int_equal(len, 513);
    assert_true(virtq_should_notify(&q));
    uint16_t flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
    memcpy(ram + AVAIL, &flags, 2);
    assert_false(virtq_should_notify(&q));
    /* A second chain reuses the counters from zero. */
    desc(1, 0x10000, 16, 0, 0);
    avail_push(1);
    assert_int_equal(pop(&c, &why), 1);
    assert_int_equal(c.readable, 16);
    assert_int_equal(c.writable, 0);
}

static void expect_malformed(const char *what)
{
    struct virtq_chain c;
    const char *why;
    assert_int_equal(virtq_enable(&q, &gm, &why), 0);
    assert_true(pop(&c, &why) < 0);
    assert_non_null(why);
    assert_string_equal(why, what);
}

static void test_loop(void **state)
{
    (void)state;
    desc(0, 0x10000, 16, VIRTQ_DESC_F_NEXT, 1);
    desc(1, 0x10000, 16, VIRTQ_DESC_F_NEXT, 2);
    desc(2, 0x10000, 16, VIRTQ_DESC_F_NEXT, 0);
    avail_push(0);
    expect_malformed("descriptor chain loops");
}

static void test_self_loop(void **state)
{
    (void)state;
    desc(3, 0x10000, 16, VIRTQ_DESC_F_NEXT, 3);
    avail_push(3);
    expect_malformed("descriptor chain loops");
}

static void test_next_out_of_range(void **state)
{
    (void)state;
    desc(0, 0x10000, 16, VIRTQ_DESC_F_NEXT, 16);
    avail_push(0);
    expect_malformed("descriptor names a next descriptor out of range");
}

static void test_head_out_of_range(void **state)
{
    (void)state;
    avail_push(200);
    expect_malformed("available ring names a descriptor out of range");
}

static void test_buffer_outside_ram(void **state)
{
    (void)state;
    desc(0, RAM, 16, 0, 0);
    avail_push(0);
    expect_malformed("descriptor buffer lies outside guest RAM");
}

static void test_huge_length(void **state)
{
    (void)state;
    desc(0, 0x10000, 0xffffffffu, 0, 0);
    avail_push(0);
    expect_malformed("descriptor buffer lies outside guest RAM");
}

static void test_address_wraps(void **state)
{
    (void)state;
    desc(0, UINT64_MAX - 8, 512, 0, 0);
    avail_push(0);
    expect_malformed("descriptor buffer lies outside guest RAM");
}

static void test_avail_index_jump(void **state)
{
    uint16_t idx = 1000;
    (void)state;
    memcpy(ram + AVAIL + 2, &idx, 2);
    expect_malformed("available index moved by more than the queue size");
}

static void test_readable_after_writable(void **state)
{
    (void)state;
    desc(0, 0x10000, 16, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
    desc(1, 0x10000, 16, 0, 0);
    avail_push(0);
    expect_malformed("device-readable descriptor after a device-writable one");
}

static void test_indirect_rejected(void **state)
{
    (void)state;
    desc(0, 0x10000, 64, VIRTQ_DESC_F_INDIRECT, 0);
    avail_push(0);
    expect_malformed("indirect descriptor (not negotiated)");
}

static void test_chain_too_long(void **state)
{
    (void)state;
    q.size = 128;
    for (int i = 0; i < 127; i++)
        desc(i, 0x10000, 16, VIRTQ_DESC_F_NEXT, (uint16_t)(i + 1));
    desc(127, 0x10000, 16, 0, 0);
    avail_push(0);
    expect_malformed("descriptor chain is too long");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_guest_ptr_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_layout_splits_around_mmio_gap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enable_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pop_chain_and_push, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_self_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_next_out_of_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_head_out_of_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_buffer_outside_ram, setup, teardown),
        cmocka_unit_test_setup_teardown(test_huge_length, setup, teardown),
        cmocka_unit_test_setup_teardown(test_address_wraps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_avail_index_jump, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readable_after_writable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_indirect_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chain_too_long, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
