/* Signals: pending/blocked masks, default actions, user handlers with a
 * frame on the user stack and rt_sigreturn. */
#include "kernel.h"
#include "proc.h"
#include "mm.h"
#include "errno.h"

struct sigframe {
    u64 retaddr;
    u64 info[16];               /* siginfo_t (128 bytes) */
    struct trapframe saved;
    u64 mask;
    u8 fx[512] __attribute__((aligned(16)));
};

bool signal_pending(struct proc *p)
{
    return p->killed || (p->sigpending & ~p->sigmask) != 0;
}

static void post(struct proc *p, int sig)
{
    p->sigpending |= 1UL << (sig - 1);
    if (sig == SIGKILL) p->killed = true;
    if (p->state == P_SLEEPING && p->intr) make_runnable(p);
}

void force_signal(struct proc *p, int sig)
{
    p->sigmask &= ~(1UL << (sig - 1));
    if (p->sig && p->sig->act[sig].handler == SIG_IGN) p->sig->act[sig].handler = SIG_DFL;
    post(p, sig);
}

int send_signal(int pid, int sig)
{
    if (sig < 0 || sig > NSIG) return -EINVAL;
    int n = 0;
    for (int i = 0; i < NPROC; i++) {
        struct proc *p = &procs[i];
        if (p->state == P_UNUSED || p->state == P_DEAD || p->leader != p) continue;
        if (p->pid == 1 && pid == -1) continue;
        if (pid > 0 && p->pid != pid) continue;
        if (pid < -1 && p->pid != -pid) continue;
        n++;
        if (sig && p->state != P_ZOMBIE) post(p, sig);
    }
    return n ? 0 : -ESRCH;
}

static bool default_ignored(int sig)
{
    return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT ||
           sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

void deliver_signals(struct trapframe *tf)
{
    if (cur->killed) do_exit_group(cur->leader->group_exiting ? cur->leader->group_status : SIGKILL);
    u64 ready = cur->sigpending & ~cur->sigmask;
    if (!ready) {
        if (cur->restore_sigmask) { cur->restore_sigmask = false; cur->sigmask = cur->saved_sigmask; }
        return;
    }
    int sig = __builtin_ctzl(ready) + 1;
    cur->sigpending &= ~(1UL << (sig - 1));
    struct k_sigaction *a = &cur->sig->act[sig];
    if (a->handler == SIG_IGN || (a->handler == SIG_DFL && default_ignored(sig))) {
        if (cur->restore_sigmask) { cur->restore_sigmask = false; cur->sigmask = cur->saved_sigmask; }
        return;
    }
    if (a->handler == SIG_DFL) do_exit_group(sig);

    u64 sp = ((tf->rsp - 128 - sizeof(struct sigframe)) & ~15UL) - 8;
    struct sigframe *f = kmalloc(sizeof *f);
    memset(f, 0, sizeof *f);
    f->retaddr = a->restorer;
    f->info[0] = (u64)sig;
    f->saved = *tf;
    f->mask = cur->restore_sigmask ? cur->saved_sigmask : cur->sigmask;
    cur->restore_sigmask = false;
    __asm__ volatile("fxsave64 %0" : "=m"(f->fx));
    int r = copy_to_user(sp, f, sizeof *f);
    kfree(f);
    if (r) do_exit_group(SIGSEGV);
    cur->sigmask |= a->mask;
    if (!(a->flags & SA_NODEFER)) cur->sigmask |= 1UL << (sig - 1);
    cur->sigmask &= ~((1UL << (SIGKILL - 1)) | (1UL << (SIGSTOP - 1)));
    if (a->flags & SA_RESETHAND) a->handler = SIG_DFL;
    tf->rsp = sp;
    tf->rip = a->handler;
    tf->rdi = sig;
    tf->rsi = sp + offsetof(struct sigframe, info);
    tf->rdx = sp + offsetof(struct sigframe, saved);
    tf->rax = 0;
}

long sys_rt_sigreturn_impl(struct trapframe *tf)
{
    u64 sp = tf->rsp - 8;
    struct sigframe *f = kmalloc(sizeof *f);
    if (copy_from_user(f, sp, sizeof *f)) { kfree(f); do_exit_group(SIGSEGV); }
    u64 keep_cs = tf->cs, keep_ss = tf->ss;
    *tf = f->saved;
    tf->cs = keep_cs;
    tf->ss = keep_ss;
    tf->rflags = (tf->rflags & 0xcd5) | 0x202;
    cur->sigmask = f->mask & ~((1UL << (SIGKILL - 1)) | (1UL << (SIGSTOP - 1)));
    __asm__ volatile("fxrstor64 %0" ::"m"(f->fx));
    kfree(f);
    return tf->rax;
}

void return_to_user_work(struct trapframe *tf)
{
    if (signal_pending(cur)) deliver_signals(tf);
}
