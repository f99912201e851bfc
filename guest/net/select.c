/* select and pselect6 over the same readiness test as poll and epoll
 * (busybox nc waits in select).  fd sets hold at most SELECT_MAX (64) fds. */
#define SELECT_MAX 64
#include "kernel.h"
#include "proc.h"
#include "fs.h"
#include "mm.h"
#include "errno.h"
#include "syscall.h"
#include "sock.h"


static long do_select(int nfds, u64 ur, u64 uw, u64 ue, s64 timeout_ns)
{
    if (nfds < 0) return -EINVAL;
    if (nfds > SELECT_MAX) nfds = SELECT_MAX;
    u64 in[3] = { 0, 0, 0 }, want = nfds == 64 ? ~0UL : (1UL << nfds) - 1;
    u64 uset[3] = { ur, uw, ue };
    for (int k = 0; k < 3; k++)
        if (uset[k] && nfds && copy_from_user(&in[k], uset[k], (nfds + 7) / 8)) return -EFAULT;
    for (int k = 0; k < 3; k++) in[k] &= want;
    u64 deadline = timeout_ns > 0 ? time_ns() + (u64)timeout_ns : 0;
    for (;;) {
        u64 out[3] = { 0, 0, 0 };
        int n = 0;
        for (int fd = 0; fd < nfds; fd++) {
            u64 bit = 1UL << fd;
            if (!((in[0] | in[1] | in[2]) & bit)) continue;
            struct file *f = fd_get(fd);
            if (!f) return -EBADF;
            int m = file_poll_mask(f);
            if ((in[0] & bit) && (m & (POLLIN | POLLHUP | POLLERR))) { out[0] |= bit; n++; }
            if ((in[1] & bit) && (m & (POLLOUT | POLLERR))) { out[1] |= bit; n++; }
            if ((in[2] & bit) && (m & POLLPRI)) { out[2] |= bit; n++; }
        }
        if (n || timeout_ns == 0 || (deadline && time_ns() >= deadline)) {
            for (int k = 0; k < 3; k++)
                if (uset[k] && nfds && copy_to_user(uset[k], &out[k], (nfds + 7) / 8)) return -EFAULT;
            return n;
        }
        u64 wake = time_ns() + 10000000UL;
        if (deadline && deadline < wake) wake = deadline;
        sleep_on_timeout(&cur->wake_at_ns, wake);   /* net_notify wakes us early */
        if (signal_pending(cur)) return -EINTR;
    }
}

SYSCALL(sys_select)
{
    UNUSED_ARGS;
    s64 t = -1, tv[2];
    if (a4) {
        if (copy_from_user(tv, a4, sizeof tv)) return -EFAULT;
        if (tv[0] < 0 || tv[1] < 0) return -EINVAL;
        t = tv[0] * 1000000000L + tv[1] * 1000L;
    }
    return do_select((int)a0, a1, a2, a3, t);
}

SYSCALL(sys_pselect6)
{
    UNUSED_ARGS;
    s64 t = -1, ts[2];
    if (a4) {
        if (copy_from_user(ts, a4, sizeof ts)) return -EFAULT;
        if (ts[0] < 0 || ts[1] < 0) return -EINVAL;
        t = ts[0] * 1000000000L + ts[1];
    }
    return do_select((int)a0, a1, a2, a3, t);
}
