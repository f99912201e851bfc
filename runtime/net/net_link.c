/* Links, addresses and routes over rtnetlink with libnl-route-3. A socket
 * is bound to the network namespace it was created in, so the parent reaches
 * a container's namespace by creating a socket there (setns for a moment). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dl_nl.h"
#include "runtime/core/internal.h"
#include "runtime/net/net_internal.h"
#include "util.h"

static struct nl_sock *connect_here(struct osbox_err *err)
{
    struct nl_sock *sk = nl_socket_alloc();
    int rc;

    if (!sk) {
        osbox_error(err, ENOMEM, "netlink socket");
        return NULL;
    }
    rc = nl_connect(sk, NETLINK_ROUTE);
    if (rc < 0) {
        osbox_error(err, 0, "netlink connect: %s", nl_geterror(rc));
        nl_socket_free(sk);
        return NULL;
    }
    return sk;
}

struct nl_sock *netlink_open(pid_t pid, struct osbox_err *err)
{
    char path[64];
    struct nl_sock *sk;
    int self;

    if (lazy_nl_load(err) < 0)
        return NULL;
    if (pid <= 0)
        return connect_here(err);
    snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
    _cleanup_close_ int target = open(path, O_RDONLY | O_CLOEXEC);
    if (target < 0) {
        osbox_error(err, errno, "open the network namespace of %d", (int)pid);
        return NULL;
    }
    if (ns_enter(target, CLONE_NEWNET, &self, err) < 0) {
        osbox_error_prefix(err, "netlink in the network namespace of %d", (int)pid);
        return NULL;
    }
    sk = connect_here(err);
    ns_leave(self, CLONE_NEWNET);
    return sk;
}

void netlink_close(struct nl_sock *sk)
{
    if (sk)
        nl_socket_free(sk);
}

int netlink_link_index(struct nl_sock *sk, const char *name)
{
    struct rtnl_link *l = NULL;
    int idx;

    if (rtnl_link_get_kernel(sk, 0, name, &l) < 0 || !l)
        return 0;
    idx = rtnl_link_get_ifindex(l);
    rtnl_link_put(l);
    return idx;
}

bool netlink_link_is_bridge(struct nl_sock *sk, const char *name)
{
    struct rtnl_link *l = NULL;
    bool yes;

    if (rtnl_link_get_kernel(sk, 0, name, &l) < 0 || !l)
        return false;
    yes = rtnl_link_get_type(l) && !strcmp(rtnl_link_get_type(l), "bridge");
    rtnl_link_put(l);
    return yes;
}

int netlink_link_up(struct nl_sock *sk, int ifindex, int master, struct osbox_err *err)
{
    struct rtnl_link *orig = rtnl_link_alloc(), *change = rtnl_link_alloc();
    int rc;

    if (!orig || !change) {
        rc = -NLE_NOMEM;
    } else {
        rtnl_link_set_ifindex(orig, ifindex);
        rtnl_link_set_flags(change, IFF_UP);
        if (master > 0)
            rtnl_link_set_master(change, master);
        rc = rtnl_link_change(sk, orig, change, 0);
    }
    rtnl_link_put(orig);
    rtnl_link_put(change);
    if (rc < 0)
        return osbox_error(err, 0, "bring link %d up: %s", ifindex, nl_geterror(rc));
    return 0;
}

int netlink_link_delete(struct nl_sock *sk, const char *name)
{
    struct rtnl_link *l = rtnl_link_alloc();
    int rc;

    if (!l)
        return -1;
    rtnl_link_set_name(l, name);
    rc = rtnl_link_delete(sk, l);
    rtnl_link_put(l);
    return rc < 0 ? -1 : 0;
}

static struct nl_addr *netlink_inet_addr(struct in_addr a, int prefix)
{
    struct nl_addr *n = nl_addr_build(AF_INET, &a, sizeof a);

    if (n)
        nl_addr_set_prefixlen(n, prefix);
    return n;
}

int netlink_addr_add(struct nl_sock *sk, int ifindex, struct in_addr a, int prefix,
                struct osbox_err *err)
{
    struct rtnl_addr *ra = rtnl_addr_alloc();
    struct in_addr bcast = { a.s_addr | htonl(~(~0u << (32 - prefix))) };
    struct nl_addr *local = netlink_inet_addr(a, prefix), *b = netlink_inet_addr(bcast, 32);
    int rc = -NLE_NOMEM;

    if (ra && local && b) {
        rtnl_addr_set_ifindex(ra, ifindex);
        rtnl_addr_set_family(ra, AF_INET);
        rtnl_addr_set_local(ra, local);
        rtnl_addr_set_broadcast(ra, b);
        rc = rtnl_addr_add(sk, ra, 0);
    }
    nl_addr_put(local);
    nl_addr_put(b);
    rtnl_addr_put(ra);
    if (rc < 0)
        return osbox_error(err, 0, "add address %s/%d: %s", inet_ntoa(a), prefix, nl_geterror(rc));
    return 0;
}

int netlink_route_default(struct nl_sock *sk, int ifindex, struct in_addr gw, struct osbox_err *err)
{
    struct rtnl_route *r = rtnl_route_alloc();
    struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
    struct nl_addr *dst = netlink_inet_addr((struct in_addr){ 0 }, 0), *via = netlink_inet_addr(gw, 32);
    int rc = -NLE_NOMEM;

    if (r && nh && dst && via) {
        rtnl_route_set_family(r, AF_INET);
        rtnl_route_set_dst(r, dst);
        rtnl_route_set_table(r, RT_TABLE_MAIN);
        rtnl_route_set_scope(r, RT_SCOPE_UNIVERSE);
        rtnl_route_nh_set_ifindex(nh, ifindex);
        rtnl_route_nh_set_gateway(nh, via);
        rtnl_route_add_nexthop(r, nh);
        nh = NULL; /* the route owns it now */
        rc = rtnl_route_add(sk, r, NLM_F_EXCL);
    }
    if (nh)
        rtnl_route_nh_free(nh);
    nl_addr_put(dst);
    nl_addr_put(via);
    if (r)
        rtnl_route_put(r);
    if (rc < 0)
        return osbox_error(err, 0, "add default route via %s: %s", inet_ntoa(gw), nl_geterror(rc));
    return 0;
}


int netlink_bridge_create(struct nl_sock *sk, const char *name, const uint8_t mac[6],
                     struct osbox_err *err)
{
    struct rtnl_link *l = rtnl_link_bridge_alloc();
    struct nl_addr *hw = nl_addr_build(AF_LLC, mac, 6);
    int rc = -NLE_NOMEM;

    if (l && hw) {
        rtnl_link_set_name(l, name);
        rtnl_link_set_addr(l, hw);
        rc = rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL);
    }
    nl_addr_put(hw);
    rtnl_link_put(l);
    if (rc == -NLE_OPNOTSUPP)
        return osbox_error(err, 0, "create bridge %s: the kernel has no bridge support "
                           "(is the 'bridge' module available? try 'modprobe bridge')", name);
    if (rc < 0)
        return osbox_error(err, 0, "create bridge %s: %s", name, nl_geterror(rc));
    return 0;
}

int netlink_veth_create(struct nl_sock *sk, const char *name, int master, const char *peer_name,
                   pid_t pid, const uint8_t mac[6], struct osbox_err *err)
{
    struct rtnl_link *l = rtnl_link_veth_alloc(), *peer = NULL;
    struct nl_addr *hw = nl_addr_build(AF_LLC, mac, 6);
    int rc = -NLE_NOMEM;

    if (l && hw) {
        rtnl_link_set_name(l, name);
        rtnl_link_set_master(l, master);
        rtnl_link_set_flags(l, IFF_UP);
        peer = rtnl_link_veth_get_peer(l);
        rtnl_link_set_name(peer, peer_name);
        rtnl_link_set_ns_pid(peer, pid);
        rtnl_link_set_addr(peer, hw);
        rtnl_link_put(peer);
        rc = rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL);
    }
    nl_addr_put(hw);
    rtnl_link_put(l);
    if (rc == -NLE_OPNOTSUPP)
        return osbox_error(err, 0, "create veth pair %s: the kernel has no veth support "
                           "(is the 'veth' module available? try 'modprobe veth')", name);
    if (rc < 0)
        return osbox_error(err, 0, "create veth pair %s: %s", name, nl_geterror(rc));
    return 0;
}
