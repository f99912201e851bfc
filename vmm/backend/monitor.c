/* The VM runs in build/osbox-vmm (vmm/launch.h): a small static program,
 * so the monitor's memory outside guest RAM is its own, not osbox's shared
 * libraries. Here: its fds (disks opened and locked, kernel and initrd in
 * memfds, everything else closed in the child), the fork+exec, and its
 * outcome. osbox forwards SIGINT/SIGTERM/SIGHUP (stop) and SIGUSR2 (the
 * power button) to it; it dies with osbox
 * (PR_SET_PDEATHSIG). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "internal.h"
#include "util.h"
#include "vmm/launch.h"

/* Launch message, result, kernel, initrd, TAP, disks. */
#define MAX_FDS (6 + VMM_MAX_DISKS)

struct fdmap {
    int src, dst;                  /* our fd, its number in the monitor */
};

struct launch {
    struct fdmap map[MAX_FDS];
    int n;
    int owned[MAX_FDS];            /* fds opened here for the monitor, closed after the fork */
    int nowned;
};

char *vm_monitor_path(struct osbox_err *err)
{
    char exe[PATH_MAX], *slash;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

    if (n <= 0) {
        osbox_error(err, errno, "find the osbox binary (/proc/self/exe)");
        return NULL;
    }
    exe[n] = '\0';
    slash = strrchr(exe, '/');
    *(slash ? slash : exe) = '\0';
    return osbox_strdup_printf("%s/osbox-vmm", exe);
}

/* Give the monitor src as its next fd; returns that number. */
static int pass_fd(struct launch *l, int src, bool owned)
{
    int dst = VMM_LAUNCH_FD + l->n;

    l->map[l->n++] = (struct fdmap){ src, dst };
    if (owned)
        l->owned[l->nowned++] = src;
    return dst;
}

static int memfd_with(const char *name, const void *buf, size_t len, struct osbox_err *err)
{
    int fd = memfd_create(name, MFD_CLOEXEC);

    if (fd < 0)
        return osbox_error(err, errno, "memfd for the %s", name);
    if (osbox_write_all(fd, buf, len) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
        osbox_error(err, errno, "write the %s to a memfd", name);
        close(fd);
        return -1;
    }
    return fd;
}

/* Everything the monitor inherits: result pipe (its write end), message,
 * kernel, initrd, TAP, disks. Fills l; *result_r is our end of the pipe. */
static int prepare(const struct vmm_config *cfg, struct launch *l, int *result_r,
                   struct osbox_err *err)
{
    struct vmm_launch_fds fds = { .initrd = -1, .tap = -1 };
    _cleanup_free_ void *msg = NULL;
    size_t len;
    int p[2], fd, msg_fd;

    /* The message's fd first, so it is VMM_LAUNCH_FD; its content later. */
    msg_fd = memfd_create("launch", MFD_CLOEXEC);
    if (msg_fd < 0)
        return osbox_error(err, errno, "memfd for the launch message");
    pass_fd(l, msg_fd, true);
    if (pipe2(p, O_CLOEXEC) < 0)
        return osbox_error(err, errno, "pipe");
    *result_r = p[0];
    pass_fd(l, p[1], true); /* VMM_RESULT_FD */
    if ((fd = memfd_with("kernel", cfg->kernel, cfg->kernel_len, err)) < 0)
        return -1;
    fds.kernel = pass_fd(l, fd, true);
    if (cfg->initrd) {
        if ((fd = memfd_with("initrd", cfg->initrd, cfg->initrd_len, err)) < 0)
            return -1;
        fds.initrd = pass_fd(l, fd, true);
    }
    if (cfg->net)
        fds.tap = pass_fd(l, cfg->net->tap_fd, false);
    for (int i = 0; i < cfg->ndisks && i < VMM_MAX_DISKS; i++) {
        if ((fd = vmm_disk_open(cfg->disks[i].path, cfg->disks[i].read_only, err)) < 0)
            return -1;
        fds.disks[i] = pass_fd(l, fd, true);
    }
    if (vmm_launch_encode(cfg, &fds, &msg, &len, err) < 0)
        return -1;
    if (osbox_write_all(msg_fd, msg, len) < 0 || lseek(msg_fd, 0, SEEK_SET) < 0)
        return osbox_error(err, errno, "write the launch message");
    return 0;
}

static void close_owned(struct launch *l)
{
    for (int i = 0; i < l->nowned; i++)
        close(l->owned[i]);
    l->nowned = 0;
}

/* In the fork child: only async-signal-safe calls until exec. */
static __attribute__((noreturn)) void child_exec(const struct launch *l, const char *path,
                                                 pid_t parent, struct vmm_outcome *fail)
{
    char *argv[] = { (char *)"osbox-vmm", NULL }, *envp[] = { NULL };
    int tmp[MAX_FDS], base = VMM_LAUNCH_FD + l->n;
    int out = l->map[VMM_RESULT_FD - VMM_LAUNCH_FD].src; /* where a failure goes */

    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
        _exit(OSBOX_EXIT_FAILED);
    for (int i = 0; i < l->n; i++)
        if (l->map[i].src >= base)
            base = l->map[i].src + 1;
    /* Out of the way first, so no dup2 below overwrites a source. */
    for (int i = 0; i < l->n; i++)
        if ((tmp[i] = fcntl(l->map[i].src, F_DUPFD_CLOEXEC, base)) < 0)
            goto fail;
    out = tmp[VMM_RESULT_FD - VMM_LAUNCH_FD]; /* no dup2 below lands on it */
    for (int i = 0; i < l->n; i++)
        if (dup2(tmp[i], l->map[i].dst) < 0) /* the copy is not O_CLOEXEC */
            goto fail;
    /* Nothing else: not our other files, sockets, or the lease's lock. */
    close_range(VMM_LAUNCH_FD + (unsigned)l->n, ~0U, 0);
    out = VMM_RESULT_FD;
    execve(path, argv, envp);
fail:
    fail->exec_errno = errno ? errno : EIO;
    if (write(out, fail, sizeof *fail) < 0) {
        /* the parent then reports a monitor without a result */
    }
    _exit(127);
}

/* Wait for the outcome, passing stop signals on to the monitor. */
static size_t wait_outcome(pid_t pid, int result_r, const sigset_t *sigs, struct vmm_outcome *o,
                           int *status)
{
    int sfd = signalfd(-1, sigs, SFD_CLOEXEC);
    size_t got = 0;

    for (;;) {
        struct pollfd pf[2] = { { .fd = result_r, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
        if (poll(pf, sfd >= 0 ? 2 : 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (sfd >= 0 && pf[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(sfd, &si, sizeof si) == (ssize_t)sizeof si)
                kill(pid, (int)si.ssi_signo);
        }
        if (pf[0].revents) {
            ssize_t r = read(result_r, (char *)o + got, sizeof *o - got);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            got += (size_t)r;
        }
    }
    while (waitpid(pid, status, 0) < 0 && errno == EINTR)
        ;
    if (sfd >= 0)
        close(sfd);
    return got;
}

int vm_monitor_start(const struct vmm_config *cfg, struct vm_monitor *m, struct osbox_err *err)
{
    static struct vmm_outcome fail;
    struct launch l = { 0 };
    pid_t parent = getpid();

    m->pid = -1;
    m->result_r = -1;
    if (!(m->path = vm_monitor_path(err)))
        return -1;
    if (access(m->path, X_OK) < 0)
        return osbox_error(err, errno, "cannot run the VM monitor %s", m->path);
    if (prepare(cfg, &l, &m->result_r, err) < 0) {
        close_owned(&l);
        return -1;
    }
    fail = (struct vmm_outcome){ .magic = VMM_OUTCOME_MAGIC, .version = VMM_LAUNCH_VERSION,
                                 .rc = -1 };
    sigemptyset(&m->sigs);
    sigaddset(&m->sigs, SIGINT);
    sigaddset(&m->sigs, SIGTERM);
    sigaddset(&m->sigs, SIGHUP);
    sigaddset(&m->sigs, SIGUSR2); /* the power button (`vm stop`): the monitor gets it blocked */
    sigprocmask(SIG_BLOCK, &m->sigs, &m->old);
    fflush(NULL);
    m->pid = fork();
    if (m->pid == 0)
        child_exec(&l, m->path, parent, &fail);
    close_owned(&l); /* the monitor has its copies (a disk's lock goes with them) */
    if (m->pid < 0) {
        sigprocmask(SIG_SETMASK, &m->old, NULL);
        return osbox_error(err, errno, "fork the monitor");
    }
    return 0;
}

int vm_monitor_wait(struct vm_monitor *m, struct vmm_result *res, struct osbox_err *err)
{
    static struct vmm_outcome o;
    int status = 0;
    size_t got;

    memset(&o, 0, sizeof o);
    got = wait_outcome(m->pid, m->result_r, &m->sigs, &o, &status);
    m->pid = -1;
    sigprocmask(SIG_SETMASK, &m->old, NULL);
    if (got != sizeof o || o.magic != VMM_OUTCOME_MAGIC || o.version != VMM_LAUNCH_VERSION) {
        if (WIFSIGNALED(status)) {
            res->exit_status = 128 + WTERMSIG(status); /* as a shell reports it (vm stop's kill) */
            return osbox_error(err, 0, "the monitor process died of signal %d", WTERMSIG(status));
        }
        return osbox_error(err, 0, "the monitor process exited without a result (status %d)",
                           WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
    if (o.exec_errno)
        return osbox_error(err, o.exec_errno, "cannot run the VM monitor %s", m->path);
    *res = o.res;
    if (o.rc < 0)
        *err = o.err;
    return o.rc;
}

void vm_monitor_stop(struct vm_monitor *m)
{
    if (m->pid > 0) {
        kill(m->pid, SIGKILL);
        while (waitpid(m->pid, NULL, 0) < 0 && errno == EINTR)
            ;
        sigprocmask(SIG_SETMASK, &m->old, NULL);
    }
    m->pid = -1;
    if (m->result_r >= 0)
        close(m->result_r);
    m->result_r = -1;
    free(m->path);
    m->path = NULL;
}
