/* runtime_wait / runtime_destroy: the parent while the container runs
 * (signals passed on, pty relayed) and the teardown after it. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "runtime/core/container.h"
#include "runtime/net/net_internal.h"
#include "util.h"

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Copy what is available from in to out; returns bytes read, 0 at EOF/EIO,
 * -1 EAGAIN. *last gets the last byte copied. */
static ssize_t pump(int in, int out, char *last)
{
    char buf[16384];
    ssize_t n = read(in, buf, sizeof buf);

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return -1;
    if (n <= 0)
        return 0;
    write_all(out, buf, (size_t)n);
    if (last)
        *last = buf[n - 1];
    return n;
}

/* Our stdin ended: type the pty's EOF character so a reader in the
 * container sees end of input too (twice after a partial line: the first
 * only hands the line over). */
static void send_eof(int master, bool partial_line)
{
    struct termios t;

    if (master < 0 || tcgetattr(master, &t) < 0 || !(t.c_lflag & ICANON))
        return;
    write_all(master, (const char *)&t.c_cc[VEOF], 1);
    if (partial_line)
        write_all(master, (const char *)&t.c_cc[VEOF], 1);
}

static int reap(struct osbox_container *c, struct osbox_err *err)
{
    siginfo_t si;

    memset(&si, 0, sizeof si);
    while (waitid(P_PIDFD, (id_t)c->pidfd, &si, WEXITED) < 0) {
        if (errno != EINTR)
            return osbox_error(err, errno, "wait for the container");
    }
    c->exited = true;
    if (si.si_code == CLD_EXITED)
        c->exit_status = si.si_status;
    else
        c->exit_status = 128 + si.si_status;
    return 0;
}

int runtime_wait(struct osbox_container *c, struct osbox_err *err)
{
    sigset_t set;
    _cleanup_close_ int sfd = -1;
    bool relay_in = c->master >= 0 && c->stdin_open;
    char last_in = '\n';

    if (c->exited)
        return c->exit_status;
    runtime_forward_sigset(&set);
    sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0)
        return osbox_error(err, errno, "signalfd");
    if (c->master >= 0) {
        host_tty_make_raw(&c->tty);
        host_tty_copy_winsize(c->master);
        fcntl(c->master, F_SETFL, fcntl(c->master, F_GETFL) | O_NONBLOCK);
    }
    for (;;) {
        struct pollfd p[4] = {
            { .fd = c->pidfd, .events = POLLIN },
            { .fd = sfd, .events = POLLIN },
            { .fd = c->master, .events = POLLIN },
            { .fd = relay_in ? 0 : -1, .events = POLLIN },
        };
        if (poll(p, 4, -1) < 0) {
            if (errno == EINTR)
                continue;
            return osbox_error(err, errno, "poll");
        }
        if (p[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof si) == sizeof si) {
                if (si.ssi_signo == SIGWINCH) {
                    if (c->master >= 0)
                        host_tty_copy_winsize(c->master);
                } else {
                    kill(c->pid, (int)si.ssi_signo);
                }
            }
        }
        if (p[2].revents & (POLLIN | POLLHUP | POLLERR)) {
            if (pump(c->master, 1, NULL) == 0 && !(p[0].revents & POLLIN)) {
                /* Slave side all closed: stop polling the master until exit. */
                close(c->master);
                c->master = -1;
            }
        }
        if (p[3].revents & (POLLIN | POLLHUP | POLLERR)) {
            if (c->master < 0 || pump(0, c->master, &last_in) == 0) {
                relay_in = false;
                send_eof(c->master, last_in != '\n');
            }
        }
        if (p[0].revents & POLLIN)
            break;
    }
    /* Drain what the command wrote before it exited. */
    if (c->master >= 0)
        for (int i = 0; i < 1024 && pump(c->master, 1, NULL) > 0; i++)
            ;
    host_tty_restore(&c->tty);
    if (reap(c, err) < 0)
        return -1;
    return c->exit_status;
}

int runtime_destroy(struct osbox_container *c, struct osbox_err *err)
{
    struct osbox_err local;
    int rc = 0;

    if (!c)
        return 0;
    if (!err)
        err = &local;
    cgroup_join_close(c->join_fds, c->njoin); /* a start that failed before SYNC_GO */
    host_tty_restore(&c->tty);
    if (c->pid > 0 && !c->exited) {
        if (c->pidfd >= 0)
            syscall(SYS_pidfd_send_signal, c->pidfd, SIGKILL, NULL, 0);
        else
            kill(c->pid, SIGKILL);
        if (c->pidfd >= 0)
            reap(c, &local);
        else
            waitpid(c->pid, NULL, 0);
    }
    netc_destroy(c); /* veth, published ports, lease */
    if (c->cg && cgroup_destroy(c->cg, err) < 0)
        rc = -1;
    c->cg = NULL;
    if (c->live_dir) {
        _cleanup_free_ char *mp = osbox_strdup_printf("%s/rootfs", c->live_dir);
        rmdir(mp);
        if (osbox_rm_rf(c->live_dir, rc ? &local : err) < 0)
            rc = -1;
    }
    if (c->sock >= 0)
        close(c->sock);
    if (c->pidfd >= 0)
        close(c->pidfd);
    if (c->master >= 0)
        close(c->master);
    free(c->dir);
    free(c->live_dir);
    free(c);
    return rc;
}
