/* A VM on the bridge: the runtime's net_attach_* with a TAP instead of a veth. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"
#include "vm_net.h"

void vm_net_init(struct vm_net *vn)
{
    memset(vn, 0, sizeof *vn);
    osbox_net_spec_init(&vn->spec);
    if (vn->spec.mode != OSBOX_NET_BRIDGE) {
        free(vn->spec.container);
        vn->spec.container = NULL;
        vn->spec.mode = OSBOX_NET_NONE;
    }
    vn->nic.tap_fd = -1;
}

int vm_net_set_mode(struct vm_net *vn, const char *mode, struct osbox_err *err)
{
    if (strcmp(mode, "bridge") && strcmp(mode, "none"))
        return osbox_error(err, 0, "--net %s: a VM has bridge or none", mode);
    return osbox_net_set_mode(&vn->spec, mode, err);
}

int vm_net_publish(struct vm_net *vn, const char *arg, struct osbox_err *err)
{
    return osbox_net_add_publish(&vn->spec, arg, err);
}

int vm_net_validate(const struct vm_net *vn, struct osbox_err *err)
{
    if (vn->spec.n_ports && vn->spec.mode != OSBOX_NET_BRIDGE)
        return osbox_error(err, 0, "-p needs --net bridge");
    return osbox_net_validate(&vn->spec, err);
}

int vm_net_setup(struct vm_net *vn, struct vmm_config *cfg, struct osbox_err *err)
{
    char id[65], addr[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];

    if (vm_net_validate(vn, err) < 0)
        return -1;
    if (vn->spec.mode != OSBOX_NET_BRIDGE)
        return 0;
    if (osbox_random_id(id, err) < 0)
        return -1;
    /* The lease first, named after the TAP-to-be: a monitor killed from here
     * on leaves a lease with a dead holder, which gc reclaims; the TAP itself
     * is not persistent and dies with the monitor's fd. */
    char name[16];
    snprintf(name, sizeof name, "osv%.12s", id);
    if (net_attach_begin(&vn->spec, id, "vm", &vn->att, err) < 0)
        return -1;
    if (vmm_tap_open(name, vn->tap, &vn->nic.tap_fd, err) < 0 ||
        net_attach_link(vn->att, vn->tap, err) < 0) {
        osbox_error_prefix(err, "vm network");
        vm_net_teardown(vn);
        return -1;
    }
    memcpy(vn->nic.mac, vn->att->mac, 6);
    inet_ntop(AF_INET, &vn->att->addr, addr, sizeof addr);
    inet_ntop(AF_INET, &vn->att->cfg.gateway, gw, sizeof gw);
    vn->cmdline = osbox_strdup_printf("%s%sip=%s/%d::%s", cfg->cmdline ? cfg->cmdline : "",
                                      cfg->cmdline && *cfg->cmdline ? " " : "", addr,
                                      vn->att->cfg.prefix, gw);
    cfg->cmdline = vn->cmdline;
    cfg->net = &vn->nic;
    return 0;
}

void vm_net_teardown(struct vm_net *vn)
{
    if (vn->nic.tap_fd >= 0)
        close(vn->nic.tap_fd);
    vn->nic.tap_fd = -1;
    net_attach_release(vn->att);
    vn->att = NULL;
    free(vn->cmdline);
    vn->cmdline = NULL;
    osbox_net_spec_free(&vn->spec);
}

struct vmm_outcome {
    int rc;
    struct osbox_err err;
    struct vmm_result res;
};

static bool write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w, len -= (size_t)w;
    }
    return true;
}

static void child_run(const struct vmm_config *cfg, pid_t parent, int out)
{
    static struct vmm_outcome o;

    /* Blocked (inherited) and ignored: vmm_run's signalfd still sees them
     * while it runs, and none is delivered after it returns. */
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
        _exit(1);
    o.rc = vmm_run(cfg, &o.res, &o.err);
    _exit(write_all(out, &o, sizeof o) ? 0 : 1);
}

int vm_net_vmm_run(const struct vmm_config *cfg, struct vmm_result *res, struct osbox_err *err)
{
    static struct vmm_outcome o;
    sigset_t sigs, old;
    int p[2], sfd = -1, status, rc = -1;
    size_t got = 0;
    pid_t pid, parent = getpid();

    if (!cfg->net)
        return vmm_run(cfg, res, err);
    if (pipe2(p, O_CLOEXEC) < 0)
        return osbox_error(err, errno, "pipe");
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);
    sigprocmask(SIG_BLOCK, &sigs, &old);
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        close(p[0]);
        child_run(cfg, parent, p[1]);
    }
    close(p[1]);
    if (pid < 0) {
        osbox_error(err, errno, "fork the monitor");
        goto out;
    }
    sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
    for (;;) {
        struct pollfd pf[2] = { { .fd = p[0], .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
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
            ssize_t r = read(p[0], (char *)&o + got, sizeof o - got);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            got += (size_t)r;
        }
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (got != sizeof o) {
        if (WIFSIGNALED(status))
            osbox_error(err, 0, "the monitor process died of signal %d", WTERMSIG(status));
        else
            osbox_error(err, 0, "the monitor process exited without a result");
        goto out;
    }
    *res = o.res;
    if (o.rc < 0)
        *err = o.err;
    rc = o.rc;
out:
    if (sfd >= 0)
        close(sfd);
    close(p[0]);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return rc;
}
