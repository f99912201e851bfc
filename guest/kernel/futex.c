/* futex wait/wake, keyed by the physical address of the futex word. */
#include "kernel.h"
#include "proc.h"
#include "mm.h"
#include "errno.h"

static void *futex_key(u64 uaddr)
{
    u64 phys;
    if ((uaddr & 3) || user_ok(uaddr, 4, false) || vm_populate(cur->mm, uaddr, &phys)) return NULL;
    return P2V(phys + (uaddr & (PAGE_SIZE - 1)));
}

int futex_wake(u64 uaddr, int n)
{
    void *key = futex_key(uaddr);
    if (!key) return -EFAULT;
    int woken = 0;
    for (int i = 0; i < nproc_hi && woken < n; i++)
        if (procs[i].state == P_SLEEPING && procs[i].chan == key) { make_runnable(&procs[i]); woken++; }
    return woken;
}

long do_futex(u64 uaddr, int op, u32 val, u64 utimeout, u64 uaddr2, u32 val3)
{
    (void)uaddr2; (void)val3;
    int cmd = op & 0x7f;
    if (cmd == 1 || cmd == 10) return futex_wake(uaddr, (int)val);
    if (cmd != 0 && cmd != 9) return -ENOSYS;
    void *key = futex_key(uaddr);
    if (!key) return -EFAULT;
    if (*(volatile u32 *)key != val) return -EAGAIN;
    u64 deadline = 0;
    if (utimeout) {
        s64 ts[2];
        if (copy_from_user(ts, utimeout, sizeof ts)) return -EFAULT;
        u64 ns = ts[0] * 1000000000UL + ts[1];
        if (cmd == 0) deadline = time_ns() + ns;
        else deadline = (op & 256) ? ns - time_realtime_base_ns() : ns;   /* FUTEX_CLOCK_REALTIME */
        if (!deadline) deadline = 1;
    }
    if (deadline) {
        if (sleep_on_timeout(key, deadline) == -ETIMEDOUT) return -ETIMEDOUT;
    } else {
        sleep_on(key);
    }
    return signal_pending(cur) ? -EINTR : 0;
}
