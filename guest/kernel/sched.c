/* Round-robin scheduler over all CPUs.  Kernel code runs under the big
 * kernel lock with interrupts off; interrupts are taken in user mode and
 * in the idle loop, so sleep/wakeup needs no other locking.  A timer tick
 * in user mode preempts (10 ms slices). */
#include "kernel.h"
#include "proc.h"
#include "mm.h"
#include "apic.h"
#include "errno.h"
#include "blk.h"

struct proc procs[NPROC];
/* Slots of procs[] ever used (first-fit keeps them low): the scans below
 * stop there.  Each slot is ~2 KiB apart, and where kernel code is
 * emulated (kvm-pvm) a scan of all 128 cost milliseconds per wakeup,
 * tick and schedule. */
int nproc_hi;
static int next_pid = 1;
int last_pid(void) { return next_pid - 1; }
static u64 ticks;

struct proc *proc_alloc(void)
{
    for (int i = 0; i < NPROC; i++) {
        struct proc *p = &procs[i];
        if (p->state != P_UNUSED) continue;
        u64 ks = pages_alloc_nz(KSTACK_SIZE / PAGE_SIZE);
        if (!ks) return NULL;
        memset(p, 0, sizeof *p);
        if (i >= nproc_hi) nproc_hi = i + 1;
        p->kstack = (u64)P2V(ks);
        p->pid = p->tgid = next_pid++;
        p->leader = p;
        p->state = P_SLEEPING;      /* not runnable until set up */
        p->tf = (struct trapframe *)(p->kstack + KSTACK_SIZE) - 1;
        /* default FPU state: x87 control word and MXCSR as after reset */
        *(u16 *)&p->fx[0] = 0x37f;
        *(u32 *)&p->fx[24] = 0x1f80;
        /* first switch lands in fork_ret, whose trapframe sits just above */
        u64 *sp = (u64 *)p->tf;
        *--sp = (u64)fork_ret;
        for (int r = 0; r < 6; r++) *--sp = 0;
        p->ksp = (u64)sp;
        return p;
    }
    return NULL;
}

void proc_free(struct proc *p)
{
    pages_free(V2P(p->kstack), KSTACK_SIZE / PAGE_SIZE);
    p->state = P_UNUSED;
}

void start_kernel_thread(void (*fn)(void *), void *arg, const char *name)
{
    struct proc *p = proc_alloc();
    if (!p) panic("no proc for %s", name);
    strlcpy(p->name, name, sizeof p->name);
    u64 *sp = (u64 *)p->tf;
    *--sp = (u64)kthread_start;
    *--sp = 0;              /* rbp */
    *--sp = 0;              /* rbx */
    *--sp = (u64)fn;        /* r12 */
    *--sp = (u64)arg;       /* r13 */
    *--sp = 0; *--sp = 0;   /* r14 r15 */
    p->ksp = (u64)sp;
    p->state = P_RUNNABLE;
}

void reap_dead(void)
{
    for (int i = 0; i < nproc_hi; i++)
        if (procs[i].state == P_DEAD && &procs[i] != cur) proc_free(&procs[i]);
}

void sched_tail(void) { reap_dead(); }

static void switch_to(struct proc *next)
{
    struct proc *prev = cur;
    if (next == prev) { next->state = P_RUNNING; return; }
    __asm__ volatile("fxsave64 %0" : "=m"(prev->fx));
    cur = next;
    next->state = P_RUNNING;
    mm_switch(next->mm);
    u64 top = next->kstack + KSTACK_SIZE;
    tss_set_rsp0(top);
    this_cpu()->kstack_top = top;
    __asm__ volatile("fxrstor64 %0" ::"m"(next->fx));
    wrmsr(0xc0000100, next->fsbase);
    swtch(&prev->ksp, next->ksp);
    reap_dead();
}

/* Runnable, and its address space not live on another CPU. */
static bool can_run(struct proc *p)
{
    return p->state == P_RUNNABLE && !p->is_idle &&
           (!p->mm || p->mm->active_cpu < 0 || p->mm->active_cpu == this_cpu()->id);
}

void schedule(void)
{
    struct proc *self = cur, *idle = this_cpu()->idle;
    int start = (self >= procs && self < procs + NPROC) ? self - procs : NPROC - 1;
    for (int k = 1; k <= nproc_hi; k++) {
        struct proc *p = &procs[(start + k) % nproc_hi];
        if (can_run(p)) { switch_to(p); return; }
    }
    if (self->state == P_RUNNING && self != idle) return;
    switch_to(idle);
}

void yield(void)
{
    cur->state = P_RUNNABLE;
    schedule();
}

static void do_sleep(void *chan, bool intr)
{
    cur->chan = chan;
    cur->intr = intr;
    cur->state = P_SLEEPING;
    schedule();
    cur->chan = NULL;
    cur->wake_at_ns = 0;
}

void sleep_on(void *chan) { do_sleep(chan, true); }
void sleep_on_unintr(void *chan) { do_sleep(chan, false); }

int sleep_on_timeout(void *chan, u64 deadline_ns)
{
    if (time_ns() >= deadline_ns) return -ETIMEDOUT;
    cur->wake_at_ns = deadline_ns;
    do_sleep(chan, true);
    return time_ns() >= deadline_ns ? -ETIMEDOUT : 0;
}

void make_runnable(struct proc *p)
{
    if (p->state == P_SLEEPING) {
        p->state = P_RUNNABLE;
        p->chan = NULL;
        if (ncpus > 1) smp_kick_idle();
    }
}

void wakeup(void *chan)
{
    for (int i = 0; i < nproc_hi; i++)
        if (procs[i].state == P_SLEEPING && procs[i].chan == chan) make_runnable(&procs[i]);
}

void timer_tick(bool from_user)
{
    ticks++;
    u64 now = time_ns();
    for (int i = 0; i < nproc_hi; i++) {
        struct proc *p = &procs[i];
        if (p->state == P_SLEEPING && p->wake_at_ns && p->wake_at_ns <= now) make_runnable(p);
        if (p->alarm_at_ns) itimer_expire(p, now);
    }
    blk_poll_all();
    if (from_user) yield();
}

/* The kernel lock is dropped only while halted: an interrupt (timer,
 * device, or a kick from another CPU) brings the CPU back to look for work. */
static void idle_loop(void *arg)
{
    (void)arg;
    for (;;) {
        kernel_unlock();
        __asm__ volatile("sti; hlt; cli");
        kernel_lock();
        schedule();
    }
}

/* Called with the kernel lock held by each CPU's boot context, which
 * becomes a proc so switch_to has somewhere to save it. */
void sched_init_cpu(void)
{
    static struct proc bootctx[MAXCPU];
    struct cpu *c = this_cpu();
    struct proc *b = &bootctx[c->id];
    b->state = P_RUNNING;
    b->pid = -1;
    c->current = b;
    int save = next_pid;
    start_kernel_thread(idle_loop, NULL, "idle");
    for (int i = 0; i < NPROC; i++)
        if (procs[i].pid == save && procs[i].state == P_RUNNABLE && !procs[i].is_idle) {
            c->idle = &procs[i];
            break;
        }
    c->idle->is_idle = true;
    c->idle->pid = c->idle->tgid = 0;
    c->idle->state = P_SLEEPING;    /* only ever chosen as this CPU's idle */
    next_pid = save;
}

struct proc *proc_by_pid(int pid)
{
    for (int i = 0; i < nproc_hi; i++)
        if (procs[i].pid == pid && procs[i].state != P_UNUSED && procs[i].state != P_DEAD) return &procs[i];
    return NULL;
}
