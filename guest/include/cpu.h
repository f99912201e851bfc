/* Per-CPU state, reached through GS (swapgs on every user/kernel switch),
 * and the big kernel lock: the kernel runs on one CPU at a time. */
#ifndef GUEST_CPU_H
#define GUEST_CPU_H
#include "types.h"

#define MAXCPU 8

struct tss {
    u32 rsv0;
    u64 rsp0, rsp1, rsp2, rsv1;
    u64 ist[7];
    u64 rsv2;
    u16 rsv3, iomap;
} __attribute__((packed));

struct proc;
struct mm;
struct cpu {
    struct cpu *self;       /* %gs:0  */
    u64 kstack_top;         /* %gs:8  syscall entry stack */
    u64 user_rsp;           /* %gs:16 scratch at syscall entry */
    struct proc *current;   /* %gs:24 */
    struct proc *idle;
    struct mm *mm_loaded;   /* address space in CR3 */
    int id;
    u32 apic_id;
    volatile bool started;
    u64 gdt[8] __attribute__((aligned(16)));
    struct tss tss __attribute__((aligned(16)));
    u8 df_stack[4096] __attribute__((aligned(16)));
};

extern struct cpu cpus[MAXCPU];
extern int ncpus;

static inline struct cpu *this_cpu(void)
{
    struct cpu *c;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(c));
    return c;
}

void cpu_init(struct cpu *c);
void kernel_lock(void);
void kernel_unlock(void);
bool kernel_lock_held(void);
void smp_start(void);
void smp_kick_idle(void);

/* arch/trampoline.S: the real-mode start of the other CPUs, copied low */
extern char tramp_start[], tramp_end[], tramp_pml4[], tramp_stack[], tramp_cpu[];
#endif
