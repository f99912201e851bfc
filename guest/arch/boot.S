/* PVH entry: 32-bit protected mode, paging off, %ebx = hvm_start_info.
 * Loads the boot page tables (identity 0-4G, direct map at 0xffff800000000000,
 * kernel at 0xffffffff80000000), enters long mode and jumps high. */
#define KVMA 0xffffffff80000000
#define PTE_P  1
#define PTE_W  2
#define PTE_PS 0x80

    .section .note.pvh, "a"
    .align 4
    .long 4, 4, 18          /* namesz, descsz, XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .long pvh_start32

    .section .boot.text, "ax"
    .code32
    .globl pvh_start32
pvh_start32:
    cli
    cld
    mov %ebx, %esi                  /* keep start_info */
    mov $0x502, %dx                 /* boot-time marker: kernel entry */
    mov $1, %eax
    outl %eax, %dx
    mov %cr4, %eax
    or $0x6a0, %eax                 /* PAE | PGE | OSFXSR | OSXMMEXCPT */
    mov %eax, %cr4
    mov $boot_pml4, %eax
    mov %eax, %cr3
    mov $0xc0000080, %ecx           /* EFER: LME | NXE | SCE */
    rdmsr
    or $0x901, %eax
    wrmsr
    mov %cr0, %eax
    and $~0x6000000c, %eax          /* caches on, no EM/TS */
    or $0x80010023, %eax            /* PG | WP | NE | MP | PE */
    mov %eax, %cr0
    lgdt boot_gdtr
    ljmp $0x08, $long_entry

    .code64
long_entry:
    mov $0x10, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    xor %eax, %eax
    mov %eax, %fs
    mov %eax, %gs
    movabs $high_entry, %rax
    jmp *%rax

    .section .boot.data, "aw"
    .align 16
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff        /* 0x08 kernel code 64 */
    .quad 0x00cf92000000ffff        /* 0x10 kernel data */
boot_gdtr:
    .word boot_gdtr - boot_gdt - 1
    .long boot_gdt
    /* The boot page tables are data, filled in at build time: building
     * them in a loop costs ~10 ms where the hypervisor emulates kernel
     * code (kvm-pvm).  Four PDs of 2 MiB pages map 0..4 GiB; the identity
     * and direct-map PDPTs share them; the kernel's PDPT maps 0..2 GiB at
     * -2 GiB. */
    .align 4096
    .globl boot_pml4
boot_pml4:
    .quad boot_pdpt_low + (PTE_P|PTE_W)
    .fill 255, 8, 0
    .quad boot_pdpt_direct + (PTE_P|PTE_W)
    .fill 254, 8, 0
    .quad boot_pdpt_high + (PTE_P|PTE_W)
boot_pdpt_low:
    .quad boot_pd + (PTE_P|PTE_W), boot_pd + 0x1000 + (PTE_P|PTE_W)
    .quad boot_pd + 0x2000 + (PTE_P|PTE_W), boot_pd + 0x3000 + (PTE_P|PTE_W)
    .fill 508, 8, 0
boot_pdpt_direct:
    .quad boot_pd + (PTE_P|PTE_W), boot_pd + 0x1000 + (PTE_P|PTE_W)
    .quad boot_pd + 0x2000 + (PTE_P|PTE_W), boot_pd + 0x3000 + (PTE_P|PTE_W)
    .fill 508, 8, 0
boot_pdpt_high:
    .fill 510, 8, 0
    .quad boot_pd + (PTE_P|PTE_W), boot_pd + 0x1000 + (PTE_P|PTE_W)
boot_pd:
    .set pde, 0
    .rept 2048
    .quad (pde << 21) | (PTE_P|PTE_W|PTE_PS)
    .set pde, pde + 1
    .endr

    .text
high_entry:
    /* .bss needs no clearing: it is the zero-filled tail (p_memsz beyond
     * p_filesz) of the data segment, which every ELF loader zeroes; doing
     * it again costs ~150 ms where kernel code is emulated (kvm-pvm). */
    movabs $boot_stack_top, %rsp
    xor %ebp, %ebp
    mov %esi, %edi                  /* hvm_start_info physical */
    call kmain
3:  hlt
    jmp 3b

    .bss
    .align 16
boot_stack: .skip 16384
    .globl boot_stack_top
boot_stack_top:
