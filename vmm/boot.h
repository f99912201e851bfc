/* Boot layout and formats shared by the loaders. */
#ifndef OSBOX_VMM_BOOT_H
#define OSBOX_VMM_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"
#include "osbox_err.h"

/* Fixed low-memory layout (guest physical). */
#define BOOT_GDT_ADDR        0x500
#define BOOT_START_INFO_ADDR 0x1000
#define BOOT_MEMMAP_ADDR     0x2000
#define BOOT_MODLIST_ADDR    0x3000
#define BOOT_ZERO_PAGE_ADDR  0x7000   /* bzImage: struct boot_params */
#define BOOT_STACK_TOP       0x8ff0   /* scratch stack for the 64-bit entry */
#define BOOT_PML4_ADDR       0x9000   /* 0x9000..0xffff: identity page tables */
#define BOOT_CMDLINE_ADDR    0x20000
#define BOOT_CMDLINE_MAX     0x10000
#define BOOT_LOW_RAM_END     0x9fc00  /* base memory ends; the rest below 1 MiB is reserved */
#define BOOT_ACPI_ADDR       0xe0000  /* RSDP and ACPI tables (acpi.c), 12 KiB */
#define BOOT_MPTABLE_ADDR    0xf0000  /* BIOS area, scanned for "_MP_" by guests */
#define BOOT_KERNEL_MIN      0x100000 /* kernel segments must load at or above 1 MiB */

/* PVH boot ABI (Xen's hvm_start_info, version 1). */
#define PVH_START_MAGIC 0x336ec578u
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define PVH_MEMMAP_RAM 1
#define PVH_MEMMAP_RESERVED 2

struct pvh_start_info {
    uint32_t magic, version, flags, nr_modules;
    uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
    uint32_t memmap_entries, reserved;
};

struct pvh_modlist_entry {
    uint64_t paddr, size, cmdline_paddr, reserved;
};

struct pvh_memmap_entry {
    uint64_t addr, size;
    uint32_t type, reserved;
};

/* The guest's RAM map (PVH memmap, e820): low RAM, the BIOS hole, RAM from
 * 1 MiB to the MMIO gap, RAM above 4 GiB. Returns the entry count. */
#define BOOT_MEMMAP_MAX 4
int boot_memmap(const struct guest_mem *gm, struct pvh_memmap_entry map[BOOT_MEMMAP_MAX]);

struct elf_image {
    uint64_t entry;        /* e_entry */
    uint64_t pvh_entry;    /* PHYS32_ENTRY note, if has_pvh */
    bool has_pvh;
    bool is64;
    uint64_t end;          /* highest guest-physical byte loaded + 1 */
};

/* Check an ELF (32 or 64-bit, x86) and copy its PT_LOAD segments into guest
 * memory at their physical addresses. Every offset and size is checked. */
int elf_load(struct guest_mem *gm, const void *img, size_t len, struct elf_image *out,
             struct osbox_err *err);

/* Linux's boot protocol (boot_linux.c). */
struct boot_linux_in {
    const void *kernel, *initrd;   /* initrd NULL: none */
    size_t kernel_len, initrd_len;
    size_t cmdline_len;            /* already at BOOT_CMDLINE_ADDR */
    uint64_t rsdp;                 /* ACPI RSDP for boot_params, 0: none */
};
/* Is this a bzImage (0xaa55 boot flag and the "HdrS" setup header)? */
bool bzimage_detect(const void *img, size_t len);
/* Load a bzImage (boot protocol 2.12+ with a 64-bit entry) at 1 MiB, build
 * its zero page at BOOT_ZERO_PAGE_ADDR (setup header, e820, command line,
 * initrd below its initrd_addr_max); *entry is the 64-bit entry point. */
int boot_linux_load(struct guest_mem *gm, const struct boot_linux_in *in, uint64_t *entry,
                    struct osbox_err *err);

/* 64-bit entry: GDT and identity page tables for the first 4 GiB (also mapped
 * at -2 GiB for higher-half kernels). The GDT has osbox's selectors (0x08
 * code64, 0x10 data, 0x18 code32) or, with linux_selectors, the boot
 * protocol's (0x10 code64, 0x18 data). */
void boot_write_long_mode_tables(struct guest_mem *gm, bool linux_selectors);

#endif
