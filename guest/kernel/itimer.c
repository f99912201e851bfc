/* The real-time interval timer (alarm, setitimer/getitimer ITIMER_REAL):
 * a deadline per process, checked by the timer tick, that sends SIGALRM
 * and, with an interval, rearms (ping sends its next request on it).
 * Resolution is the tick's.  The CPU-time timers (ITIMER_VIRTUAL, _PROF)
 * are not kept: the guest does not account CPU time per process. */
#include "kernel.h"
#include "proc.h"
#include "mm.h"
#include "errno.h"
#include "syscall.h"

#define ITIMER_REAL 0
#define NS_PER_US 1000UL
#define NS_PER_S 1000000000UL

/* The tick: a process whose deadline passed gets SIGALRM */
void itimer_expire(struct proc *p, u64 now)
{
    if (!p->alarm_at_ns || p->alarm_at_ns > now) return;
    p->alarm_at_ns = p->alarm_every_ns ? now + p->alarm_every_ns : 0;
    send_signal(p->pid, SIGALRM);
}

static u64 remaining(struct proc *p)
{
    u64 now = time_ns();
    return p->alarm_at_ns > now ? p->alarm_at_ns - now : p->alarm_at_ns ? 1 : 0;
}

/* struct itimerval: { it_interval, it_value }, each a struct timeval */
static void to_itimerval(struct proc *p, s64 out[4])
{
    u64 left = remaining(p);
    out[0] = (s64)(p->alarm_every_ns / NS_PER_S);
    out[1] = (s64)(p->alarm_every_ns % NS_PER_S / NS_PER_US);
    out[2] = (s64)(left / NS_PER_S);
    out[3] = (s64)(left % NS_PER_S / NS_PER_US);
    if (left && !out[2] && !out[3]) out[3] = 1;     /* armed reads as armed */
}

SYSCALL(sys_getitimer)
{
    UNUSED_ARGS;
    if (a0 != ITIMER_REAL) return -EINVAL;
    s64 v[4];
    to_itimerval(cur->leader, v);
    return copy_to_user(a1, v, sizeof v) ? -EFAULT : 0;
}

SYSCALL(sys_setitimer)
{
    UNUSED_ARGS;
    if (a0 != ITIMER_REAL) return -EINVAL;
    struct proc *p = cur->leader;
    s64 n[4] = { 0, 0, 0, 0 }, old[4];
    if (a1 && copy_from_user(n, a1, sizeof n)) return -EFAULT;
    for (int i = 0; i < 4; i++) if (n[i] < 0 || (i % 2 && n[i] >= 1000000)) return -EINVAL;
    to_itimerval(p, old);
    if (a2 && copy_to_user(a2, old, sizeof old)) return -EFAULT;
    u64 value = (u64)n[2] * NS_PER_S + (u64)n[3] * NS_PER_US;
    p->alarm_every_ns = (u64)n[0] * NS_PER_S + (u64)n[1] * NS_PER_US;
    p->alarm_at_ns = value ? time_ns() + value : 0;
    return 0;
}

/* alarm(seconds): the seconds that were left, rounded to the nearest (as Linux) */
SYSCALL(sys_alarm)
{
    UNUSED_ARGS;
    struct proc *p = cur->leader;
    u64 left = remaining(p);
    long old = (long)((left + NS_PER_S / 2) / NS_PER_S);
    if (left && !old) old = 1;
    p->alarm_every_ns = 0;
    p->alarm_at_ns = a0 ? time_ns() + (u64)(u32)a0 * NS_PER_S : 0;
    return old;
}
