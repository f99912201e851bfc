/* PVH entry: 32-bit protected mode, paging off, %ebx = hvm_start_info.
 * Builds boot page tables (identity 0-4G, direct map at 0xffff800000000000,
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
    /* four PDs of 2 MiB pages covering 0..4 GiB */
    mov $boot_pd, %edi
    xor %ecx, %ecx
1:  mov %ecx, %eax
    shl $21, %eax
    or $(PTE_P|PTE_W|PTE_PS), %eax
    mov %eax, (%edi,%ecx,8)
    mov %ecx, %eax
    shr $11, %eax                   /* high dword: (i*2M)>>32 */
    mov %eax, 4(%edi,%ecx,8)
    inc %ecx
    cmp $2048, %ecx
    jne 1b
    /* PDPTs: low (identity) and direct share the 4 PDs */
    xor %ecx, %ecx
2:  mov %ecx, %eax
    shl $12, %eax
    add $boot_pd + (PTE_P|PTE_W), %eax
    mov %eax, boot_pdpt_low(,%ecx,8)
    mov %eax, boot_pdpt_direct(,%ecx,8)
    inc %ecx
    cmp $4, %ecx
    jne 2b
    movl $boot_pd + (PTE_P|PTE_W), boot_pdpt_high + 510*8
    movl $boot_pd + 4096 + (PTE_P|PTE_W), boot_pdpt_high + 511*8
    movl $boot_pdpt_low + (PTE_P|PTE_W), boot_pml4
    movl $boot_pdpt_direct + (PTE_P|PTE_W), boot_pml4 + 256*8
    movl $boot_pdpt_high + (PTE_P|PTE_W), boot_pml4 + 511*8

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
    .align 4096
    .globl boot_pml4
boot_pml4:        .fill 512, 8, 0
boot_pdpt_low:    .fill 512, 8, 0
boot_pdpt_direct: .fill 512, 8, 0
boot_pdpt_high:   .fill 512, 8, 0
boot_pd:          .fill 2048, 8, 0

    .text
high_entry:
    movabs $__bss_start_sym, %rdi
    movabs $kernel_end, %rcx
    sub %rdi, %rcx
    xor %eax, %eax
    rep stosb
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
