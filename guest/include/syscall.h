/* System call handlers: each takes the six argument registers and the
 * trapframe, and returns a value or -errno (kernel/syscall.c dispatches on
 * the numbers of sysnum.h). */
#ifndef GUEST_SYSCALL_H
#define GUEST_SYSCALL_H
#include "types.h"
#include "trap.h"
#include "sysnum.h"
typedef long (*syscall_fn)(u64, u64, u64, u64, u64, u64, struct trapframe *);
#define SYSCALL(name) long name(u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5, struct trapframe *tf)
#define UNUSED_ARGS (void)a0; (void)a1; (void)a2; (void)a3; (void)a4; (void)a5; (void)tf

extern bool strace_on;      /* osbox.strace=1: every call and its result on the console */
int syscall_dispatch(struct trapframe *tf);

/* kernel/sys_fs.c */
SYSCALL(sys_read); SYSCALL(sys_write); SYSCALL(sys_open); SYSCALL(sys_openat); SYSCALL(sys_close);
SYSCALL(sys_stat); SYSCALL(sys_fstat); SYSCALL(sys_lstat); SYSCALL(sys_newfstatat);
SYSCALL(sys_lseek); SYSCALL(sys_pread64); SYSCALL(sys_pwrite64); SYSCALL(sys_readv);
SYSCALL(sys_writev); SYSCALL(sys_access); SYSCALL(sys_faccessat); SYSCALL(sys_getdents64);
SYSCALL(sys_mkdir); SYSCALL(sys_mkdirat); SYSCALL(sys_mknod); SYSCALL(sys_mknodat);
SYSCALL(sys_unlink); SYSCALL(sys_rmdir); SYSCALL(sys_unlinkat); SYSCALL(sys_rename);
SYSCALL(sys_renameat); SYSCALL(sys_renameat2); SYSCALL(sys_link); SYSCALL(sys_linkat);
SYSCALL(sys_symlink); SYSCALL(sys_symlinkat); SYSCALL(sys_readlink); SYSCALL(sys_readlinkat);
SYSCALL(sys_chmod); SYSCALL(sys_fchmod); SYSCALL(sys_fchmodat); SYSCALL(sys_umask);
SYSCALL(sys_utimensat); SYSCALL(sys_statfs); SYSCALL(sys_fstatfs); SYSCALL(sys_ftruncate); SYSCALL(sys_fsync); SYSCALL(sys_sync);
SYSCALL(sys_dup); SYSCALL(sys_dup2); SYSCALL(sys_dup3); SYSCALL(sys_fcntl); SYSCALL(sys_pipe);
SYSCALL(sys_pipe2); SYSCALL(sys_ioctl); SYSCALL(sys_chdir); SYSCALL(sys_fchdir);
SYSCALL(sys_getcwd); SYSCALL(sys_poll);

/* kernel/sys_proc.c */
SYSCALL(sys_clone); SYSCALL(sys_fork); SYSCALL(sys_vfork); SYSCALL(sys_execve); SYSCALL(sys_exit);
SYSCALL(sys_exit_group); SYSCALL(sys_wait4); SYSCALL(sys_futex); SYSCALL(sys_getpid);
SYSCALL(sys_gettid); SYSCALL(sys_getppid); SYSCALL(sys_set_tid_address); SYSCALL(sys_sched_yield);
SYSCALL(sys_kill); SYSCALL(sys_tgkill); SYSCALL(sys_arch_prctl); SYSCALL(sys_rt_sigaction);
SYSCALL(sys_rt_sigprocmask); SYSCALL(sys_rt_sigreturn); SYSCALL(sys_rt_sigsuspend);
SYSCALL(sys_pause); SYSCALL(sys_brk); SYSCALL(sys_mmap); SYSCALL(sys_munmap); SYSCALL(sys_mprotect);
SYSCALL(sys_uname); SYSCALL(sys_clock_gettime); SYSCALL(sys_clock_getres);
SYSCALL(sys_gettimeofday); SYSCALL(sys_time); SYSCALL(sys_nanosleep); SYSCALL(sys_clock_nanosleep);
SYSCALL(sys_getrandom); SYSCALL(sys_sysinfo); SYSCALL(sys_getrusage); SYSCALL(sys_getpgid);
SYSCALL(sys_getpgrp); SYSCALL(sys_setsid);
SYSCALL(sys_alarm); SYSCALL(sys_getitimer); SYSCALL(sys_setitimer);     /* kernel/itimer.c */
SYSCALL(sys_zero);          /* 0: calls that have nothing to do here */
SYSCALL(sys_enosys_quiet);  /* ENOSYS without a log line: callers fall back */
SYSCALL(sys_einval);

/* kernel/sys_ident.c: users, groups, limits, the kernel log */
SYSCALL(sys_getgroups); SYSCALL(sys_setgroups); SYSCALL(sys_getresid);
SYSCALL(sys_prlimit64); SYSCALL(sys_getrlimit); SYSCALL(sys_setrlimit); SYSCALL(sys_syslog);

/* net/socket.c, net/epoll.c, net/select.c */
SYSCALL(sys_socket); SYSCALL(sys_connect); SYSCALL(sys_accept); SYSCALL(sys_accept4);
SYSCALL(sys_sendto); SYSCALL(sys_recvfrom); SYSCALL(sys_sendmsg); SYSCALL(sys_recvmsg);
SYSCALL(sys_shutdown); SYSCALL(sys_bind); SYSCALL(sys_listen); SYSCALL(sys_getsockname);
SYSCALL(sys_getpeername); SYSCALL(sys_setsockopt); SYSCALL(sys_getsockopt);
SYSCALL(sys_epoll_create); SYSCALL(sys_epoll_create1); SYSCALL(sys_epoll_ctl);
SYSCALL(sys_epoll_wait); SYSCALL(sys_epoll_pwait); SYSCALL(sys_select); SYSCALL(sys_pselect6);
#endif
