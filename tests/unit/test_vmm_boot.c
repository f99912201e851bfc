/* Pure parts of the monitor's boot path against plain memory: the ELF
 * loader (PVH note, bounds of every header and segment), the MP table and
 * the bus's range checks. */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/boot.h"
#include "vmm/bus.h"
#include "vmm/vm.h"

#define RAM (4u << 20)

static uint8_t *ram;
static struct guest_mem gm;

static int setup(void **state)
{
    (void)state;
    ram = aligned_alloc(4096, RAM);
    memset(ram, 0, RAM);
    guest_mem_layout(&gm, ram, RAM);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(ram);
    return 0;
}

/* A 64-bit ELF: one PT_LOAD of 32 bytes at paddr, optionally a PVH note. */
struct image {
    Elf64_Ehdr eh;
    Elf64_Phdr ph[2];
    uint32_t note[6];
    uint8_t code[32];
};

static void make_image(struct image *im, uint64_t paddr, bool note, uint32_t descsz)
{
    memset(im, 0, sizeof *im);
    memcpy(im->eh.e_ident, ELFMAG, SELFMAG);
    im->eh.e_ident[EI_CLASS] = ELFCLASS64;
    im->eh.e_ident[EI_DATA] = ELFDATA2LSB;
    im->eh.e_machine = EM_X86_64;
    im->eh.e_entry = paddr + 4;
    im->eh.e_phoff = offsetof(struct image, ph);
    im->eh.e_phentsize = sizeof(Elf64_Phdr);
    im->eh.e_phnum = note ? 2 : 1;
    im->ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = offsetof(struct image, code),
                              .p_paddr = paddr, .p_filesz = 32, .p_memsz = 4096 };
    im->ph[1] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = offsetof(struct image, note),
                              .p_filesz = sizeof im->note };
    im->note[0] = 4;
    im->note[1] = descsz;
    im->note[2] = XEN_ELFNOTE_PHYS32_ENTRY;
    memcpy(&im->note[3], "Xen", 4);
    im->note[4] = 0x100040;
    memset(im->code, 0x90, sizeof im->code);
}

static int load(struct image *im, size_t len, struct elf_image *out, struct osbox_err *err)
{
    return elf_load(&gm, im, len, out, err);
}

static void test_elf64_with_pvh_note(void **state)
{
    struct image im;
    struct elf_image out;
    struct osbox_err err;
    (void)state;
    make_image(&im, 0x100000, true, 4);
    ram[0x100000 + 100] = 0xaa; /* bss must be zeroed */
    assert_int_equal(load(&im, sizeof im, &out, &err), 0);
    assert_true(out.has_pvh);
    assert_int_equal(out.pvh_entry, 0x100040);
    assert_int_equal(out.entry, 0x100004);
    assert_int_equal(out.end, 0x101000);
    assert_int_equal(ram[0x100000], 0x90);
    assert_int_equal(ram[0x100000 + 100], 0);
}

static void test_elf64_without_note(void **state)
{
    struct image im;
    struct elf_image out;
    struct osbox_err err;
    (void)state;
    make_image(&im, 0x200000, false, 4);
    assert_int_equal(load(&im, sizeof im, &out, &err), 0);
    assert_false(out.has_pvh);
    assert_true(out.is64);
}

static void expect_error(struct image *im, size_t len, const char *msg)
{
    struct elf_image out;
    struct osbox_err err = { 0 };
    assert_true(load(im, len, &out, &err) < 0);
    if (!strstr(err.msg, msg))
        fail_msg("error '%s' does not mention '%s'", err.msg, msg);
}

static void test_bad_images(void **state)
{
    struct image im;
    (void)state;
    make_image(&im, 0x100000, true, 4);
    expect_error(&im, 3, "not an ELF");
    expect_error(&im, 40, "truncated");
    im.eh.e_machine = EM_AARCH64;
    expect_error(&im, sizeof im, "not for x86");
    make_image(&im, 0x100000, true, 4);
    im.eh.e_phoff = 1ULL << 62; /* program headers far outside the file */
    expect_error(&im, sizeof im, "truncated");
    make_image(&im, 0x100000, true, 4);
    im.ph[0].p_offset = sizeof im - 4; /* segment runs off the end of the file */
    expect_error(&im, sizeof im, "outside the file");
    make_image(&im, 0x100000, true, 4);
    im.ph[0].p_filesz = 64; /* filesz > memsz is fine only up to memsz */
    im.ph[0].p_memsz = 16;
    expect_error(&im, sizeof im, "outside the file");
    make_image(&im, 0x1000, true, 4);
    expect_error(&im, sizeof im, "below 1 MiB");
    make_image(&im, RAM - 16, true, 4);
    expect_error(&im, sizeof im, "does not fit");
    make_image(&im, 0x100000, true, 4);
    im.ph[0].p_paddr = UINT64_MAX - 8; /* wraps around */
    expect_error(&im, sizeof im, "does not fit");
    make_image(&im, 0x100000, true, 4);
    im.eh.e_phnum = 0;
    expect_error(&im, sizeof im, "program headers");
    make_image(&im, 0x100000, true, 4);
    im.ph[0].p_type = PT_NULL;
    expect_error(&im, sizeof im, "no loadable segment");
}

static void test_bad_note_is_ignored(void **state)
{
    struct image im;
    struct elf_image out;
    struct osbox_err err;
    (void)state;
    make_image(&im, 0x100000, true, 0xfffffff0u); /* desc size runs past the note */
    assert_int_equal(load(&im, sizeof im, &out, &err), 0);
    assert_false(out.has_pvh);
}

static void test_mptable(void **state)
{
    (void)state;
    assert_int_equal(mptable_write(&gm, BOOT_MPTABLE_ADDR, 8, 24), 0);
    uint8_t *fp = ram + BOOT_MPTABLE_ADDR, sum = 0;
    assert_memory_equal(fp, "_MP_", 4);
    for (int i = 0; i < 16; i++)
        sum = (uint8_t)(sum + fp[i]);
    assert_int_equal(sum, 0);
    uint32_t cfg_addr;
    memcpy(&cfg_addr, fp + 4, 4);
    uint8_t *cfg = ram + cfg_addr;
    uint16_t len, count;
    memcpy(&len, cfg + 4, 2);
    memcpy(&count, cfg + 34, 2);
    assert_memory_equal(cfg, "PCMP", 4);
    sum = 0;
    for (int i = 0; i < len; i++)
        sum = (uint8_t)(sum + cfg[i]);
    assert_int_equal(sum, 0);
    assert_int_equal(count, 8 + 2 + 24 + 2);
    assert_int_equal(cfg[44], 0);           /* first entry: processor */
    assert_int_equal(cfg[44 + 3], 3);       /* enabled + BSP */
    assert_int_equal(cfg[44 + 20 + 3], 1);  /* second: enabled AP */
    assert_true(mptable_write(&gm, RAM - 100, 8, 24) < 0); /* does not fit */
}

static void nop_read(void *o, uint64_t off, void *d, uint32_t len) { (void)o, (void)off; memset(d, 0x5a, len); }

static void test_bus(void **state)
{
    static const struct bus_ops ops = { nop_read, NULL };
    struct bus bus = { 0 };
    uint32_t v;
    (void)state;
    assert_int_equal(bus_register(&bus, 0x3f8, 8, &ops, NULL), 0);
    assert_true(bus_register(&bus, 0x3ff, 1, &ops, NULL) < 0);       /* overlap */
    assert_true(bus_register(&bus, 0x3f0, 9, &ops, NULL) < 0);       /* overlap */
    assert_true(bus_register(&bus, UINT64_MAX, 2, &ops, NULL) < 0);  /* wraps */
    assert_int_equal(bus_register(&bus, 0x3f0, 8, &ops, NULL), 0);   /* adjacent is fine */
    assert_true(bus_read(&bus, 0x3f9, &v, 4));
    assert_int_equal(v, 0x5a5a5a5a);
    assert_false(bus_read(&bus, 0x400, &v, 4));
    assert_int_equal(v, 0xffffffff);
    assert_false(bus_write(&bus, 0x400, &v, 4));
    assert_true(bus_write(&bus, 0x3f8, &v, 1)); /* claimed, no write handler */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_elf64_with_pvh_note),
        cmocka_unit_test(test_elf64_without_note),
        cmocka_unit_test(test_bad_images),
        cmocka_unit_test(test_bad_note_is_ignored),
        cmocka_unit_test(test_mptable),
        cmocka_unit_test(test_bus),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
