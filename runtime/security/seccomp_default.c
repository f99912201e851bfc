/* The built-in seccomp profile, equivalent in effect to Docker's default:
 * an allow-list of ordinary system calls, everything else EPERM. Calls that
 * only a capability makes safe are allowed only when the container has that
 * capability (mount with SYS_ADMIN, reboot with SYS_BOOT ...). clone and
 * unshare may not create namespaces, clone3 answers ENOSYS (its flags live
 * in memory a filter cannot read, so libc falls back to clone), socket may
 * not open AF_VSOCK, personality only the harmless personas. Left out on
 * purpose: kexec_*, *_module, bpf, perf_event_open, keyctl/add_key/
 * request_key, mount/umount2, pivot_root, swapon/off, reboot,
 * open_by_handle_at, userfaultfd, io_uring_*, clock_settime & co. */
#include <errno.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <string.h>
#include <sys/socket.h>

#include "runtime/security/security.h"

static const char *const allowed[] = {
    "accept", "accept4", "access", "adjtimex", "alarm", "arch_prctl", "bind", "brk",
    "cachestat", "capget", "capset", "chdir", "chmod", "chown", "chown32", "clock_adjtime",
    "clock_adjtime64", "clock_getres",
    "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
    "clock_nanosleep_time64", "close", "close_range", "connect", "copy_file_range", "creat",
    "dup", "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old",
    "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2",
    "execve", "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64",
    "fadvise64_64", "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchmodat2",
    "fchown", "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync", "fgetxattr",
    "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr", "fstat", "fstat64",
    "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex",
    "futex_requeue", "futex_time64", "futex_wait", "futex_waitv", "futex_wake", "futimesat",
    "getcpu", "getcwd", "getdents", "getdents64", "getegid", "getegid32", "geteuid",
    "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32", "getitimer",
    "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getrandom",
    "getresgid", "getresgid32", "getresuid", "getresuid32", "getrlimit", "get_robust_list",
    "getrusage", "getsid", "getsockname", "getsockopt", "get_thread_area", "gettid",
    "gettimeofday", "getuid", "getuid32", "getxattr", "inotify_add_watch", "inotify_init",
    "inotify_init1", "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy", "io_getevents",
    "io_pgetevents", "io_pgetevents_time64", "ioprio_get", "ioprio_set", "io_setup",
    "io_submit", "ipc", "kcmp", "kill", "landlock_add_rule", "landlock_create_ruleset",
    "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link", "linkat", "listen",
    "listxattr", "llistxattr", "_llseek", "lremovexattr", "lseek", "lsetxattr", "lstat",
    "lstat64", "madvise", "map_shadow_stack", "modify_ldt", "membarrier", "memfd_create", "memfd_secret",
    "mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "mmap",
    "mmap2", "mprotect", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
    "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "mremap",
    "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall", "munmap",
    "name_to_handle_at", "nanosleep", "newfstatat", "_newselect", "open", "openat",
    "openat2", "pause", "pidfd_getfd", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2",
    "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl",
    "pread64", "preadv", "preadv2", "prlimit64", "process_madvise", "process_mrelease",
    "process_vm_readv", "process_vm_writev", "pselect6", "pselect6_time64", "ptrace",
    "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink", "readlinkat", "readv",
    "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "remap_file_pages",
    "removexattr", "rename", "renameat", "renameat2", "restart_syscall", "rmdir", "rseq",
    "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn",
    "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo",
    "sched_getaffinity", "sched_getattr", "sched_getparam", "sched_get_priority_max",
    "sched_get_priority_min", "sched_getscheduler", "sched_rr_get_interval",
    "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr", "sched_setparam",
    "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl", "semget", "semop",
    "semtimedop", "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg",
    "sendmsg", "sendto", "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid",
    "setgid32", "setgroups", "setgroups32", "setitimer", "setpgid", "setpriority",
    "setregid", "setregid32", "setresgid", "setresgid32", "setresuid", "setresuid32",
    "setreuid", "setreuid32", "setrlimit", "set_robust_list", "setsid", "setsockopt",
    "set_thread_area", "set_tid_address", "setuid", "setuid32", "setxattr", "shmat",
    "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4",
    "sigprocmask", "sigreturn", "socketcall", "socketpair", "splice", "stat", "stat64",
    "statfs", "statfs64", "statx", "symlink", "symlinkat", "sync", "sync_file_range",
    "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create", "timer_delete",
    "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime",
    "timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64",
    "timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate", "truncate64",
    "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "utime", "utimensat",
    "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write",
    "writev", NULL,
};

/* Allowed only with the capability that makes them safe. */
static const struct {
    int cap;
    const char *const names[24];
} gated[] = {
    { CAP_SYS_ADMIN, { "bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount",
                       "fsopen", "fspick", "lookup_dcookie", "mount", "mount_setattr",
                       "move_mount", "open_tree", "perf_event_open", "quotactl",
                       "quotactl_fd", "setdomainname", "sethostname", "setns", "syslog",
                       "umount", "umount2", "unshare", NULL } },
    { CAP_SYS_BOOT, { "reboot", NULL } },
    { CAP_SYS_CHROOT, { "chroot", NULL } },
    { CAP_SYS_MODULE, { "delete_module", "init_module", "finit_module", NULL } },
    { CAP_SYS_PACCT, { "acct", NULL } },
    { CAP_SYS_RAWIO, { "iopl", "ioperm", NULL } },
    { CAP_SYS_TIME, { "settimeofday", "stime", "clock_settime", "clock_settime64", NULL } },
    { CAP_SYS_TTY_CONFIG, { "vhangup", NULL } },
    { CAP_SYS_NICE, { "get_mempolicy", "mbind", "set_mempolicy",
                      "set_mempolicy_home_node", NULL } },
    { CAP_SYSLOG, { "syslog", NULL } },
    { CAP_BPF, { "bpf", NULL } },
    { CAP_PERFMON, { "perf_event_open", NULL } },
    { CAP_DAC_READ_SEARCH, { "open_by_handle_at", NULL } },
};

/* Personas programs legitimately ask for (query, linux32, uname26). */
static const uint64_t personas[] = { 0x0, 0x8, 0x20000, 0x20008, 0xffffffff };

/* Any namespace flag: no new namespaces without CAP_SYS_ADMIN. */
#define NS_FLAGS (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | \
                  CLONE_NEWNET | CLONE_NEWCGROUP)

/* Names libseccomp does not know (newer than it, or another arch's) are skipped. */
static int allow(scmp_filter_ctx ctx, const char *name, unsigned n,
                 const struct scmp_arg_cmp *args, struct osbox_err *err)
{
    int nr = seccomp_syscall_resolve_name(name), rc;

    if (nr == __NR_SCMP_ERROR)
        return 0;
    rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, n, args);
    if (rc < 0 && rc != -EEXIST)
        return osbox_error(err, -rc, "seccomp: allow %s", name);
    return 0;
}

static bool is_gated_allowed(uint64_t caps, const char *name)
{
    for (size_t g = 0; g < sizeof gated / sizeof gated[0]; g++)
        if (caps & CAP_BIT(gated[g].cap))
            for (size_t i = 0; gated[g].names[i]; i++)
                if (!strcmp(gated[g].names[i], name))
                    return true;
    return false;
}

static int add_filtered(scmp_filter_ctx ctx, uint64_t caps, struct osbox_err *err)
{
    struct scmp_arg_cmp a;
    int rc;

    for (size_t i = 0; i < sizeof personas / sizeof personas[0]; i++) {
        a = SCMP_A0(SCMP_CMP_EQ, personas[i]);
        if (allow(ctx, "personality", 1, &a, err) < 0)
            return -1;
    }
    a = SCMP_A0(SCMP_CMP_NE, AF_VSOCK);
    if (allow(ctx, "socket", 1, &a, err) < 0)
        return -1;
    if (caps & CAP_BIT(CAP_SYS_ADMIN))
        return 0; /* clone, clone3 and unshare are allowed outright */
    a = SCMP_A0(SCMP_CMP_MASKED_EQ, NS_FLAGS, 0);
    if (allow(ctx, "clone", 1, &a, err) < 0 || allow(ctx, "unshare", 1, &a, err) < 0)
        return -1;
    rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    if (rc < 0)
        return osbox_error(err, -rc, "seccomp: clone3");
    return 0;
}

int syscall_filter_build_default(uint64_t caps, struct osbox_seccomp **out, struct osbox_err *err)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));

    if (!ctx)
        return osbox_error(err, ENOMEM, "seccomp_init");
    /* We set no_new_privs ourselves (or not: --security-opt). */
    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
    /* A binary tree on the syscall number instead of a linear scan: a
     * call passes ~9 comparisons instead of up to ~350. */
    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
    if (syscall_filter_add_default_arches(ctx, err) < 0)
        goto fail;
    for (size_t i = 0; allowed[i]; i++)
        if (allow(ctx, allowed[i], 0, NULL, err) < 0)
            goto fail;
    for (size_t g = 0; g < sizeof gated / sizeof gated[0]; g++)
        for (size_t i = 0; gated[g].names[i]; i++)
            if (is_gated_allowed(caps, gated[g].names[i]) &&
                allow(ctx, gated[g].names[i], 0, NULL, err) < 0)
                goto fail;
    if (add_filtered(ctx, caps, err) < 0)
        goto fail;
    return syscall_filter_compile(ctx, out, err);
fail:
    seccomp_release(ctx);
    return -1;
}

/* A fingerprint of everything the default filter is built from (for the cache). */
uint64_t syscall_filter_default_fingerprint(uint64_t caps)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    const struct scmp_version *v = seccomp_version();
    uint64_t parts[] = { caps, seccomp_arch_native(), v ? v->major : 0, v ? v->minor : 0,
                         v ? v->micro : 0, sizeof personas, NS_FLAGS };

#define MIX(p, n) for (size_t k_ = 0; k_ < (n); k_++) { h ^= ((const unsigned char *)(p))[k_]; h *= 0x100000001b3ULL; }
    MIX(parts, sizeof parts);
    for (size_t i = 0; allowed[i]; i++)
        MIX(allowed[i], strlen(allowed[i]) + 1);
    for (size_t g = 0; g < sizeof gated / sizeof gated[0]; g++) {
        MIX(&gated[g].cap, sizeof gated[g].cap);
        for (size_t i = 0; gated[g].names[i]; i++)
            MIX(gated[g].names[i], strlen(gated[g].names[i]) + 1);
    }
    MIX(personas, sizeof personas);
#undef MIX
    return h;
}
