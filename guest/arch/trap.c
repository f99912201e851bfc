/* Exception and interrupt dispatch.  Kernel faults end the VM with a dump;
 * user faults are turned into signals. */
#include "kernel.h"
#include "trap.h"
#include "proc.h"
#include "mm.h"
#include "apic.h"
#include "boot.h"
#include "cpu.h"
#include "errno.h"
#include "syscall.h"

static const char *const exc_names[32] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
    "invalid opcode", "device not available", "double fault", "coproc overrun",
    "invalid TSS", "segment not present", "stack fault", "general protection",
    "page fault", "reserved", "x87 FP", "alignment check", "machine check",
    "SIMD FP", "virtualization", "control protection",
};

static struct { void (*fn)(void *); void *arg; } irqs[48];
u64 syscall_fixups;
u64 irq_count[48];

void irq_register(int gsi, void (*fn)(void *), void *arg)
{
    if (gsi < 0 || gsi >= 48) return;
    irqs[gsi].fn = fn;
    irqs[gsi].arg = arg;
    ioapic_route(gsi, VEC_IRQ0 + gsi);
}

void dump_frame(struct trapframe *tf)
{
    printk("  rip %016lx  cs %lx  rflags %lx  err %lx\n", tf->rip, tf->cs, tf->rflags, tf->err);
    printk("  rsp %016lx  ss %lx  cr2 %016lx  cr3 %016lx\n", tf->rsp, tf->ss, read_cr2(), read_cr3());
    printk("  rax %016lx rbx %016lx rcx %016lx rdx %016lx\n", tf->rax, tf->rbx, tf->rcx, tf->rdx);
    printk("  rsi %016lx rdi %016lx rbp %016lx r8  %016lx\n", tf->rsi, tf->rdi, tf->rbp, tf->r8);
    printk("  r9  %016lx r10 %016lx r11 %016lx r12 %016lx\n", tf->r9, tf->r10, tf->r11, tf->r12);
    printk("  r13 %016lx r14 %016lx r15 %016lx\n", tf->r13, tf->r14, tf->r15);
}

static void kernel_fault(struct trapframe *tf)
{
    u64 v = tf->vector;
    console_loud();
    printk("osbox-guest: KERNEL EXCEPTION %lu (%s) at %016lx", v, v < 32 && exc_names[v] ? exc_names[v] : "?", tf->rip);
    if (v == 14)
        printk(" faulting address %016lx", read_cr2());
    printk("\n");
    dump_frame(tf);
    machine_exit(128 + (int)v);
}

void trap(struct trapframe *tf)
{
    u64 v = tf->vector;
    bool user = (tf->cs & 3) == 3;
    /* from user mode, or an idle CPU woken: take the kernel lock */
    bool locked = !kernel_lock_held();
    if (locked) kernel_lock();

    if (v < 32) {
        /* Some KVM hosts (kvm-pvm, seen on this project's CI machines,
         * under QEMU -accel kvm and the osbox VMM alike) complete SYSCALL
         * without loading the kernel CS: RIP = LSTAR, RCX/R11 saved,
         * RFLAGS masked, but still CPL 3, so fetching the entry faults.
         * Finish the system call from here instead. */
        if (v == 14 && user && tf->rip == (u64)syscall_entry && read_cr2() == tf->rip) {
            tf->rip = tf->rcx;
            tf->rflags = (tf->r11 & 0xcd5) | 0x202;
            syscall_fixups++;
            syscall_dispatch(tf);   /* also does the return-to-user work */
            goto unlock;
        }
        int fr = v == 14 ? vm_fault(read_cr2(), tf->err, user) : -1;
        if (fr == 0)
            goto out;
        if (fr == -ENOMEM && user) {
            printk("osbox-guest: pid %d (%s): out of memory at %lx, killed\n", cur->pid, cur->name, read_cr2());
            force_signal(cur, SIGKILL);
            goto out;
        }
        if (!user)
            kernel_fault(tf);
        int sig = v == 14 || v == 13 || v == 12 || v == 11 ? SIGSEGV :
                  v == 0 || v == 16 || v == 19 ? SIGFPE : v == 6 ? SIGILL :
                  v == 3 || v == 1 ? SIGTRAP : SIGBUS;
        if (sig == SIGSEGV && v == 14)
            { printk("osbox-guest: pid %d (%s): segfault at %lx ip %lx err %lx\n", cur->pid, cur->name, read_cr2(), tf->rip, tf->err); if (cmdline_get("osbox.debug")) dump_frame(tf); }
        else
            printk("osbox-guest: pid %d (%s): %s at ip %lx\n", cur->pid, cur->name, exc_names[v] ? exc_names[v] : "trap", tf->rip);
        force_signal(cur, sig);
    } else if (v == VEC_TIMER) {
        lapic_eoi();
        timer_tick(user);
    } else if (v >= VEC_IRQ0 && v < VEC_IRQ0 + 48) {
        int g = v - VEC_IRQ0;
        irq_count[g]++;
        if (irqs[g].fn)
            irqs[g].fn(irqs[g].arg);
        lapic_eoi();
    } else if (v == VEC_SPURIOUS) {
        goto unlock;
    } else {
        lapic_eoi();    /* VEC_KICK and strays: the idle loop reschedules */
    }
out:
    if (user)
        return_to_user_work(tf);
unlock:
    if (locked) kernel_unlock();
}
