/* A VM's network options (the containers' osbox_net_spec, limited to bridge
 * and none) and the VM on the bridge: the runtime's net_attach_begin/
 * link/release, as a container uses them (runtime/net/net_container.c),
 * with a TAP where a container has a veth. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "util.h"

void vm_spec_init(struct vm_spec *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->mem_size = 256ULL << 20;
    spec->ncpus = 1;
    spec->seccomp = true;
    spec->console_in = STDIN_FILENO;
    osbox_net_spec_init(&spec->net);
    if (spec->net.mode != OSBOX_NET_BRIDGE) {
        free(spec->net.container);
        spec->net.container = NULL;
        spec->net.mode = OSBOX_NET_NONE;
    }
}

void vm_spec_free(struct vm_spec *spec)
{
    osbox_net_spec_free(&spec->net);
}

int vm_spec_set_net(struct vm_spec *spec, const char *mode, struct osbox_err *err)
{
    if (strcmp(mode, "bridge") && strcmp(mode, "none"))
        return osbox_error(err, 0, "--net %s: a VM has bridge or none", mode);
    return osbox_net_set_mode(&spec->net, mode, err);
}

int vm_spec_publish(struct vm_spec *spec, const char *arg, struct osbox_err *err)
{
    return osbox_net_add_publish(&spec->net, arg, err);
}

int vm_spec_validate(const struct vm_spec *spec, struct osbox_err *err)
{
    if (spec->net.n_ports && spec->net.mode != OSBOX_NET_BRIDGE)
        return osbox_error(err, 0, "-p needs --net bridge");
    return osbox_net_validate(&spec->net, err);
}

int vm_net_setup(const struct osbox_net_spec *ns, struct vm_net *vn, struct vmm_config *cfg,
                 struct osbox_err *err)
{
    char id[65], addr[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];

    vn->nic.tap_fd = -1;
    if (ns->mode != OSBOX_NET_BRIDGE)
        return 0;
    if (osbox_random_id(id, err) < 0)
        return -1;
    /* The lease first, named after the TAP-to-be: a monitor killed from here
     * on leaves a lease with a dead holder, which gc reclaims; the TAP itself
     * is not persistent and dies with the monitor's fd. */
    char name[16];
    snprintf(name, sizeof name, "osv%.12s", id);
    if (net_attach_begin(ns, id, "vm", &vn->att, err) < 0)
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
    char ip[80];
    snprintf(ip, sizeof ip, "ip=%s/%d::%s", addr, vn->att->cfg.prefix, gw);
    vn->cmdline = vmm_cmdline_insert(cfg->cmdline, ip); /* a kernel parameter: before " -- " */
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
}
