/* Processes, threads, scheduling, signals. */
#ifndef GUEST_PROC_H
#define GUEST_PROC_H
#include "types.h"
#include "trap.h"
#include "cpu.h"

#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGILL 4
#define SIGTRAP 5
#define SIGABRT 6
#define SIGBUS 7
#define SIGFPE 8
#define SIGKILL 9
#define SIGUSR1 10
#define SIGSEGV 11
#define SIGUSR2 12
#define SIGPIPE 13
#define SIGALRM 14
#define SIGTERM 15
#define SIGCHLD 17
#define SIGCONT 18
#define SIGSTOP 19
#define SIGTSTP 20
#define SIGTTIN 21
#define SIGTTOU 22
#define SIGURG 23
#define SIGWINCH 28
#define NSIG 64

#define SIG_DFL 0UL
#define SIG_IGN 1UL
#define SA_SIGINFO 4
#define SA_RESTORER 0x04000000
#define SA_NODEFER 0x40000000
#define SA_RESETHAND 0x80000000

struct k_sigaction { u64 handler, flags, restorer, mask; };
struct sighand { int refs; struct k_sigaction act[NSIG + 1]; };

/* Resource limits (getrlimit/setrlimit numbering); kept by the thread-group
 * leader, inherited at fork.  Defaults are Linux's for its first process. */
#define RLIMIT_STACK 3
#define RLIMIT_CORE 4
#define RLIMIT_NOFILE 7
#define RLIM_NLIMITS 16
#define RLIM_INFINITY (~0UL)
#define NR_OPEN 4096                /* the most descriptors a process can have */
struct rlimit_k { u64 soft, hard; };     /* rlim_cur, rlim_max */
void rlimits_default(struct rlimit_k *r);

/* kernel/fdtable.c: descriptor tables (shared by CLONE_FILES threads) */
struct file;
struct fdent { struct file *file; bool cloexec; };
struct files {
    int refs;
    int cap;                        /* slots in fd[] */
    int hi;                         /* one past the highest open descriptor */
    struct fdent *fd;
};
struct files *files_new(void);
struct files *files_copy(struct files *old);
void files_put(struct files *t);
void files_close_on_exec(struct files *t);
struct file *fd_get(int fd);        /* the calling process's descriptors: */
int fd_install(struct file *f, int min, bool cloexec);
int fd_assign(int fd, struct file *f, bool cloexec);
struct file *fd_remove(int fd);
int fd_cloexec(int fd);
void fd_set_cloexec(int fd, bool on);
struct proc;
int fd_list(struct proc *p, int *out, int n);

enum pstate { P_UNUSED, P_RUNNABLE, P_RUNNING, P_SLEEPING, P_ZOMBIE, P_DEAD };

struct inode;
struct proc {
    int pid, tgid;
    enum pstate state;
    struct proc *parent;          /* of the thread group leader */
    struct proc *leader;
    u64 kstack;                   /* base (virtual), KSTACK_SIZE bytes */
    u64 ksp;                      /* saved by swtch */
    struct trapframe *tf;
    struct mm *mm;
    struct files *files;
    struct inode *cwd;
    struct sighand *sig;
    u64 sigmask, sigpending;
    u64 saved_sigmask;            /* rt_sigsuspend */
    bool restore_sigmask;
    void *chan;                   /* sleeping on */
    u64 wake_at_ns;               /* timed sleep deadline, 0 = none */
    int exit_status;              /* wait status encoding */
    bool killed, exiting, vfork_done, intr;
    bool group_exiting;           /* leader: exit_group in progress */
    bool is_idle;                 /* a CPU's idle thread */
    int group_status;             /* leader: status for the whole group */
    u64 fsbase;
    u64 clear_child_tid;
    u64 alarm_at_ns, alarm_every_ns;  /* leader: ITIMER_REAL's deadline and interval */
    struct rlimit_k rlim[RLIM_NLIMITS];   /* the leader's are the process's */
    char name[16];
    char cwd_path[256];
    char exe[256];                /* the program's file, for /proc/PID/exe */
    u8 fx[512] __attribute__((aligned(16)));
};

#define KSTACK_SIZE (16 * 1024)
#define NPROC 128

#define cur (this_cpu()->current)
extern struct proc procs[NPROC];
extern int nproc_hi;            /* procs[] slots ever used */

void sched_init_cpu(void);
struct proc *proc_alloc(void);
void proc_free(struct proc *p);
void schedule(void);
void yield(void);
void sleep_on(void *chan);
void sleep_on_unintr(void *chan);
void enter_user(struct trapframe *tf) __attribute__((noreturn));
void sched_tail(void);
void reap_dead(void);
int sleep_on_timeout(void *chan, u64 deadline_ns);   /* 0 woken, -ETIMEDOUT */
void wakeup(void *chan);
void make_runnable(struct proc *p);
void timer_tick(bool from_user);
void start_kernel_thread(void (*fn)(void *), void *arg, const char *name);
__attribute__((noreturn)) void do_exit_thread(int status);
__attribute__((noreturn)) void do_exit_group(int status);
struct proc *proc_by_pid(int pid);
int last_pid(void);              /* the newest process's, for /proc/loadavg */
int send_signal(int pid, int sig);
void force_signal(struct proc *p, int sig);
bool signal_pending(struct proc *p);
void deliver_signals(struct trapframe *tf);
long sys_rt_sigreturn_impl(struct trapframe *tf);

/* kernel/init.c: the first process, started as a kernel thread */
void init_start(void *arg);

/* kernel/process.c */
long do_clone(u64 flags, u64 newsp, u64 ptid, u64 ctid, u64 tls);
long do_wait4(int pid, u64 ustatus, int options, u64 rusage);

/* kernel/exec.c */
long execve_from_user(u64 upath, u64 uargv, u64 uenvp, struct trapframe *tf);
long kernel_execve(const char *path, char *const argv[], char *const envp[], struct trapframe *tf);

/* kernel/itimer.c */
void itimer_expire(struct proc *p, u64 now);

/* kernel/futex.c */
long do_futex(u64 uaddr, int op, u32 val, u64 utimeout, u64 uaddr2, u32 val3);
int futex_wake(u64 uaddr, int n);

/* time */
u64 time_ns(void);              /* monotonic */
u64 time_realtime_base_ns(void);
void time_init(void);
#endif
