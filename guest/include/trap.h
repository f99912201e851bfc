/* The register frame every kernel entry pushes (arch/entry.S). */
#ifndef GUEST_TRAP_H
#define GUEST_TRAP_H
#include "types.h"

struct trapframe {
    u64 r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    u64 vector, err;
    u64 rip, cs, rflags, rsp, ss;
};

#define KCODE_SEL 0x08
#define KDATA_SEL 0x10
#define UDATA_SEL 0x23
#define UCODE_SEL 0x2b
#define TSS_SEL   0x30

#define VEC_IRQ0     32      /* GSI n -> vector 32 + n */
#define VEC_TIMER    0xf0
#define VEC_KICK     0xf1   /* another CPU made work runnable */
#define VEC_SPURIOUS 0xff
#define VEC_SYSCALL  0x100   /* marker in trapframe.vector */

void tss_set_rsp0(u64 rsp0);
void trap(struct trapframe *tf);
void dump_frame(struct trapframe *tf);
void irq_register(int gsi, void (*fn)(void *), void *arg);
void return_to_user_work(struct trapframe *tf);

/* arch/entry.S */
extern u64 isr_addrs[256];          /* the interrupt stubs, for the IDT */
void syscall_entry(void);           /* LSTAR: where `syscall` lands */
void fork_ret(void);                /* a new process's first return to user */
void kthread_start(void);           /* a kernel thread's first instruction */
void swtch(u64 *save, u64 sp);      /* save this stack pointer, run on sp */
#endif
