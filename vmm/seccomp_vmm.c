/* The monitor's seccomp allow-list, installed on every thread (TSYNC) once
 * the VM is set up: from then on the monitor only runs vCPUs, moves bytes
 * for its devices and shuts down. ioctl is limited to the requests the
 * running VM and the console need. Anything else kills the process. */
#include <errno.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "vm.h"

static const int allowed[] = {
    SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
    SCMP_SYS(pread64), SCMP_SYS(pwrite64), SCMP_SYS(preadv), SCMP_SYS(pwritev),
    SCMP_SYS(fsync), SCMP_SYS(fdatasync), SCMP_SYS(close),
    SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(futex), SCMP_SYS(tgkill), SCMP_SYS(getpid),
    SCMP_SYS(gettid), SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigaction),
    SCMP_SYS(madvise), SCMP_SYS(munmap), SCMP_SYS(mmap), SCMP_SYS(mprotect), SCMP_SYS(brk),
    SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),
    SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(restart_syscall), SCMP_SYS(fstat),
    SCMP_SYS(newfstatat), SCMP_SYS(lseek), SCMP_SYS(sched_yield), SCMP_SYS(flock),
    SCMP_SYS(rseq), SCMP_SYS(set_robust_list), SCMP_SYS(sigaltstack),
};

static const unsigned long allowed_ioctls[] = {
    KVM_RUN, KVM_IRQ_LINE, KVM_GET_REGS, KVM_GET_SREGS, KVM_TRANSLATE, TCGETS, TCSETS, TCSETSW, TCSETSF,
    TUNSETOFFLOAD, /* virtio-net, each time a driver negotiates features */
};

int vmm_syscall_filter_install(struct osbox_err *err)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    int r = 0;

    if (!ctx)
        return osbox_error(err, ENOMEM, "seccomp_init");
    r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
    for (size_t i = 0; !r && i < sizeof allowed / sizeof allowed[0]; i++)
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
    for (size_t i = 0; !r && i < sizeof allowed_ioctls / sizeof allowed_ioctls[0]; i++)
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                             SCMP_A1(SCMP_CMP_EQ, allowed_ioctls[i]));
    if (!r)
        r = seccomp_load(ctx);
    seccomp_release(ctx);
    if (r)
        return osbox_error(err, -r, "install the monitor's seccomp filter");
    return 0;
}
