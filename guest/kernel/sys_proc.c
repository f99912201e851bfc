/* Process, memory, signal and time system calls (identity and limits: sys_ident.c). */
#include "kernel.h"
#include "proc.h"
#include "mm.h"
#include "fs.h"
#include "errno.h"
#include "syscall.h"

SYSCALL(sys_clone) { UNUSED_ARGS; return do_clone(a0, a1, a2, a3, a4); }
SYSCALL(sys_fork) { UNUSED_ARGS; return do_clone(SIGCHLD, 0, 0, 0, 0); }
SYSCALL(sys_vfork) { UNUSED_ARGS; return do_clone(0x4000 | 0x100 | SIGCHLD, 0, 0, 0, 0); }
SYSCALL(sys_execve) { UNUSED_ARGS; return execve_from_user(a0, a1, a2, tf); }
SYSCALL(sys_exit) { UNUSED_ARGS; do_exit_thread((a0 & 0xff) << 8); }
SYSCALL(sys_exit_group) { UNUSED_ARGS; do_exit_group((a0 & 0xff) << 8); }
SYSCALL(sys_wait4) { UNUSED_ARGS; return do_wait4(a0, a1, a2, a3); }
SYSCALL(sys_futex) { UNUSED_ARGS; return do_futex(a0, a1, a2, a3, a4, a5); }
SYSCALL(sys_getpid) { UNUSED_ARGS; return cur->tgid; }
SYSCALL(sys_gettid) { UNUSED_ARGS; return cur->pid; }
SYSCALL(sys_getppid) { UNUSED_ARGS; return cur->leader->parent ? cur->leader->parent->pid : 0; }
SYSCALL(sys_zero) { UNUSED_ARGS; return 0; }
SYSCALL(sys_set_tid_address) { UNUSED_ARGS; cur->clear_child_tid = a0; return cur->pid; }
SYSCALL(sys_sched_yield) { UNUSED_ARGS; yield(); return 0; }
SYSCALL(sys_kill) { UNUSED_ARGS; return send_signal((int)a0, (int)a1); }

SYSCALL(sys_tgkill)
{
    UNUSED_ARGS;
    bool tkill = tf->rax == SYS_tkill;     /* tkill(tid, sig), tgkill(tgid, tid, sig) */
    int tid = tkill ? (int)a0 : (int)a1, sig = tkill ? (int)a1 : (int)a2;
    struct proc *p = proc_by_pid(tid);
    if (!p) return -ESRCH;
    if (sig < 0 || sig > NSIG) return -EINVAL;
    if (sig) force_signal(p, sig), p->sigmask = p->sigmask;  /* deliverable when unblocked */
    return 0;
}

SYSCALL(sys_arch_prctl)
{
    UNUSED_ARGS;
    if (a0 == 0x1002) {     /* ARCH_SET_FS */
        if (a1 >= USER_TOP) return -EPERM;
        cur->fsbase = a1;
        wrmsr(0xc0000100, a1);
        return 0;
    }
    if (a0 == 0x1003) return copy_to_user(a1, &cur->fsbase, 8);
    return -EINVAL;
}

SYSCALL(sys_rt_sigaction)
{
    UNUSED_ARGS;
    int sig = a0;
    if (sig < 1 || sig > NSIG || sig == SIGKILL || sig == SIGSTOP) return -EINVAL;
    struct k_sigaction old = cur->sig->act[sig], n;
    if (a1) {
        if (copy_from_user(&n, a1, sizeof n)) return -EFAULT;
        cur->sig->act[sig] = n;
    }
    if (a2 && copy_to_user(a2, &old, sizeof old)) return -EFAULT;
    return 0;
}

SYSCALL(sys_rt_sigprocmask)
{
    UNUSED_ARGS;
    u64 old = cur->sigmask, set;
    if (a1) {
        if (copy_from_user(&set, a1, 8)) return -EFAULT;
        if (a0 == 0) cur->sigmask |= set;
        else if (a0 == 1) cur->sigmask &= ~set;
        else if (a0 == 2) cur->sigmask = set;
        else return -EINVAL;
        cur->sigmask &= ~((1UL << (SIGKILL - 1)) | (1UL << (SIGSTOP - 1)));
    }
    if (a2 && copy_to_user(a2, &old, 8)) return -EFAULT;
    return 0;
}

SYSCALL(sys_rt_sigreturn) { UNUSED_ARGS; return sys_rt_sigreturn_impl(tf); }

SYSCALL(sys_brk)
{
    UNUSED_ARGS;
    struct mm *mm = cur->mm;
    u64 want = a0, old = ALIGN_UP(mm->brk, PAGE_SIZE);
    if (want < mm->brk_start) return mm->brk;
    u64 nw = ALIGN_UP(want, PAGE_SIZE);
    if (nw > old) {
        for (struct vma *v = mm->vmas; v; v = v->next)
            if (v->start < nw && v->end > old) return mm->brk;
        if (vma_add(mm, old, nw, PROT_READ | PROT_WRITE, 0)) return mm->brk;
    } else if (nw < old) {
        vm_unmap(mm, nw, old);
    }
    mm->brk = want;
    return want;
}

#define MAP_SHARED 1
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20

SYSCALL(sys_mmap)
{
    UNUSED_ARGS;
    u64 addr = a0, len = ALIGN_UP(a1, PAGE_SIZE);
    u32 prot = a2, flags = a3;
    int fd = (int)a4;
    u64 off = a5;
    if (!len || (off & (PAGE_SIZE - 1))) return -EINVAL;
    struct file *f = NULL;
    if (!(flags & MAP_ANONYMOUS)) {
        f = fd_get(fd);
        if (!f) return -EBADF;
        if (f->type == FT_ZERO || f->type == FT_NULL) f = NULL;
        else if (f->type != FT_INODE || (flags & MAP_SHARED && prot & PROT_WRITE)) return -ENODEV;
    }
    struct mm *mm = cur->mm;
    if (flags & MAP_FIXED) {
        if (addr & (PAGE_SIZE - 1) || addr + len > USER_TOP || addr + len < addr) return -EINVAL;
        vm_unmap(mm, addr, addr + len);
    } else {
        addr = vm_find_free(mm, len);
        if (!addr) return -ENOMEM;
    }
    int r = vma_add(mm, addr, addr + len, prot, (flags & MAP_SHARED) && !f ? VMA_SHARED : 0);
    if (r) return r;
    if (f || (flags & MAP_SHARED)) {
        u8 *page = f ? kmalloc(PAGE_SIZE) : NULL;
        for (u64 o = 0; o < len; o += PAGE_SIZE) {
            u64 phys;
            if ((r = vm_populate(mm, addr + o, &phys))) break;
            if (f) {
                ssize_t n = ext2_read(f->ip, page, off + o, PAGE_SIZE);
                if (n > 0) memcpy(P2V(phys), page, n);
            }
        }
        kfree(page);
        if (r) { vm_unmap(mm, addr, addr + len); return r; }
    }
    return addr;
}

SYSCALL(sys_munmap)
{
    UNUSED_ARGS;
    if (a0 & (PAGE_SIZE - 1) || a0 + a1 > USER_TOP) return -EINVAL;
    return vm_unmap(cur->mm, a0, a0 + ALIGN_UP(a1, PAGE_SIZE));
}

SYSCALL(sys_mprotect)
{
    UNUSED_ARGS;
    if (a0 & (PAGE_SIZE - 1)) return -EINVAL;
    return vm_protect(cur->mm, a0, a0 + ALIGN_UP(a1, PAGE_SIZE), a2);
}

SYSCALL(sys_uname)
{
    UNUSED_ARGS;
    char u[6][65];
    memset(u, 0, sizeof u);
    strlcpy(u[0], "Linux", 65);
    strlcpy(u[1], "osbox", 65);
    strlcpy(u[2], "6.1.0-osbox", 65);
    strlcpy(u[3], "#1 osbox guest kernel", 65);
    strlcpy(u[4], "x86_64", 65);
    strlcpy(u[5], "(none)", 65);
    return copy_to_user(a0, u, sizeof u);
}

static u64 clock_ns(int clk)
{
    u64 m = time_ns();
    return (clk == 0 || clk == 5 || clk == 8) ? m + time_realtime_base_ns() : m;
}

SYSCALL(sys_clock_gettime)
{
    UNUSED_ARGS;
    u64 ns = clock_ns(a0);
    s64 ts[2] = { ns / 1000000000UL, ns % 1000000000UL };
    return copy_to_user(a1, ts, sizeof ts);
}
SYSCALL(sys_clock_getres) { UNUSED_ARGS; s64 ts[2] = { 0, 1 }; return a1 ? copy_to_user(a1, ts, sizeof ts) : 0; }
SYSCALL(sys_gettimeofday)
{
    UNUSED_ARGS;
    u64 ns = clock_ns(0);
    s64 tv[2] = { ns / 1000000000UL, (ns % 1000000000UL) / 1000 };
    return a0 ? copy_to_user(a0, tv, sizeof tv) : 0;
}
SYSCALL(sys_time)
{
    UNUSED_ARGS;
    s64 t = clock_ns(0) / 1000000000UL;
    if (a0 && copy_to_user(a0, &t, 8)) return -EFAULT;
    return t;
}

static long sleep_until(u64 deadline)
{
    while (time_ns() < deadline) {
        sleep_on_timeout(&cur->wake_at_ns, deadline);
        if (signal_pending(cur)) return -EINTR;
    }
    return 0;
}

SYSCALL(sys_nanosleep)
{
    UNUSED_ARGS;
    s64 ts[2];
    if (copy_from_user(ts, a0, sizeof ts)) return -EFAULT;
    if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000L) return -EINVAL;
    return sleep_until(time_ns() + ts[0] * 1000000000UL + ts[1]);
}

SYSCALL(sys_clock_nanosleep)
{
    UNUSED_ARGS;
    s64 ts[2];
    if (copy_from_user(ts, a2, sizeof ts)) return -EFAULT;
    u64 ns = ts[0] * 1000000000UL + ts[1];
    if (a1 & 1) {           /* TIMER_ABSTIME */
        u64 base = clock_ns(a0) - time_ns();
        return sleep_until(ns > base ? ns - base : 0);
    }
    return sleep_until(time_ns() + ns);
}

SYSCALL(sys_getrandom)
{
    UNUSED_ARGS;
    static u64 state = 0x853c49e6748fea9bUL;
    u8 buf[256];
    size_t n = MIN(a1, sizeof buf);
    state ^= rdtsc();
    for (size_t i = 0; i < n; i++) {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17;
        buf[i] = (u8)state;
    }
    return copy_to_user(a0, buf, n) ? -EFAULT : (long)n;
}

SYSCALL(sys_sysinfo)
{
    UNUSED_ARGS;
    u64 si[14];
    memset(si, 0, sizeof si);
    si[0] = time_ns() / 1000000000UL;
    si[4] = pmm_total_pages() * PAGE_SIZE;
    si[5] = pmm_free_pages() * PAGE_SIZE;
    ((u32 *)&si[13])[0] = 1;    /* mem_unit, roughly */
    return copy_to_user(a0, si, 112);
}

SYSCALL(sys_getrusage) { UNUSED_ARGS; return clear_user(a1, 144); }
SYSCALL(sys_getpgid) { UNUSED_ARGS; return a0 ? (long)a0 : cur->tgid; }
SYSCALL(sys_getpgrp) { UNUSED_ARGS; return cur->tgid; }
SYSCALL(sys_setsid) { UNUSED_ARGS; return cur->tgid; }
SYSCALL(sys_fchdir)
{
    UNUSED_ARGS;
    struct file *f = fd_get(a0);
    if (!f) return -EBADF;
    if (f->type != FT_INODE || !S_ISDIR(f->ip->d.mode)) return -ENOTDIR;
    iput(cur->cwd);
    cur->cwd = idup(f->ip);
    return 0;
}

/* Wait for a signal with a temporary mask; the old mask comes back when
 * the handler returns (deliver_signals saves it in the frame). */
SYSCALL(sys_rt_sigsuspend)
{
    UNUSED_ARGS;
    u64 set;
    if (copy_from_user(&set, a0, 8)) return -EFAULT;
    cur->saved_sigmask = cur->sigmask;
    cur->restore_sigmask = true;
    cur->sigmask = set & ~((1UL << (SIGKILL - 1)) | (1UL << (SIGSTOP - 1)));
    while (!signal_pending(cur)) sleep_on(&cur->saved_sigmask);
    return -EINTR;
}
SYSCALL(sys_enosys_quiet) { UNUSED_ARGS; return -ENOSYS; }
SYSCALL(sys_einval) { UNUSED_ARGS; return -EINVAL; }

SYSCALL(sys_pause)
{
    UNUSED_ARGS;
    while (!signal_pending(cur)) sleep_on(&cur->saved_sigmask);
    return -EINTR;
}
