/* Private to the network code of the runtime: netlink helpers (libnl-route-3),
 * the lease store, the nftables table. */
#ifndef OSBOX_RUNTIME_NET_INTERNAL_H
#define OSBOX_RUNTIME_NET_INTERNAL_H

#include <jansson.h>
#include <netinet/in.h>
#include <stdint.h>

#include "runtime/net/net.h"

struct nl_sock;

/* --- net_link.c: links, addresses, routes over rtnetlink --- */
/* A NETLINK_ROUTE socket in our network namespace, or in pid's (pid > 0). */
struct nl_sock *netlink_open(pid_t pid, struct osbox_err *err);
void netlink_close(struct nl_sock *sk);
/* Interface index of name, 0 when there is none. */
int netlink_link_index(struct nl_sock *sk, const char *name);
bool netlink_link_is_bridge(struct nl_sock *sk, const char *name);
int netlink_link_up(struct nl_sock *sk, int ifindex, int master, struct osbox_err *err);
/* 0, or -1 when there was nothing to delete or it failed. */
int netlink_link_delete(struct nl_sock *sk, const char *name);
int netlink_addr_add(struct nl_sock *sk, int ifindex, struct in_addr a, int prefix,
                struct osbox_err *err);
int netlink_route_default(struct nl_sock *sk, int ifindex, struct in_addr gw, struct osbox_err *err);
int netlink_bridge_create(struct nl_sock *sk, const char *name, const uint8_t mac[6],
                     struct osbox_err *err);
/* A veth pair: host end `name` on bridge `master` (up), peer created as
 * `peer` in pid's network namespace with mac. */
int netlink_veth_create(struct nl_sock *sk, const char *name, int master, const char *peer,
                   pid_t pid, const uint8_t mac[6], struct osbox_err *err);

/* --- net_lease.c: $OSBOX_RUN/network/leases.json under flock --- */
struct lease_store {
    int lock_fd;
    char *path;
    json_t *root; /* {"bridge","subnet","gateway","ip_forward_was","leases":[...]} */
};
int lease_open(struct lease_store *s, struct osbox_err *err); /* locks */
int lease_save(struct lease_store *s, struct osbox_err *err);
void lease_close(struct lease_store *s); /* unlocks, no save */
/* The lease array (never NULL). */
json_t *lease_list(struct lease_store *s);
bool lease_holder_alive(json_t *lease);
/* Lowest free address of cfg (or want if given and free); adds the lease. */
int lease_take(struct lease_store *s, const struct net_config *cfg, const struct in_addr *want,
               const char *id, const char *kind, struct in_addr *out, struct osbox_err *err);
json_t *lease_find(struct lease_store *s, const char *id);
void lease_drop(struct lease_store *s, const char *id);
char *net_dir(void);

/* --- net_nat.c: the "ip osbox" nftables table --- */
int nat_setup(const struct net_config *cfg, struct osbox_err *err);
int nat_drop(struct osbox_err *err);
/* Map elements for ports (json array of port objects) to addr; remove them. */
int nat_ports_add(json_t *ports, struct in_addr addr, struct osbox_err *err);
void nat_ports_del(json_t *ports);
json_t *nat_describe(void);

/* --- net_ports.c --- */
json_t *port_to_json(const struct osbox_port *p);
/* Refuse ports another lease publishes or a host socket already uses. */
int ports_check(struct lease_store *s, const struct osbox_port *p, size_t n,
                struct osbox_err *err);

/* --- net_bridge.c --- */
/* Under the lease lock: bridge, address, NAT, forwarding. 0 when it was up
 * already, 1 when it set it up (the store must be saved), -1 on failure. */
int bridge_ensure(struct lease_store *s, const struct net_config *cfg, struct osbox_err *err);
int bridge_remove(struct lease_store *s, struct osbox_err *err);
/* 02:42 + the four address bytes: an address always has the same MAC, so a
 * neighbour's stale ARP entry for a reused address stays right. */
void net_mac_for(struct in_addr a, uint8_t mac[6]);

/* --- net_join.c --- */
int net_join_resolve(const char *ref, char id[65], struct osbox_err *err);

/* --- net_container.c: the hooks runtime_create/runtime_destroy call --- */
struct osbox_container;
struct osbox_spec;
/* Bridge: lease an address, add it to the container's hosts file.
 * container:NAME: open that container's network namespace. */
int netc_before_clone(struct osbox_container *c, const struct osbox_spec *spec,
                      struct osbox_err *err);
/* Around clone3: enter the joined namespace, and come back. */
int netc_clone_enter(struct osbox_container *c, struct osbox_err *err);
void netc_clone_leave(struct osbox_container *c);
/* Bridge: the veth pair and eth0, before the child is released. */
int netc_after_clone(struct osbox_container *c, struct osbox_err *err);
/* On every exit path: veth, ports, lease. */
void netc_destroy(struct osbox_container *c);

/* Free one dead or released lease's resources (link, ports) and drop it. */
void lease_reclaim(struct lease_store *s, json_t *lease);

#endif
