/* ELF64 entry for the test guests: the monitor starts us in 64-bit mode
 * with its own identity page tables and rsi = hvm_start_info. */
    .text
    .code64
    .globl _start
_start:
    cli
    lea stack_top(%rip), %rsp
    mov %rsi, %rdi
    mov $0x502, %dx
    mov $1, %eax
    out %eax, %dx
    call guest_main
1:  hlt
    jmp 1b
