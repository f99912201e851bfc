/* Container networking: the per-container network options (part of
 * struct osbox_spec) and the bridge every container and VM shares.
 *
 *   bridge osbox0 (gateway .1 of $OSBOX_SUBNET, default 10.88.0.0/16)
 *     ├── veth osb<id12>  <->  eth0 in a container's network namespace
 *     └── tap  (a VM, later: same lease pool, same NAT)
 *   nftables table "ip osbox": masquerade of the subnet, DNAT maps for -p
 *   $OSBOX_RUN/network/leases.json (+ lock, flock'd): who holds which address,
 *     which ports, and which process holds it (pid + start time, so a dead
 *     holder's lease is reclaimed).
 *
 * Everything of one holder is a struct net_attachment: net_attach_begin()
 * (bridge + NAT on first use, lease, ports), then net_attach_veth() for a
 * container or net_attach_link() for a TAP, and net_attach_release() on every
 * exit path. */
#ifndef OSBOX_RUNTIME_NET_H
#define OSBOX_RUNTIME_NET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "osbox_err.h"

enum osbox_net_mode {
    OSBOX_NET_NONE = 0, /* own namespace, lo only (the zeroed spec's mode) */
    OSBOX_NET_BRIDGE,   /* own namespace, eth0 on osbox0 */
    OSBOX_NET_HOST,     /* the caller's namespace */
    OSBOX_NET_CONTAINER /* another running container's namespace */
};

/* -p [HOSTIP:]HOSTPORT:CTRPORT[/tcp|/udp] */
struct osbox_port {
    int proto;              /* IPPROTO_TCP or IPPROTO_UDP */
    struct in_addr host_ip; /* INADDR_ANY: every local address */
    uint16_t host_port, port;
};

struct osbox_net_spec {
    int mode;
    char *container;   /* --network container:NAME (name or id) */
    char *name;        /* the container's name: an alias in its /etc/hosts */
    bool has_ip;
    struct in_addr ip; /* --ip */
    bool has_mac;
    uint8_t mac[6];    /* --mac-address */
    char **dns;        /* --dns, in order */
    char **add_hosts;  /* --add-host, as "IP\tNAME" lines */
    struct osbox_port *ports;
    size_t n_ports;
};

/* Mode from $OSBOX_NETWORK when set, else the default (bridge). */
void osbox_net_spec_init(struct osbox_net_spec *n);
void osbox_net_spec_free(struct osbox_net_spec *n);
/* "bridge", "none", "host", "container:NAME". */
int osbox_net_set_mode(struct osbox_net_spec *n, const char *mode, struct osbox_err *err);
int osbox_net_set_ip(struct osbox_net_spec *n, const char *ip, struct osbox_err *err);
int osbox_net_set_mac(struct osbox_net_spec *n, const char *mac, struct osbox_err *err);
int osbox_net_add_dns(struct osbox_net_spec *n, const char *ip, struct osbox_err *err);
/* "NAME:IP" */
int osbox_net_add_host(struct osbox_net_spec *n, const char *arg, struct osbox_err *err);
int osbox_net_add_publish(struct osbox_net_spec *n, const char *arg, struct osbox_err *err);
/* Options that only make sense with a bridge (--ip, -p, ...) in another mode. */
int osbox_net_validate(const struct osbox_net_spec *n, struct osbox_err *err);
const char *osbox_net_mode_name(int mode);
/* Parse "[HOSTIP:]HOSTPORT:CTRPORT[/proto]" into p (exposed for unit tests). */
int net_parse_port(const char *arg, struct osbox_port *p, struct osbox_err *err);

/* The bridge network's configuration. */
struct net_config {
    char bridge[16];        /* "osbox0" */
    struct in_addr network; /* 10.88.0.0 */
    struct in_addr gateway; /* 10.88.0.1, on the bridge */
    int prefix;             /* 16 */
};
/* From $OSBOX_SUBNET (CIDR) or the default 10.88.0.0/16. */
int net_config_get(struct net_config *cfg, struct osbox_err *err);
int net_parse_cidr(const char *s, struct in_addr *net, int *prefix, struct osbox_err *err);

/* One holder of an address on the bridge: a container (veth) or a VM (TAP). */
struct net_attachment {
    char id[65];
    struct net_config cfg;
    struct in_addr addr;
    uint8_t mac[6];
    char link[16];  /* host-side interface (veth end or TAP); "" until attached */
    bool leased;
    bool link_ours; /* we created link: delete it on release */
};

/* Bridge and NAT set up (on first use), an address leased for id (ns->ip if
 * given), ns's ports published. kind is "container" or "vm". */
int net_attach_begin(const struct osbox_net_spec *ns, const char *id, const char *kind,
                     struct net_attachment **out, struct osbox_err *err);
/* Container: a veth pair, the inside end created as eth0 in pid's network
 * namespace, addressed, up, default route via the gateway. */
int net_attach_veth(struct net_attachment *a, pid_t pid, struct osbox_err *err);
/* VM: put an existing interface (a TAP) on the bridge and bring it up. */
int net_attach_link(struct net_attachment *a, const char *ifname, struct osbox_err *err);
/* Undo all of a (link, ports, lease); NULL-safe; frees a. */
void net_attach_release(struct net_attachment *a);
/* Append "ADDR\tHOSTNAME [NAME]" to dir/hosts, if osbox wrote one there. */
int net_hosts_add_self(const char *dir, const struct net_attachment *a, const char *hostname,
                       const char *name, struct osbox_err *err);

/* /etc/hosts and /etc/resolv.conf for a container with its own (none,
 * bridge) or another container's network namespace. Malloc'd strings. */
int net_etc_content(const struct osbox_net_spec *ns, const char *hostname, char **hosts,
                    char **resolv, struct osbox_err *err);

/* --network container:NAME: open the running container's network namespace
 * (runtime_create enters it around clone3, core/ns.c). */
int net_join_open(const char *ref, int *nsfd, struct osbox_err *err);

/* Reclaim leases, ports and links of dead holders. */
int net_gc(int *reclaimed, struct osbox_err *err);
/* gc, then, when no address is leased, remove the bridge and the nftables
 * table (and put ip_forward back if osbox turned it on). *removed: done. */
int net_prune(bool *removed, struct osbox_err *err);
/* The network and its leases as JSON (malloc'd). */
int net_inspect(char **json, struct osbox_err *err);
/* Docker's NetworkSettings of container id (IPAddress, IPPrefixLen,
 * Gateway, MacAddress, Ports {"80/tcp": [{HostIp, HostPort}]}, Networks):
 * empty values when it holds no lease (stopped, --network none/host). */
struct json_t;
struct json_t *net_container_settings(const char *id);

#endif
