/* GDT (with the TSS and the segment order sysret needs), IDT, syscall MSRs. */
#include "kernel.h"
#include "trap.h"
#include "cpu.h"

struct idt_entry {
    u16 off0, sel;
    u8 ist, type;
    u16 off1;
    u32 off2, rsv;
} __attribute__((packed));

static const u64 gdt_template[8] = {
    0,
    0x00af9b000000ffffUL,   /* 0x08 kernel code */
    0x00cf93000000ffffUL,   /* 0x10 kernel data */
    0x00cff3000000ffffUL,   /* 0x18 (sysret base: user data at +8, code at +16) */
    0x00cff3000000ffffUL,   /* 0x20 user data */
    0x00affb000000ffffUL,   /* 0x28 user code 64 */
    0, 0,                   /* 0x30 TSS (16 bytes) */
};
static struct idt_entry idt[256] __attribute__((aligned(16)));
struct cpu cpus[MAXCPU];
int ncpus = 1;

struct desc_ptr { u16 limit; u64 base; } __attribute__((packed));

void tss_set_rsp0(u64 rsp0) { this_cpu()->tss.rsp0 = rsp0; }

/* Big kernel lock: taken on every entry from user mode (and by an idle
 * CPU woken by an interrupt), dropped on the way back out. */
static volatile u32 klock;
static volatile int klock_owner = -1;

void kernel_lock(void)
{
    while (__atomic_exchange_n(&klock, 1, __ATOMIC_ACQUIRE))
        while (klock) __asm__ volatile("pause");
    klock_owner = this_cpu()->id;
}

void kernel_unlock(void)
{
    klock_owner = -1;
    __atomic_store_n(&klock, 0, __ATOMIC_RELEASE);
}

bool kernel_lock_held(void) { return klock && klock_owner == this_cpu()->id; }

void cpu_init(struct cpu *c)
{
    c->self = c;
    struct tss *tss = &c->tss;
    u64 *gdt = c->gdt;
    memcpy(gdt, gdt_template, sizeof gdt_template);
    u64 base = (u64)tss, lim = sizeof *tss - 1;
    tss->iomap = sizeof *tss;
    tss->ist[0] = (u64)c->df_stack + sizeof c->df_stack;
    gdt[6] = (lim & 0xffff) | ((base & 0xffffff) << 16) | (0x89UL << 40) |
             (((lim >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    gdt[7] = base >> 32;
    struct desc_ptr g = { sizeof c->gdt - 1, (u64)gdt };
    __asm__ volatile("lgdt %0\n"
                     "mov %1, %%ds; mov %1, %%es; mov %1, %%ss\n"
                     "pushq %2; lea 1f(%%rip), %%rax; pushq %%rax; lretq\n"
                     "1:" ::"m"(g), "r"(KDATA_SEL), "i"(KCODE_SEL) : "rax", "memory");
    __asm__ volatile("ltr %w0" ::"r"(TSS_SEL));

    for (int i = 0; i < 256 && c->id == 0; i++) {
        u64 a = isr_addrs[i];
        idt[i] = (struct idt_entry){ .off0 = a, .sel = KCODE_SEL, .ist = i == 8 ? 1 : 0,
                                     .type = 0x8e, .off1 = a >> 16, .off2 = a >> 32 };
    }
    struct desc_ptr d = { sizeof idt - 1, (u64)idt };
    __asm__ volatile("lidt %0" ::"m"(d));

    /* EFER.SCE again from long mode (the PVH entry set it in 32-bit mode) */
    wrmsr(0xc0000080, rdmsr(0xc0000080) | 1);
    /* syscall: kernel CS 0x08/SS 0x10; sysret base 0x18 -> CS 0x2b, SS 0x23 */
    wrmsr(0xc0000081, ((u64)0x18 << 48) | ((u64)KCODE_SEL << 32));   /* STAR */
    wrmsr(0xc0000082, (u64)syscall_entry);                          /* LSTAR */
    wrmsr(0xc0000084, 0x47700);     /* FMASK: IF TF DF AC NT IOPL cleared */
    /* kernel GS = this CPU; the user's (always 0 here) swapped in by swapgs */
    wrmsr(0xc0000101, (u64)c);      /* GS_BASE */
    wrmsr(0xc0000102, 0);           /* KERNEL_GS_BASE */
}
