/* Pure parts of the monitor's boot path against plain memory: the ELF
 * loader (PVH note, bounds of every header and segment), the MP table and
 * the bus's range checks, the bzImage loader, the ACPI tables. */
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

/* A bzImage as far as the loader reads it: boot sector, setup header, 4
 * setup sectors, then a "protected-mode kernel" of 4 KiB. */
#define BZ_LEN (5 * 512 + 4096)
static void make_bzimage(uint8_t *bz, uint16_t version)
{
    memset(bz, 0, BZ_LEN);
    bz[0x1f1] = 4;                                   /* setup_sects */
    bz[0x1fe] = 0x55, bz[0x1ff] = 0xaa;
    bz[0x201] = 0x6a;                                /* header ends at 0x26c */
    memcpy(bz + 0x202, "HdrS", 4);
    memcpy(bz + 0x206, &version, 2);
    bz[0x211] = 0x01;                                /* LOADED_HIGH */
    memcpy(bz + 0x22c, &(uint32_t){ 0x7fffffff }, 4); /* initrd_addr_max */
    bz[0x236] = 0x01;                                /* XLF_KERNEL_64 */
    memcpy(bz + 0x238, &(uint32_t){ 2048 }, 4);      /* cmdline_size */
    memcpy(bz + 0x258, &(uint64_t){ 0x100000 }, 8);  /* pref_address */
    memcpy(bz + 0x260, &(uint32_t){ 0x10000 }, 4);   /* init_size */
    memset(bz + 5 * 512, 0xcc, 4096);
}

static void test_bzimage_zero_page(void **state)
{
    static uint8_t bz[BZ_LEN];
    static const char initrd[] = "INITRD!";
    struct boot_linux_in in = { .kernel = bz, .kernel_len = BZ_LEN, .cmdline_len = 10,
                                .initrd = initrd, .initrd_len = sizeof initrd };
    struct osbox_err err = { 0 };
    uint64_t entry = 0;
    uint32_t rd, rdlen, cmd;
    uint8_t *zp = ram + BOOT_ZERO_PAGE_ADDR;
    (void)state;

    make_bzimage(bz, 0x20f);
    assert_true(bzimage_detect(bz, BZ_LEN));
    assert_int_equal(boot_linux_load(&gm, &in, &entry, &err), 0);
    assert_int_equal(entry, 0x100200);                /* 64-bit entry: startup_64 */
    assert_int_equal(ram[0x100000], 0xcc);            /* protected-mode kernel at 1 MiB */
    assert_memory_equal(zp + 0x202, "HdrS", 4);       /* setup header copied */
    assert_int_equal(zp[0x210], 0xff);                /* type_of_loader */
    memcpy(&cmd, zp + 0x228, 4);
    assert_int_equal(cmd, BOOT_CMDLINE_ADDR);
    memcpy(&rd, zp + 0x218, 4);
    memcpy(&rdlen, zp + 0x21c, 4);
    assert_int_equal(rdlen, sizeof initrd);
    assert_int_equal(rd % 4096, 0);
    assert_true(rd + rdlen <= RAM && rd >= 0x110000); /* above pref_address + init_size */
    assert_memory_equal(ram + rd, initrd, sizeof initrd);
    assert_int_equal(zp[0x1e8], 3);                   /* e820: low RAM, hole, RAM from 1 MiB */
    uint64_t addr, size;
    uint32_t type;
    memcpy(&addr, zp + 0x2d0 + 40, 8);
    memcpy(&size, zp + 0x2d0 + 48, 8);
    memcpy(&type, zp + 0x2d0 + 56, 4);
    assert_int_equal(addr, 0x100000);
    assert_int_equal(size, RAM - 0x100000);
    assert_int_equal(type, 1);
}

static void expect_bz_error(uint8_t *bz, size_t len, size_t cmdline_len, const char *msg)
{
    struct boot_linux_in in = { .kernel = bz, .kernel_len = len, .cmdline_len = cmdline_len };
    struct osbox_err err = { 0 };
    uint64_t entry;

    assert_true(boot_linux_load(&gm, &in, &entry, &err) < 0);
    if (!strstr(err.msg, msg))
        fail_msg("error '%s' does not mention '%s'", err.msg, msg);
}

static void test_bad_bzimages(void **state)
{
    static uint8_t bz[BZ_LEN];
    static uint8_t big[RAM];
    (void)state;

    make_bzimage(bz, 0x20f);
    assert_false(bzimage_detect(bz, 512));
    expect_bz_error(bz, 0x300, 0, "not a bzImage");   /* too short to hold the header */
    expect_bz_error(bz, 5 * 512, 0, "truncated");     /* nothing after the setup sectors */
    expect_bz_error(bz, BZ_LEN, 2048, "command line is too long");
    bz[0x1f1] = 200;                                 /* setup sectors beyond the file */
    expect_bz_error(bz, BZ_LEN, 0, "truncated");
    make_bzimage(bz, 0x20b);
    expect_bz_error(bz, BZ_LEN, 0, "too old");
    make_bzimage(bz, 0x20f);
    bz[0x236] = 0;
    expect_bz_error(bz, BZ_LEN, 0, "no 64-bit entry");
    make_bzimage(bz, 0x20f);
    bz[0x211] = 0;
    expect_bz_error(bz, BZ_LEN, 0, "1 MiB");
    make_bzimage(big, 0x20f);
    expect_bz_error(big, sizeof big, 0, "does not fit");
    memset(bz + 0x1fe, 0, 2);
    assert_false(bzimage_detect(bz, BZ_LEN));
}

static uint8_t sum(const uint8_t *p, size_t len)
{
    uint8_t v = 0;

    for (size_t i = 0; i < len; i++)
        v = (uint8_t)(v + p[i]);
    return v;
}

static const uint8_t *table_at(uint64_t gpa, const char *sig)
{
    const uint8_t *t = ram + gpa;
    uint32_t len;

    assert_memory_equal(t, sig, 4);
    memcpy(&len, t + 4, 4);
    assert_int_equal(sum(t, len), 0);
    return t;
}

/* RSDP -> XSDT -> FADT (-> DSDT), MADT: signatures, checksums, one LAPIC per
 * vCPU, one LNRO0005 device per virtio-mmio window. */
static void test_acpi_tables(void **state)
{
    const uint8_t *rsdp = ram + BOOT_ACPI_ADDR, *xsdt, *fadt, *madt, *dsdt;
    uint64_t xa, fa, ma, da;
    uint32_t len, lapics = 0, devices = 0;
    (void)state;

    assert_int_equal(acpi_write(&gm, 3, 2), 0);
    assert_memory_equal(rsdp, "RSD PTR ", 8);
    assert_int_equal(sum(rsdp, 20), 0);
    assert_int_equal(sum(rsdp, 36), 0);
    memcpy(&xa, rsdp + 24, 8);
    xsdt = table_at(xa, "XSDT");
    memcpy(&fa, xsdt + 36, 8);
    memcpy(&ma, xsdt + 44, 8);
    fadt = table_at(fa, "FACP");
    madt = table_at(ma, "APIC");
    memcpy(&da, fadt + 140, 8);
    dsdt = table_at(da, "DSDT");
    assert_true(fadt[112 + 2] & 0x10);               /* flags: HW_REDUCED_ACPI (bit 20) */
    memcpy(&len, madt + 4, 4);
    for (uint32_t off = 44; off < len; off += madt[off + 1])
        lapics += madt[off] == 0;
    assert_int_equal(lapics, 3);
    memcpy(&len, dsdt + 4, 4);
    for (uint32_t off = 36; off + 8 <= len; off++)
        devices += !memcmp(dsdt + off, "LNRO0005", 8);
    assert_int_equal(devices, 2);
    assert_true(acpi_write(&gm, VMM_MAX_CPUS + 1, 0) < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_elf64_with_pvh_note),
        cmocka_unit_test(test_elf64_without_note),
        cmocka_unit_test(test_bad_images),
        cmocka_unit_test(test_bad_note_is_ignored),
        cmocka_unit_test(test_mptable),
        cmocka_unit_test(test_bzimage_zero_page),
        cmocka_unit_test(test_bad_bzimages),
        cmocka_unit_test(test_acpi_tables),
        cmocka_unit_test(test_bus),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
