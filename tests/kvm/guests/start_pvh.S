/* PVH entry for the test guests: the monitor starts us in 32-bit protected
 * mode with paging off and ebx = hvm_start_info. Build identity page tables
 * for 4 GiB, enter long mode and call guest_main(start_info). */
    .pushsection .note.pvh, "a", @note
    .balign 4
    .long 4                 /* name size: "Xen\0" */
    .long 4                 /* desc size */
    .long 18                /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .balign 4
    .long pvh_entry
    .popsection

    .text
    .code32
    .globl pvh_entry
pvh_entry:
    cli
    mov %ebx, %edi
    mov $0x502, %dx         /* boot-time mark: kernel entry */
    mov $1, %eax
    out %eax, %dx

    movl $(pdpt + 3), pml4
    mov $pdpt, %esi
    mov $(pd + 3), %eax
    mov $4, %ecx
1:  mov %eax, (%esi)
    add $0x1000, %eax
    add $8, %esi
    loop 1b
    mov $pd, %esi
    mov $0x83, %eax         /* present, writable, 2 MiB page */
    xor %edx, %edx
    mov $2048, %ecx
2:  mov %eax, (%esi)
    mov %edx, 4(%esi)
    add $0x200000, %eax
    adc $0, %edx
    add $8, %esi
    loop 2b

    mov $pml4, %eax
    mov %eax, %cr3
    mov %cr4, %eax
    or $0x20, %eax          /* PAE */
    mov %eax, %cr4
    mov $0xc0000080, %ecx   /* EFER.LME */
    rdmsr
    or $0x100, %eax
    wrmsr
    mov %cr0, %eax
    or $0x80000001, %eax    /* PG | PE */
    mov %eax, %cr0
    lgdt gdt_ptr
    ljmp $0x08, $long_mode

    .code64
long_mode:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %ax, %fs
    mov %ax, %gs
    lea stack_top(%rip), %rsp
    mov %edi, %edi
    call guest_main
3:  hlt
    jmp 3b

    .data
    .balign 8
gdt:
    .quad 0
    .quad 0x00af9a000000ffff /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff /* 0x10: data */
gdt_ptr:
    .word gdt_ptr - gdt - 1
    .long gdt

    .bss
    .balign 4096
pml4: .skip 4096
pdpt: .skip 4096
pd:   .skip 4 * 4096
