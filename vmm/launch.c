/* The launch message between `osbox vm` and osbox-vmm (launch.h): encoded
 * by the CLI, checked strictly by the monitor before it trusts any field. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "launch.h"

/* Highest fd number a message may name: the monitor's table is small. */
#define LAUNCH_FD_MAX 1023

int vmm_launch_encode(const struct vmm_config *cfg, const struct vmm_launch_fds *fds,
                      void **msg, size_t *len, struct osbox_err *err)
{
    const char *cmdline = cfg->cmdline ? cfg->cmdline : "";
    size_t clen = strlen(cmdline);
    struct vmm_launch *m;

    if (clen > VMM_LAUNCH_CMDLINE_MAX)
        return osbox_error(err, 0, "kernel command line is too long (%zu bytes)", clen);
    if (cfg->ndisks < 0 || cfg->ndisks > VMM_MAX_DISKS)
        return osbox_error(err, 0, "at most %d disks", VMM_MAX_DISKS);
    if (cfg->ncpus < 0)
        return osbox_error(err, 0, "--cpus must be between 1 and %d", VMM_MAX_CPUS);
    *len = sizeof *m + clen + 1;
    m = calloc(1, *len);
    if (!m)
        return osbox_error(err, ENOMEM, "launch message");
    m->magic = VMM_LAUNCH_MAGIC;
    m->version = VMM_LAUNCH_VERSION;
    m->header_size = sizeof *m;
    m->flags = (cfg->seccomp ? VMM_LAUNCH_SECCOMP : 0) | (cfg->net ? VMM_LAUNCH_NET : 0);
    m->mem_size = cfg->mem_size;
    m->ncpus = (uint32_t)cfg->ncpus;
    m->ndisks = (uint32_t)cfg->ndisks;
    m->kernel_fd = fds->kernel;
    m->initrd_fd = fds->initrd;
    m->console_in = cfg->console_in < 0 ? -1 : cfg->console_in;
    m->console_out = cfg->console_out;
    m->tap_fd = cfg->net ? fds->tap : -1;
    if (cfg->net)
        memcpy(m->mac, cfg->net->mac, sizeof m->mac);
    m->cmdline_len = (uint32_t)clen;
    for (int i = 0; i < cfg->ndisks; i++) {
        const char *name = cfg->disks[i].path ? cfg->disks[i].path : "";
        size_t n = strlen(name);
        if (!n || n >= VMM_LAUNCH_NAME_MAX) {
            free(m);
            return osbox_error(err, 0, "disk name '%.64s%s' is empty or longer than %d bytes",
                               name, n > 64 ? "..." : "", VMM_LAUNCH_NAME_MAX - 1);
        }
        m->disks[i].fd = fds->disks[i];
        m->disks[i].flags = cfg->disks[i].read_only ? VMM_LAUNCH_DISK_RO : 0;
        memcpy(m->disks[i].name, name, n + 1);
    }
    memcpy((char *)(m + 1), cmdline, clen + 1);
    *msg = m;
    return 0;
}

static bool all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

static bool fd_ok(int32_t fd, bool optional)
{
    return (optional && fd == -1) || (fd >= 0 && fd <= LAUNCH_FD_MAX);
}

int vmm_launch_decode(const void *buf, size_t len, struct vmm_config *cfg, struct vmm_net *net,
                      struct vmm_launch_fds *fds, struct osbox_err *err)
{
    const struct vmm_launch *m = buf;
    const char *cmdline = (const char *)(m + 1);

    if (len < sizeof *m)
        return osbox_error(err, 0, "launch message of %zu bytes, shorter than its header (%zu)",
                           len, sizeof *m);
    if (m->magic != VMM_LAUNCH_MAGIC)
        return osbox_error(err, 0, "launch message: bad magic 0x%08x", m->magic);
    if (m->version != VMM_LAUNCH_VERSION || m->header_size != sizeof *m)
        return osbox_error(err, 0, "launch message version %u (header %u bytes); this monitor "
                           "speaks version %d (%zu): osbox and osbox-vmm are from different builds",
                           m->version, m->header_size, VMM_LAUNCH_VERSION, sizeof *m);
    if (m->flags & ~(uint32_t)(VMM_LAUNCH_SECCOMP | VMM_LAUNCH_NET))
        return osbox_error(err, 0, "launch message: unknown flags 0x%x", m->flags);
    if (m->cmdline_len > VMM_LAUNCH_CMDLINE_MAX || len != sizeof *m + m->cmdline_len + 1)
        return osbox_error(err, 0, "launch message: %zu bytes, but a header and a command line "
                           "of %u bytes", len, m->cmdline_len);
    if (cmdline[m->cmdline_len] || strlen(cmdline) != m->cmdline_len)
        return osbox_error(err, 0, "launch message: command line not NUL-terminated or with a NUL inside");
    if (m->ncpus < 1 || m->ncpus > VMM_MAX_CPUS)
        return osbox_error(err, 0, "launch message: %u vCPUs (1 to %d)", m->ncpus, VMM_MAX_CPUS);
    if (m->ndisks > VMM_MAX_DISKS)
        return osbox_error(err, 0, "launch message: %u disks (at most %d)", m->ndisks, VMM_MAX_DISKS);
    if (!fd_ok(m->kernel_fd, false) || !fd_ok(m->initrd_fd, true) || !fd_ok(m->console_in, true) ||
        !fd_ok(m->console_out, false))
        return osbox_error(err, 0, "launch message: bad kernel, initrd or console fd");
    if ((m->flags & VMM_LAUNCH_NET) ? !fd_ok(m->tap_fd, false) : m->tap_fd != -1)
        return osbox_error(err, 0, "launch message: bad TAP fd %d", m->tap_fd);
    if (!all_zero(m->pad, sizeof m->pad) || m->reserved ||
        (!(m->flags & VMM_LAUNCH_NET) && !all_zero(m->mac, sizeof m->mac)))
        return osbox_error(err, 0, "launch message: reserved fields not zero");
    for (uint32_t i = 0; i < VMM_MAX_DISKS; i++) {
        const struct vmm_launch_disk *d = &m->disks[i];
        if (i >= m->ndisks) {
            if (!all_zero(d, sizeof *d))
                return osbox_error(err, 0, "launch message: disk slot %u unused but not zero", i);
            continue;
        }
        if (!fd_ok(d->fd, false) || d->flags & ~(uint32_t)VMM_LAUNCH_DISK_RO)
            return osbox_error(err, 0, "launch message: disk %u: bad fd or flags", i);
        if (!d->name[0] || !memchr(d->name, 0, sizeof d->name))
            return osbox_error(err, 0, "launch message: disk %u: name empty or not NUL-terminated", i);
    }

    memset(cfg, 0, sizeof *cfg);
    memset(fds, 0, sizeof *fds);
    cfg->mem_size = m->mem_size;
    cfg->ncpus = (int)m->ncpus;
    cfg->cmdline = cmdline;
    cfg->seccomp = m->flags & VMM_LAUNCH_SECCOMP;
    cfg->console_in = m->console_in;
    cfg->console_out = m->console_out;
    cfg->ndisks = (int)m->ndisks;
    for (int i = 0; i < cfg->ndisks; i++) {
        cfg->disks[i].path = m->disks[i].name;
        cfg->disks[i].fd = fds->disks[i] = m->disks[i].fd;
        cfg->disks[i].read_only = m->disks[i].flags & VMM_LAUNCH_DISK_RO;
    }
    fds->kernel = m->kernel_fd;
    fds->initrd = m->initrd_fd;
    fds->tap = m->tap_fd;
    if (m->flags & VMM_LAUNCH_NET) {
        net->tap_fd = m->tap_fd;
        memcpy(net->mac, m->mac, sizeof net->mac);
        cfg->net = net;
    }
    return 0;
}
