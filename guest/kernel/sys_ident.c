/* Who the process is and what it may use: users and groups (everyone is
 * root, with no supplementary groups, as in a container's first process),
 * resource limits, and syslog(2) for dmesg. */
#include "kernel.h"
#include "proc.h"
#include "mm.h"
#include "errno.h"
#include "syscall.h"

/* getgroups(size, list): root's supplementary groups are none */
SYSCALL(sys_getgroups) { UNUSED_ARGS; return (int)a0 < 0 ? -EINVAL : 0; }
SYSCALL(sys_setgroups) { UNUSED_ARGS; return a0 > 65536 ? -EINVAL : 0; }

/* getresuid/getresgid(&real, &effective, &saved): all 0 */
SYSCALL(sys_getresid)
{
    UNUSED_ARGS;
    u32 zero = 0;
    if (copy_to_user(a0, &zero, 4) || copy_to_user(a1, &zero, 4) || copy_to_user(a2, &zero, 4)) return -EFAULT;
    return 0;
}

void rlimits_default(struct rlimit_k *r)
{
    for (int i = 0; i < RLIM_NLIMITS; i++) r[i] = (struct rlimit_k){ RLIM_INFINITY, RLIM_INFINITY };
    r[RLIMIT_STACK].soft = USER_STACK_MAX;       /* what the guest's stack can grow to */
    r[RLIMIT_CORE].soft = 0;                     /* no core dumps */
    r[RLIMIT_NOFILE] = (struct rlimit_k){ 1024, NR_OPEN };
}

/* prlimit64(pid, resource, new, old): pid 0 or our own; root may raise a
 * hard limit, but not NOFILE's past what the descriptor table can hold. */
SYSCALL(sys_prlimit64)
{
    UNUSED_ARGS;
    struct proc *p = a0 ? proc_by_pid((int)a0) : cur;
    if (!p) return -ESRCH;
    if (a1 >= RLIM_NLIMITS) return -EINVAL;
    struct rlimit_k *lim = &p->leader->rlim[a1], n;
    if (a2) {
        if (copy_from_user(&n, a2, sizeof n)) return -EFAULT;
        if (n.soft > n.hard) return -EINVAL;
        if (a1 == RLIMIT_NOFILE && n.hard > NR_OPEN) return -EPERM;
    }
    if (a3 && copy_to_user(a3, lim, sizeof *lim)) return -EFAULT;
    if (a2) *lim = n;
    return 0;
}
SYSCALL(sys_getrlimit) { UNUSED_ARGS; return sys_prlimit64(0, a0, 0, a1, 0, 0, tf); }
SYSCALL(sys_setrlimit) { UNUSED_ARGS; return sys_prlimit64(0, a0, a1, 0, 0, 0, tf); }

/* syslog(type, buf, len): the kernel's message buffer (lib/printk.c) */
#define SYSLOG_ACTION_READ 2
#define SYSLOG_ACTION_READ_ALL 3
#define SYSLOG_ACTION_READ_CLEAR 4
#define SYSLOG_ACTION_CLEAR 5
#define SYSLOG_ACTION_SIZE_UNREAD 9
#define SYSLOG_ACTION_SIZE_BUFFER 10
SYSCALL(sys_syslog)
{
    UNUSED_ARGS;
    int type = (int)a0, len = (int)a2;
    switch (type) {
    case SYSLOG_ACTION_READ: case SYSLOG_ACTION_READ_ALL: case SYSLOG_ACTION_READ_CLEAR: {
        if (len < 0) return -EINVAL;
        if (!len) return 0;
        size_t n = MIN((size_t)len, KLOG_SIZE);
        char *k = kmalloc(n);
        if (!k) return -ENOMEM;
        size_t got = klog_read(k, n);
        long r = copy_to_user(a1, k, got) ? -EFAULT : (long)got;
        kfree(k);
        if (r >= 0 && type == SYSLOG_ACTION_READ_CLEAR) klog_clear();
        return r;
    }
    case SYSLOG_ACTION_CLEAR: klog_clear(); return 0;
    case SYSLOG_ACTION_SIZE_UNREAD: return (long)klog_read(NULL, KLOG_SIZE);
    case SYSLOG_ACTION_SIZE_BUFFER: return KLOG_SIZE;
    case 0: case 1: case 6: case 7: case 8: return 0;   /* close, open, console level */
    }
    return -EINVAL;
}
