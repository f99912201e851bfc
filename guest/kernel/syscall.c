/* The system call table, indexed by Linux x86-64 numbers. */
#include "kernel.h"
#include "proc.h"
#include "mm.h"
#include "errno.h"
#include "syscall.h"

/* Indexed by number; a hole is ENOSYS (logged once per number). */
static const syscall_fn table[NSYSCALLS] = {
    /* files */
    [SYS_read] = sys_read, [SYS_write] = sys_write, [SYS_open] = sys_open,
    [SYS_openat] = sys_openat, [SYS_close] = sys_close, [SYS_stat] = sys_stat,
    [SYS_fstat] = sys_fstat, [SYS_lstat] = sys_lstat, [SYS_newfstatat] = sys_newfstatat,
    [SYS_statx] = sys_enosys_quiet, /* callers fall back to newfstatat */
    [SYS_lseek] = sys_lseek, [SYS_pread64] = sys_pread64, [SYS_pwrite64] = sys_pwrite64,
    [SYS_readv] = sys_readv, [SYS_writev] = sys_writev, [SYS_access] = sys_access,
    [SYS_faccessat] = sys_faccessat, [SYS_faccessat2] = sys_faccessat,
    [SYS_getdents64] = sys_getdents64, [SYS_mkdir] = sys_mkdir, [SYS_mkdirat] = sys_mkdirat,
    [SYS_mknod] = sys_mknod, [SYS_mknodat] = sys_mknodat, [SYS_unlink] = sys_unlink,
    [SYS_rmdir] = sys_rmdir, [SYS_unlinkat] = sys_unlinkat, [SYS_rename] = sys_rename,
    [SYS_renameat] = sys_renameat, [SYS_renameat2] = sys_renameat2, [SYS_link] = sys_link,
    [SYS_linkat] = sys_linkat, [SYS_symlink] = sys_symlink, [SYS_symlinkat] = sys_symlinkat,
    [SYS_readlink] = sys_readlink, [SYS_readlinkat] = sys_readlinkat, [SYS_chmod] = sys_chmod,
    [SYS_fchmod] = sys_fchmod, [SYS_fchmodat] = sys_fchmodat, [SYS_umask] = sys_umask,
    [SYS_chown] = sys_zero, [SYS_fchown] = sys_zero, [SYS_lchown] = sys_zero,
    [SYS_fchownat] = sys_zero, /* one user: owners stay as the image has them */
    [SYS_utimensat] = sys_utimensat, [SYS_statfs] = sys_statfs, [SYS_fstatfs] = sys_fstatfs, [SYS_ftruncate] = sys_ftruncate, [SYS_fsync] = sys_fsync,
    [SYS_fdatasync] = sys_fsync, [SYS_sync] = sys_sync, [SYS_dup] = sys_dup, [SYS_dup2] = sys_dup2,
    [SYS_dup3] = sys_dup3, [SYS_fcntl] = sys_fcntl, [SYS_pipe] = sys_pipe, [SYS_pipe2] = sys_pipe2,
    [SYS_ioctl] = sys_ioctl, [SYS_chdir] = sys_chdir, [SYS_fchdir] = sys_fchdir,
    [SYS_getcwd] = sys_getcwd, [SYS_poll] = sys_poll, [SYS_select] = sys_select,
    [SYS_pselect6] = sys_pselect6, [SYS_sendfile] = sys_enosys_quiet, /* callers fall back */
    /* processes and threads */
    [SYS_clone] = sys_clone, [SYS_fork] = sys_fork, [SYS_vfork] = sys_vfork,
    [SYS_execve] = sys_execve, [SYS_exit] = sys_exit, [SYS_exit_group] = sys_exit_group,
    [SYS_wait4] = sys_wait4, [SYS_futex] = sys_futex, [SYS_getpid] = sys_getpid,
    [SYS_gettid] = sys_gettid, [SYS_getppid] = sys_getppid, [SYS_set_tid_address] = sys_set_tid_address,
    [SYS_set_robust_list] = sys_zero, [SYS_rseq] = sys_enosys_quiet, [SYS_sched_yield] = sys_sched_yield,
    [SYS_arch_prctl] = sys_arch_prctl, [SYS_prctl] = sys_einval,
    [SYS_getpgid] = sys_getpgid, [SYS_getsid] = sys_getpgid, [SYS_getpgrp] = sys_getpgrp,
    [SYS_setsid] = sys_setsid, [SYS_setpgid] = sys_zero,
    /* signals */
    [SYS_kill] = sys_kill, [SYS_tkill] = sys_tgkill, [SYS_tgkill] = sys_tgkill,
    [SYS_rt_sigaction] = sys_rt_sigaction, [SYS_rt_sigprocmask] = sys_rt_sigprocmask,
    [SYS_rt_sigreturn] = sys_rt_sigreturn, [SYS_rt_sigsuspend] = sys_rt_sigsuspend,
    [SYS_pause] = sys_pause, [SYS_sigaltstack] = sys_zero,
    /* memory */
    [SYS_brk] = sys_brk, [SYS_mmap] = sys_mmap, [SYS_munmap] = sys_munmap,
    [SYS_mprotect] = sys_mprotect, [SYS_madvise] = sys_zero,
    /* time */
    [SYS_clock_gettime] = sys_clock_gettime, [SYS_clock_getres] = sys_clock_getres,
    [SYS_gettimeofday] = sys_gettimeofday, [SYS_time] = sys_time, [SYS_nanosleep] = sys_nanosleep,
    [SYS_clock_nanosleep] = sys_clock_nanosleep, [SYS_alarm] = sys_alarm,
    [SYS_getitimer] = sys_getitimer, [SYS_setitimer] = sys_setitimer,
    /* the system, users and limits: everyone is root */
    [SYS_uname] = sys_uname, [SYS_sysinfo] = sys_sysinfo, [SYS_getrusage] = sys_getrusage,
    [SYS_getrandom] = sys_getrandom, [SYS_syslog] = sys_syslog,
    [SYS_getuid] = sys_zero, [SYS_geteuid] = sys_zero, [SYS_getgid] = sys_zero,
    [SYS_getegid] = sys_zero, [SYS_setuid] = sys_zero, [SYS_setgid] = sys_zero,
    [SYS_getresuid] = sys_getresid, [SYS_getresgid] = sys_getresid,
    [SYS_getgroups] = sys_getgroups, [SYS_setgroups] = sys_setgroups,
    [SYS_getrlimit] = sys_getrlimit, [SYS_setrlimit] = sys_setrlimit, [SYS_prlimit64] = sys_prlimit64,
    /* sockets and readiness (net/) */
    [SYS_socket] = sys_socket, [SYS_connect] = sys_connect, [SYS_accept] = sys_accept,
    [SYS_accept4] = sys_accept4, [SYS_sendto] = sys_sendto, [SYS_recvfrom] = sys_recvfrom,
    [SYS_sendmsg] = sys_sendmsg, [SYS_recvmsg] = sys_recvmsg, [SYS_shutdown] = sys_shutdown,
    [SYS_bind] = sys_bind, [SYS_listen] = sys_listen, [SYS_getsockname] = sys_getsockname,
    [SYS_getpeername] = sys_getpeername, [SYS_setsockopt] = sys_setsockopt,
    [SYS_getsockopt] = sys_getsockopt, [SYS_epoll_create] = sys_epoll_create,
    [SYS_epoll_create1] = sys_epoll_create1, [SYS_epoll_ctl] = sys_epoll_ctl,
    [SYS_epoll_wait] = sys_epoll_wait, [SYS_epoll_pwait] = sys_epoll_pwait,
};

bool strace_on;   /* osbox.strace=1 on the cmdline */
static u8 logged[(NSYSCALLS + 7) / 8 + 64];

/* Returns nonzero when the return must use iretq (all registers restored). */
int syscall_dispatch(struct trapframe *tf)
{
    u64 nr = tf->rax;
    long r;
    bool locked = !kernel_lock_held();     /* held already on the #PF fix-up path */
    if (locked) kernel_lock();
    if (nr < NSYSCALLS && table[nr]) {
        r = table[nr](tf->rdi, tf->rsi, tf->rdx, tf->r10, tf->r8, tf->r9, tf);
    } else {
        u64 bit = nr < NSYSCALLS ? nr : NSYSCALLS;
        if (!(logged[bit / 8] & (1 << (bit % 8)))) {
            logged[bit / 8] |= 1 << (bit % 8);
            printk("osbox-guest: %s[%d]: syscall %lu not implemented (ENOSYS)\n", cur->name, cur->pid, nr);
        }
        r = -ENOSYS;
    }
    tf->rax = r;
    if (strace_on) printk("osbox-guest: [%lu us] [%d] syscall %lu -> %ld\n", time_ns() / 1000, cur->pid, nr, r);
    return_to_user_work(tf);
    if (locked) kernel_unlock();
    return nr == SYS_rt_sigreturn || tf->rip >= USER_TOP;
}
