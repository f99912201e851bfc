/* Host tests of the guest's physical page allocator (guest/mm/pmm.c):
 * what counts as free RAM in a PVH memory map, allocation and freeing,
 * contiguous runs, reference counts, zeroing (pages fresh from the
 * monitor are known zero; reused pages and module pages are cleared). */
#include "test_guest_shim.h"
#include "boot.h"
#include "mm.h"
#include "../../guest/mm/pmm.c"

#define MIB (1UL << 20)

struct modlist { u64 paddr, size, cmdline, reserved; };
static struct hvm_start_info si;
static struct hvm_memmap_entry map[4];

/* The start info lives in low "guest memory" like a monitor puts it. */
static void boot_with(const struct hvm_memmap_entry *m, u32 n, const struct modlist *mod)
{
    shim_ram_setup();
    memcpy(guest_ram + 0x2000, m, n * sizeof *m);
    si = (struct hvm_start_info){ .magic = HVM_START_MAGIC, .version = 1,
                                  .memmap_paddr = 0x2000, .memmap_entries = n };
    if (mod) {
        memcpy(guest_ram + 0x3000, mod, sizeof *mod);
        si.modlist_paddr = 0x3000;
        si.nr_modules = 1;
    }
    max_pfn = hint = nfree = ntotal = 0;
    pmm_init(&si);
}

/* [0, 640K) RAM, 1 MiB..16 MiB RAM, a reserved hole, then 17.5 MiB + 3 pages
 * (not a multiple of 64 pages: the bitmap's word loop has a tail). */
static void boot_default(void)
{
    map[0] = (struct hvm_memmap_entry){ 0, 0x9fc00, 1, 0 };
    map[1] = (struct hvm_memmap_entry){ 0x100000, 15 * MIB, 1, 0 };
    map[2] = (struct hvm_memmap_entry){ 16 * MIB, MIB, 2, 0 };
    map[3] = (struct hvm_memmap_entry){ 17 * MIB + 0x800, 17 * MIB + 3 * PAGE_SIZE, 1, 0 };
    boot_with(map, 4, NULL);
}

static u64 meta_end_phys(void)
{
    u64 bm = ALIGN_UP(max_pfn / 8 + 1, 8);
    return ALIGN_UP(SHIM_KERNEL_END + 2 * bm + max_pfn * 2, PAGE_SIZE);
}

static void test_free_ram_from_memmap(void **state)
{
    (void)state;
    boot_default();
    u64 last = (17 * MIB + 0x800 + 17 * MIB + 3 * PAGE_SIZE) / PAGE_SIZE;
    assert_int_equal(max_pfn, last);
    /* below 1 MiB, the kernel + allocator metadata, the hole and the
     * partial first page of map[3] are not free */
    u64 expect = (16 * MIB - meta_end_phys()) / PAGE_SIZE + (last - (17 * MIB + PAGE_SIZE) / PAGE_SIZE);
    assert_int_equal(pmm_free_pages(), expect);
    assert_int_equal(pmm_total_pages(), expect);
}

static void test_pages_come_from_ram_only(void **state)
{
    (void)state;
    boot_default();
    u64 n = pmm_free_pages(), prev = 0;
    for (u64 i = 0; i < n; i++) {
        u64 p = page_alloc();
        assert_true(p != 0);
        assert_int_equal(p % PAGE_SIZE, 0);
        assert_true(p >= meta_end_phys());
        assert_false(p >= 16 * MIB && p < 17 * MIB + PAGE_SIZE);    /* hole, partial page */
        assert_true(p + PAGE_SIZE <= max_pfn * PAGE_SIZE);
        assert_true(p > prev);      /* first fit, upwards: never twice */
        prev = p;
    }
    assert_int_equal(pmm_free_pages(), 0);
    assert_int_equal(page_alloc(), 0);      /* exhausted */
    assert_int_equal(pages_alloc(0), 0);
}

static void test_runs_and_free(void **state)
{
    (void)state;
    boot_default();
    u64 before = pmm_free_pages();
    u64 a = pages_alloc(4), b = page_alloc(), c = pages_alloc(100);
    assert_true(a && b && c);
    assert_int_equal(b, a + 4 * PAGE_SIZE);
    assert_int_equal(pmm_free_pages(), before - 105);
    pages_free(a, 4);
    assert_int_equal(page_alloc(), a);      /* the lowest free page again */
    u64 d = pages_alloc(4);                 /* 3 pages at a+1 do not fit 4 */
    assert_true(d > c);
    /* a run cannot cross the reserved hole */
    assert_true(pmm_free_pages() > 4500);
    assert_int_equal(pages_alloc(4500), 0);     /* each RAM range is smaller */
    assert_int_equal(pages_alloc(pmm_free_pages() + 1), 0);
}

static void test_zeroing(void **state)
{
    (void)state;
    boot_default();
    u64 p = page_alloc();
    memset(P2V(p), 0xaa, PAGE_SIZE);
    page_put(p);
    u64 q = page_alloc();
    assert_int_equal(q, p);
    for (size_t i = 0; i < PAGE_SIZE; i++) assert_int_equal(((u8 *)P2V(q))[i], 0);
    /* a fresh page is not written at all (the monitor's zero page) */
    u64 r = page_alloc();
    ((u8 *)P2V(r + PAGE_SIZE))[5] = 0x11;   /* pretend: never handed out, not zero */
    u64 s = page_alloc();
    assert_int_equal(s, r + PAGE_SIZE);
    assert_int_equal(((u8 *)P2V(s))[5], 0x11);
    /* _nz leaves a reused page alone */
    memset(P2V(s), 0x55, PAGE_SIZE);
    pages_free(s, 1);
    u64 t = pages_alloc_nz(1);
    assert_int_equal(t, s);
    assert_int_equal(((u8 *)P2V(t))[100], 0x55);
}

static void test_module_pages_are_cleared(void **state)
{
    (void)state;
    map[0] = (struct hvm_memmap_entry){ 0x100000, 7 * MIB, 1, 0 };
    struct modlist mod = { 2 * MIB + 100, 3 * PAGE_SIZE, 0, 0 };
    boot_with(map, 1, &mod);
    memset(guest_ram + 2 * MIB, 0xcc, 4 * PAGE_SIZE);     /* the "initrd" */
    bool saw = false;
    for (u64 p; (p = page_alloc());) {
        if (p >= 2 * MIB && p < 2 * MIB + 4 * PAGE_SIZE) {
            saw = true;
            for (size_t i = 0; i < PAGE_SIZE; i++) assert_int_equal(((u8 *)P2V(p))[i], 0);
        }
    }
    assert_true(saw);
}

static void test_refcounts(void **state)
{
    (void)state;
    boot_default();
    u64 free0 = pmm_free_pages();
    u64 p = page_alloc();
    assert_int_equal(page_refs(p), 1);
    page_get(p);
    page_get(p);
    assert_int_equal(page_refs(p), 3);
    page_put(p);
    page_put(p);
    assert_int_equal(pmm_free_pages(), free0 - 1);
    page_put(p);
    assert_int_equal(pmm_free_pages(), free0);
    if (shim_expect_panic()) { page_put(p); fail_msg("page_put of a free page did not panic"); }
    assert_non_null(strstr(shim_panic_msg, "page_put: bad page"));
    if (shim_expect_panic()) { pages_free(p, 1); fail_msg("double free did not panic"); }
    assert_non_null(strstr(shim_panic_msg, "pages_free: bad page"));
    if (shim_expect_panic()) { pages_free(max_pfn * PAGE_SIZE, 1); fail_msg("free beyond RAM did not panic"); }
}

static void test_no_memmap_uses_cmos_fallback(void **state)
{
    (void)state;
    shim_ram_setup();
    max_pfn = hint = nfree = ntotal = 0;
    pmm_init(NULL);     /* CMOS reads 0xffff blocks of 64 KiB: clamped to the 4 GiB direct map */
    assert_true(max_pfn <= 0xfe000000UL / PAGE_SIZE);
    assert_true(pmm_free_pages() > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_free_ram_from_memmap),
        cmocka_unit_test(test_pages_come_from_ram_only),
        cmocka_unit_test(test_runs_and_free),
        cmocka_unit_test(test_zeroing),
        cmocka_unit_test(test_module_pages_are_cleared),
        cmocka_unit_test(test_refcounts),
        cmocka_unit_test(test_no_memmap_uses_cmos_fallback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
