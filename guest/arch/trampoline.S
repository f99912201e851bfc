/* Application-processor start-up code, copied to physical 0x8000 (the
 * SIPI vector 0x08): real mode -> protected mode -> long mode on the boot
 * page tables, then a jump to ap_entry64 on the stack the BSP left. */
#define T(x) ((x) - tramp_start + 0x8000)

    .section .rodata
    .globl tramp_start, tramp_end, tramp_pml4, tramp_stack, tramp_cpu
    .code16
tramp_start:
    cli
    cld
    xor %ax, %ax
    mov %ax, %ds
    lgdtl T(tramp_gdtr)
    mov %cr0, %eax
    or $1, %eax
    mov %eax, %cr0
    ljmpl $0x08, $T(tramp_pm)

    .code32
tramp_pm:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %cr4, %eax
    or $0x6a0, %eax                 /* PAE PGE OSFXSR OSXMMEXCPT */
    mov %eax, %cr4
    mov T(tramp_pml4), %eax
    mov %eax, %cr3
    mov $0xc0000080, %ecx
    rdmsr
    or $0x901, %eax                 /* LME NXE SCE */
    wrmsr
    mov %cr0, %eax
    and $~0x6000000c, %eax
    or $0x80010023, %eax            /* PG WP NE MP PE */
    mov %eax, %cr0
    ljmp $0x18, $T(tramp_lm)

    .code64
tramp_lm:
    mov T(tramp_stack), %rsp
    mov T(tramp_cpu), %rdi
    movabs $ap_entry64, %rax
    jmp *%rax

    .align 16
tramp_gdt:
    .quad 0
    .quad 0x00cf9a000000ffff        /* 0x08 code 32 */
    .quad 0x00cf92000000ffff        /* 0x10 data */
    .quad 0x00af9a000000ffff        /* 0x18 code 64 */
tramp_gdtr:
    .word tramp_gdtr - tramp_gdt - 1
    .long T(tramp_gdt)
    .align 8
tramp_pml4:  .quad 0
tramp_stack: .quad 0
tramp_cpu:   .quad 0
tramp_end:

    .text
    .code64
    .globl ap_entry64
ap_entry64:
    xor %ebp, %ebp
    call ap_main
1:  hlt
    jmp 1b
