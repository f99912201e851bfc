/* Networking of a VM (`osbox vm boot`, `osbox vm run`): --net bridge|none,
 * -p, and what bridge mode sets up: a lease on osbox0 from the containers'
 * pool, a TAP on the bridge, the guest's ip= cmdline argument. */
#ifndef OSBOX_CLI_VM_NET_H
#define OSBOX_CLI_VM_NET_H

#include "runtime/net.h"
#include "vmm/vmm.h"

struct vm_net {
    struct osbox_net_spec spec;
    struct net_attachment *att; /* bridge: the lease (and ports) */
    struct vmm_net nic;         /* bridge: TAP fd and MAC */
    char tap[16];
    char *cmdline;              /* user cmdline + " ip=ADDR/PREFIX::GATEWAY" */
};

/* The default mode is the containers' ($OSBOX_NETWORK, else the compiled
 * default); a default a VM cannot use (host, container:) means none. */
void vm_net_init(struct vm_net *vn);
/* --net MODE: bridge or none. */
int vm_net_set_mode(struct vm_net *vn, const char *mode, struct osbox_err *err);
/* -p [HOSTIP:]HOSTPORT:GUESTPORT[/tcp|/udp] */
int vm_net_publish(struct vm_net *vn, const char *arg, struct osbox_err *err);
/* Options that need bridge mode (-p) without it: a usage error. */
int vm_net_validate(const struct vm_net *vn, struct osbox_err *err);
/* Bridge mode: lease, TAP, ports; sets cfg->net and cfg->cmdline. None: nothing. */
int vm_net_setup(struct vm_net *vn, struct vmm_config *cfg, struct osbox_err *err);
/* Every exit path: TAP closed (it vanishes), ports and lease released. */
void vm_net_teardown(struct vm_net *vn);

#endif
