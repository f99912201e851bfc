/* fork/clone, exit, exit_group, wait4. */
#include "kernel.h"
#include "proc.h"
#include "mm.h"
#include "fs.h"
#include "errno.h"
#include "blk.h"
#include "net.h"

#define CLONE_VM 0x100
#define CLONE_FS 0x200
#define CLONE_FILES 0x400
#define CLONE_SIGHAND 0x800
#define CLONE_VFORK 0x4000
#define CLONE_PARENT 0x8000
#define CLONE_THREAD 0x10000
#define CLONE_SETTLS 0x80000
#define CLONE_PARENT_SETTID 0x100000
#define CLONE_CHILD_CLEARTID 0x200000
#define CLONE_CHILD_SETTID 0x1000000

long do_clone(u64 flags, u64 newsp, u64 ptid, u64 ctid, u64 tls)
{
    struct proc *p = proc_alloc();
    if (!p) return -EAGAIN;
    bool thread = flags & CLONE_THREAD;
    if (flags & CLONE_VM) { p->mm = cur->mm; p->mm->refs++; }
    else if (!(p->mm = mm_clone(cur->mm))) { proc_free(p); return -ENOMEM; }
    if (flags & CLONE_FILES) { p->files = cur->files; p->files->refs++; }
    else if (!(p->files = files_copy(cur->files))) { mm_put(p->mm); proc_free(p); return -ENOMEM; }
    if (flags & CLONE_SIGHAND) { p->sig = cur->sig; p->sig->refs++; }
    else {
        p->sig = kmalloc(sizeof *p->sig);
        *p->sig = *cur->sig;
        p->sig->refs = 1;
    }
    p->cwd = idup(cur->cwd);
    memcpy(p->cwd_path, cur->cwd_path, sizeof p->cwd_path);
    __asm__ volatile("fxsave64 %0" : "=m"(p->fx));  /* live user FPU state */
    p->sigmask = cur->sigmask;
    p->fsbase = (flags & CLONE_SETTLS) ? tls : cur->fsbase;
    strlcpy(p->name, cur->name, sizeof p->name);
    strlcpy(p->exe, cur->exe, sizeof p->exe);
    memcpy(p->rlim, cur->leader->rlim, sizeof p->rlim);
    if (thread) {
        p->tgid = cur->tgid;
        p->leader = cur->leader;
        p->parent = cur->leader->parent;
    } else {
        p->parent = (flags & CLONE_PARENT) ? cur->leader->parent : cur->leader;
    }
    *p->tf = *cur->tf;
    p->tf->rax = 0;
    if (newsp) p->tf->rsp = newsp;
    if (flags & CLONE_PARENT_SETTID) copy_to_user(ptid, &p->pid, 4);
    if (flags & CLONE_CHILD_CLEARTID) p->clear_child_tid = ctid;
    if (flags & CLONE_CHILD_SETTID) {
        struct mm *save = cur->mm;
        mm_switch(p->mm);
        cur->mm = p->mm;
        copy_to_user(ctid, &p->pid, 4);
        cur->mm = save;
        mm_switch(save);
    }
    int pid = p->pid;
    p->state = P_RUNNABLE;
    if (flags & CLONE_VFORK) {
        while (!p->vfork_done && p->state != P_ZOMBIE && p->state != P_DEAD && p->state != P_UNUSED)
            sleep_on_unintr(&p->vfork_done);
    }
    return pid;
}

static void notify_parent(struct proc *leader)
{
    struct proc *par = leader->parent;
    if (!par) return;
    struct k_sigaction *a = &par->sig->act[SIGCHLD];
    if (a->handler != SIG_DFL && a->handler != SIG_IGN) par->sigpending |= 1UL << (SIGCHLD - 1);
    wakeup(par);
    if (par->state == P_SLEEPING && par->intr && (par->sigpending & ~par->sigmask)) make_runnable(par);
}

void do_exit_thread(int status)
{
    struct proc *p = cur;
    if (p->clear_child_tid) {
        u32 zero = 0;
        if (copy_to_user(p->clear_child_tid, &zero, 4) == 0) futex_wake(p->clear_child_tid, 1);
    }
    wakeup(&p->vfork_done);
    p->vfork_done = true;
    files_put(p->files);
    p->files = NULL;
    iput(p->cwd);
    p->cwd = NULL;
    struct mm *mm = p->mm;
    p->mm = NULL;
    mm_put(mm);
    if (--p->sig->refs == 0) kfree(p->sig);
    p->sig = NULL;
    bool leader = p->leader == p;
    if (leader) {
        if (p->tgid == 1) {
            printk("osbox-guest: init exited with status %d\n", status);
            net_report();
            int r = bcache_sync();
            if (r) printk("osbox-guest: sync failed (%d)\n", r);
            int code = (status & 0x7f) ? 128 + (status & 0x7f) : (status >> 8) & 0xff;
            machine_exit(code);
        }
        for (int i = 0; i < NPROC; i++)
            if (procs[i].parent == p && procs[i].state != P_UNUSED) {
                procs[i].parent = proc_by_pid(1);
                if (procs[i].state == P_ZOMBIE) wakeup(procs[i].parent);
            }
        p->exit_status = p->group_exiting ? p->group_status : status;
        p->state = P_ZOMBIE;
        notify_parent(p);
    } else {
        p->state = P_DEAD;
        if (p->leader->state == P_ZOMBIE && p->leader->parent) wakeup(p->leader->parent);
    }
    schedule();
    panic("exited process scheduled");
}

void do_exit_group(int status)
{
    struct proc *l = cur->leader;
    if (!l->group_exiting) {
        l->group_exiting = true;
        l->group_status = status;
    }
    for (int i = 0; i < NPROC; i++) {
        struct proc *t = &procs[i];
        if (t != cur && t->tgid == cur->tgid && t->state != P_UNUSED && t->state != P_ZOMBIE && t->state != P_DEAD) {
            t->killed = true;
            make_runnable(t);
        }
    }
    do_exit_thread(l->group_status);
}

long do_wait4(int pid, u64 ustatus, int options, u64 rusage)
{
    (void)rusage;
    struct proc *me = cur->leader;
    for (;;) {
        bool any = false;
        for (int i = 0; i < NPROC; i++) {
            struct proc *c = &procs[i];
            if (c->state == P_UNUSED || c->state == P_DEAD || c->parent != me || c->leader != c) continue;
            if (pid > 0 && c->pid != pid) continue;
            any = true;
            if (c->state != P_ZOMBIE) continue;
            /* all threads gone? */
            bool live = false;
            for (int j = 0; j < NPROC; j++)
                if (&procs[j] != c && procs[j].tgid == c->tgid && procs[j].state != P_UNUSED && procs[j].state != P_DEAD) live = true;
            if (live) continue;
            int cpid = c->pid, st = c->exit_status;
            if (ustatus && copy_to_user(ustatus, &st, 4)) return -EFAULT;
            proc_free(c);
            return cpid;
        }
        if (!any) return -ECHILD;
        if (options & 1) return 0;   /* WNOHANG */
        sleep_on(me);
        if (signal_pending(cur)) return -EINTR;
    }
}
