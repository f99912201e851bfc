/* A VM on the bridge: the runtime's net_attach_* with a TAP instead of a veth. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
