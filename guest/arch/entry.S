/* Interrupt/exception stubs, the syscall entry and the context switch.
 * Every kernel entry builds a struct trapframe (see include/trap.h). */

.macro PUSH_REGS
    push %rax; push %rbx; push %rcx; push %rdx; push %rsi; push %rdi; push %rbp
    push %r8; push %r9; push %r10; push %r11; push %r12; push %r13; push %r14; push %r15
.endm
.macro POP_REGS
    pop %r15; pop %r14; pop %r13; pop %r12; pop %r11; pop %r10; pop %r9; pop %r8
    pop %rbp; pop %rdi; pop %rsi; pop %rdx; pop %rcx; pop %rbx; pop %rax
.endm

.macro ISR n
    .align 16
isr\n:
    .if (\n == 8 || (\n >= 10 && \n <= 14) || \n == 17 || \n == 21 || \n == 29 || \n == 30)
    .else
    push $0
    .endif
    push $\n
    jmp trap_common
.endm

    .text
    .globl isr_table
.altmacro
.macro ISRS from, to
    ISR \from
    .if \to-\from
    ISRS %(\from+1), \to
    .endif
.endm
    ISRS 0, 63
    ISRS 64, 127
    ISRS 128, 191
    ISRS 192, 255

trap_common:
    testb $3, 24(%rsp)              /* from user: switch to the kernel GS */
    jz 1f
    swapgs
1:  PUSH_REGS
    mov %rsp, %rdi
    cld
    call trap
    .globl trapret
trapret:
    POP_REGS
    add $16, %rsp
    testb $3, 8(%rsp)
    jz 1f
    swapgs
1:  iretq

/* syscall: rcx = user rip, r11 = user rflags, IF cleared by FMASK. */
    .globl syscall_entry
syscall_entry:
    swapgs
    mov %rsp, %gs:16                /* struct cpu: user_rsp */
    mov %gs:8, %rsp                 /* struct cpu: kstack_top */
    push $0x23
    push %gs:16
    push %r11
    push $0x2b
    push %rcx
    push $0
    push $0x100
    PUSH_REGS
    mov %rsp, %rdi
    cld
    call syscall_dispatch
    test %eax, %eax
    jnz trapret
    POP_REGS
    add $16, %rsp
    mov (%rsp), %rcx
    mov 16(%rsp), %r11
    swapgs
    mov 24(%rsp), %rsp
    sysretq

/* swtch(uint64_t *save_sp, uint64_t new_sp) */
    .globl swtch
swtch:
    push %rbp; push %rbx; push %r12; push %r13; push %r14; push %r15
    mov %rsp, (%rdi)
    mov %rsi, %rsp
    pop %r15; pop %r14; pop %r13; pop %r12; pop %rbx; pop %rbp
    ret

/* First run of a new process: its trapframe sits right above. */
    .globl fork_ret
fork_ret:
    call sched_tail
    call kernel_unlock
    jmp trapret

    .data
    .align 8
    .globl isr_addrs
isr_addrs:
.macro ISRADDR n
    .quad isr\n
.endm
.macro ISRADDRS from, to
    ISRADDR %from
    .if \to-\from
    ISRADDRS %(\from+1), \to
    .endif
.endm
    ISRADDRS 0, 63
    ISRADDRS 64, 127
    ISRADDRS 128, 191
    ISRADDRS 192, 255

    .text
/* enter_user(tf): return to user mode through a prepared trapframe. */
    .globl enter_user
enter_user:
    mov %rdi, %rsp
    call kernel_unlock
    jmp trapret

/* First run of a kernel thread: r12 = fn, r13 = arg (set up by the creator). */
    .globl kthread_start
kthread_start:
    call sched_tail
    mov %r13, %rdi
    call *%r12
1:  hlt
    jmp 1b
