/* Tables for entering an ELF64 kernel directly in 64-bit mode: a GDT and
 * identity page tables over the first 4 GiB (2 MiB pages), the same PDs also
 * mapped at -2 GiB so kernels linked in the higher half can start there. */
#include <string.h>

#include "boot.h"

#define PTE_P   0x1ULL
#define PTE_RW  0x2ULL
#define PTE_PS  0x80ULL

void boot_write_long_mode_tables(struct guest_mem *gm, bool linux_selectors)
{
    static const uint64_t gdt[4] = {
        0,
        0x00af9b000000ffffULL, /* 0x08: 64-bit code */
        0x00cf93000000ffffULL, /* 0x10: data */
        0x00cf9b000000ffffULL, /* 0x18: 32-bit code (PVH entry) */
    };
    uint64_t *pml4 = guest_ptr(gm, BOOT_PML4_ADDR, 0x7000);
    uint64_t *pdpt = pml4 + 512, *pd = pml4 + 1024, *pdpt_hi = pml4 + 6 * 512;

    /* Linux's 64-bit protocol wants code at 0x10 and data at 0x18. */
    static const uint64_t gdt_linux[4] = { 0, 0, 0x00af9b000000ffffULL, 0x00cf93000000ffffULL };

    memcpy(guest_ptr(gm, BOOT_GDT_ADDR, sizeof gdt), linux_selectors ? gdt_linux : gdt, sizeof gdt);
    memset(pml4, 0, 0x7000);
    pml4[0] = (BOOT_PML4_ADDR + 0x1000) | PTE_P | PTE_RW;
    pml4[511] = (BOOT_PML4_ADDR + 0x6000) | PTE_P | PTE_RW;
    for (int i = 0; i < 4; i++)
        pdpt[i] = (BOOT_PML4_ADDR + 0x2000 + 0x1000ULL * i) | PTE_P | PTE_RW;
    pdpt_hi[510] = pdpt[0];
    pdpt_hi[511] = pdpt[1];
    for (uint64_t i = 0; i < 4 * 512; i++)
        pd[i] = (i << 21) | PTE_P | PTE_RW | PTE_PS;
}
