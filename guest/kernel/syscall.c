/* The system call table, indexed by Linux x86-64 numbers. */
#include "kernel.h"
#include "proc.h"
#include "mm.h"
#include "errno.h"
#include "syscall.h"

#define S(n) extern SYSCALL(n);
S(sys_read) S(sys_write) S(sys_open) S(sys_close) S(sys_stat) S(sys_fstat) S(sys_lstat) S(sys_poll)
S(sys_lseek) S(sys_mmap) S(sys_mprotect) S(sys_munmap) S(sys_brk) S(sys_rt_sigaction)
S(sys_rt_sigprocmask) S(sys_rt_sigreturn) S(sys_ioctl) S(sys_pread64) S(sys_pwrite64) S(sys_readv)
S(sys_writev) S(sys_access) S(sys_pipe) S(sys_sched_yield) S(sys_zero) S(sys_dup) S(sys_dup2)
S(sys_nanosleep) S(sys_getpid) S(sys_clone) S(sys_fork) S(sys_vfork) S(sys_execve_) S(sys_exit)
S(sys_wait4_) S(sys_kill) S(sys_uname) S(sys_fcntl) S(sys_fsync) S(sys_ftruncate) S(sys_getcwd)
S(sys_chdir) S(sys_fchdir) S(sys_rename) S(sys_mkdir) S(sys_rmdir) S(sys_link) S(sys_unlink)
S(sys_symlink) S(sys_readlink) S(sys_chmod) S(sys_fchmod) S(sys_umask) S(sys_gettimeofday)
S(sys_getrlimit) S(sys_getrusage) S(sys_sysinfo) S(sys_getppid) S(sys_getpgrp) S(sys_setsid)
S(sys_getpgid) S(sys_arch_prctl) S(sys_sync) S(sys_gettid) S(sys_tgkill) S(sys_time) S(sys_futex_)
S(sys_getdents64) S(sys_set_tid_address) S(sys_clock_gettime) S(sys_clock_getres)
S(sys_clock_nanosleep) S(sys_exit_group) S(sys_openat) S(sys_mkdirat) S(sys_newfstatat)
S(sys_unlinkat) S(sys_renameat) S(sys_linkat) S(sys_symlinkat) S(sys_readlinkat) S(sys_fchmodat)
S(sys_faccessat) S(sys_rt_sigsuspend) S(sys_pause) S(sys_enosys_quiet) S(sys_einval) S(sys_dup3) S(sys_pipe2) S(sys_prlimit64) S(sys_renameat2) S(sys_getrandom)
S(sys_socket) S(sys_connect) S(sys_accept) S(sys_sendto) S(sys_recvfrom) S(sys_sendmsg) S(sys_recvmsg)
S(sys_shutdown) S(sys_bind) S(sys_listen) S(sys_getsockname) S(sys_getpeername) S(sys_setsockopt)
S(sys_getsockopt) S(sys_accept4) S(sys_epoll_create) S(sys_epoll_create1) S(sys_epoll_ctl)
S(sys_epoll_wait) S(sys_epoll_pwait) S(sys_select) S(sys_pselect6)

#define NSYSCALLS 440
static const syscall_fn table[NSYSCALLS] = {
    [0] = sys_read, [1] = sys_write, [2] = sys_open, [3] = sys_close, [4] = sys_stat,
    [5] = sys_fstat, [6] = sys_lstat, [7] = sys_poll, [8] = sys_lseek, [9] = sys_mmap,
    [10] = sys_mprotect, [11] = sys_munmap, [12] = sys_brk, [13] = sys_rt_sigaction,
    [14] = sys_rt_sigprocmask, [15] = sys_rt_sigreturn, [16] = sys_ioctl, [17] = sys_pread64,
    [18] = sys_pwrite64, [19] = sys_readv, [20] = sys_writev, [21] = sys_access, [22] = sys_pipe,
    [24] = sys_sched_yield, [28] = sys_zero /* madvise */, [32] = sys_dup, [33] = sys_dup2,
    [35] = sys_nanosleep, [39] = sys_getpid, [56] = sys_clone, [57] = sys_fork, [58] = sys_vfork,
    [59] = sys_execve_, [60] = sys_exit, [61] = sys_wait4_, [62] = sys_kill, [63] = sys_uname,
    [72] = sys_fcntl, [74] = sys_fsync, [75] = sys_fsync, [77] = sys_ftruncate, [79] = sys_getcwd,
    [80] = sys_chdir, [81] = sys_fchdir, [82] = sys_rename, [83] = sys_mkdir, [84] = sys_rmdir,
    [86] = sys_link, [87] = sys_unlink, [88] = sys_symlink, [89] = sys_readlink, [90] = sys_chmod,
    [91] = sys_fchmod, [92] = sys_zero /* chown */, [93] = sys_zero, [94] = sys_zero,
    [95] = sys_umask, [96] = sys_gettimeofday, [97] = sys_getrlimit, [98] = sys_getrusage,
    [99] = sys_sysinfo, [102] = sys_zero /* getuid */, [104] = sys_zero, [105] = sys_zero,
    [106] = sys_zero, [107] = sys_zero, [108] = sys_zero, [109] = sys_zero /* setpgid */,
    [110] = sys_getppid, [111] = sys_getpgrp, [112] = sys_setsid, [121] = sys_getpgid,
    [124] = sys_getpgid, [131] = sys_zero /* sigaltstack */, [158] = sys_arch_prctl,
    [162] = sys_sync, [186] = sys_gettid, [200] = sys_tgkill, [201] = sys_time,
    [202] = sys_futex_, [217] = sys_getdents64, [218] = sys_set_tid_address,
    [228] = sys_clock_gettime, [229] = sys_clock_getres, [230] = sys_clock_nanosleep,
    [231] = sys_exit_group, [234] = sys_tgkill, [257] = sys_openat, [258] = sys_mkdirat,
    [260] = sys_zero /* fchownat */, [262] = sys_newfstatat, [263] = sys_unlinkat,
    [264] = sys_renameat, [265] = sys_linkat, [266] = sys_symlinkat, [267] = sys_readlinkat,
    [268] = sys_fchmodat, [269] = sys_faccessat, [273] = sys_zero /* set_robust_list */,
    [292] = sys_dup3, [293] = sys_pipe2, [302] = sys_prlimit64, [316] = sys_renameat2,
    [318] = sys_getrandom, [130] = sys_rt_sigsuspend, [34] = sys_pause, [334] = sys_enosys_quiet /* rseq */,
    [40] = sys_enosys_quiet /* sendfile: callers fall back */, [157] = sys_einval /* prctl */,
    [332] = sys_enosys_quiet /* statx: callers fall back */, [439] = sys_faccessat,
    /* net/socket.c, net/epoll.c */
    [41] = sys_socket, [42] = sys_connect, [43] = sys_accept, [44] = sys_sendto, [45] = sys_recvfrom,
    [46] = sys_sendmsg, [47] = sys_recvmsg, [48] = sys_shutdown, [49] = sys_bind, [50] = sys_listen,
    [51] = sys_getsockname, [52] = sys_getpeername, [54] = sys_setsockopt, [55] = sys_getsockopt,
    [288] = sys_accept4, [213] = sys_epoll_create, [291] = sys_epoll_create1, [233] = sys_epoll_ctl,
    [232] = sys_epoll_wait, [281] = sys_epoll_pwait, [23] = sys_select, [270] = sys_pselect6,
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
    return nr == 15 || tf->rip >= USER_TOP;
}
