/* libnl-route-3 and libnl-3 (links, addresses, routes of bridge networking),
 * opened on first use: see dl_lazy.h. */
#ifndef OSBOX_DL_NL_H
#define OSBOX_DL_NL_H

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

#include "dl_lazy.h"

/* Every libnl-route-3.so.200 entry point osbox calls. */
#define OSBOX_NL_SYMS(X) \
    X(nl_addr_build) \
    X(nl_addr_put) \
    X(nl_addr_set_prefixlen) \
    X(nl_connect) \
    X(nl_geterror) \
    X(nl_socket_alloc) \
    X(nl_socket_free) \
    X(rtnl_addr_add) \
    X(rtnl_addr_alloc) \
    X(rtnl_addr_put) \
    X(rtnl_addr_set_broadcast) \
    X(rtnl_addr_set_family) \
    X(rtnl_addr_set_ifindex) \
    X(rtnl_addr_set_local) \
    X(rtnl_link_add) \
    X(rtnl_link_alloc) \
    X(rtnl_link_bridge_alloc) \
    X(rtnl_link_change) \
    X(rtnl_link_delete) \
    X(rtnl_link_get_ifindex) \
    X(rtnl_link_get_kernel) \
    X(rtnl_link_get_type) \
    X(rtnl_link_put) \
    X(rtnl_link_set_addr) \
    X(rtnl_link_set_flags) \
    X(rtnl_link_set_ifindex) \
    X(rtnl_link_set_master) \
    X(rtnl_link_set_name) \
    X(rtnl_link_set_ns_pid) \
    X(rtnl_link_veth_alloc) \
    X(rtnl_link_veth_get_peer) \
    X(rtnl_route_add) \
    X(rtnl_route_add_nexthop) \
    X(rtnl_route_alloc) \
    X(rtnl_route_nh_alloc) \
    X(rtnl_route_nh_free) \
    X(rtnl_route_nh_set_gateway) \
    X(rtnl_route_nh_set_ifindex) \
    X(rtnl_route_put) \
    X(rtnl_route_set_dst) \
    X(rtnl_route_set_family) \
    X(rtnl_route_set_scope) \
    X(rtnl_route_set_table)

struct osbox_nl_api {
    OSBOX_NL_SYMS(OSBOX_DL_MEMBER)
};
extern struct osbox_nl_api osbox_nl;

/* Load libnl-route-3.so.200 (once); call before the first use of anything below.
 * 0, or -1 with "libnl-route-3.so.200 not found: install libnl-route-3-200". */
int lazy_nl_load(struct osbox_err *err);

/* Call sites keep the library's own names. */
#ifndef OSBOX_DL_IMPL
#define nl_addr_build (*osbox_nl.nl_addr_build)
#define nl_addr_put (*osbox_nl.nl_addr_put)
#define nl_addr_set_prefixlen (*osbox_nl.nl_addr_set_prefixlen)
#define nl_connect (*osbox_nl.nl_connect)
#define nl_geterror (*osbox_nl.nl_geterror)
#define nl_socket_alloc (*osbox_nl.nl_socket_alloc)
#define nl_socket_free (*osbox_nl.nl_socket_free)
#define rtnl_addr_add (*osbox_nl.rtnl_addr_add)
#define rtnl_addr_alloc (*osbox_nl.rtnl_addr_alloc)
#define rtnl_addr_put (*osbox_nl.rtnl_addr_put)
#define rtnl_addr_set_broadcast (*osbox_nl.rtnl_addr_set_broadcast)
#define rtnl_addr_set_family (*osbox_nl.rtnl_addr_set_family)
#define rtnl_addr_set_ifindex (*osbox_nl.rtnl_addr_set_ifindex)
#define rtnl_addr_set_local (*osbox_nl.rtnl_addr_set_local)
#define rtnl_link_add (*osbox_nl.rtnl_link_add)
#define rtnl_link_alloc (*osbox_nl.rtnl_link_alloc)
#define rtnl_link_bridge_alloc (*osbox_nl.rtnl_link_bridge_alloc)
#define rtnl_link_change (*osbox_nl.rtnl_link_change)
#define rtnl_link_delete (*osbox_nl.rtnl_link_delete)
#define rtnl_link_get_ifindex (*osbox_nl.rtnl_link_get_ifindex)
#define rtnl_link_get_kernel (*osbox_nl.rtnl_link_get_kernel)
#define rtnl_link_get_type (*osbox_nl.rtnl_link_get_type)
#define rtnl_link_put (*osbox_nl.rtnl_link_put)
#define rtnl_link_set_addr (*osbox_nl.rtnl_link_set_addr)
#define rtnl_link_set_flags (*osbox_nl.rtnl_link_set_flags)
#define rtnl_link_set_ifindex (*osbox_nl.rtnl_link_set_ifindex)
#define rtnl_link_set_master (*osbox_nl.rtnl_link_set_master)
#define rtnl_link_set_name (*osbox_nl.rtnl_link_set_name)
#define rtnl_link_set_ns_pid (*osbox_nl.rtnl_link_set_ns_pid)
#define rtnl_link_veth_alloc (*osbox_nl.rtnl_link_veth_alloc)
#define rtnl_link_veth_get_peer (*osbox_nl.rtnl_link_veth_get_peer)
#define rtnl_route_add (*osbox_nl.rtnl_route_add)
#define rtnl_route_add_nexthop (*osbox_nl.rtnl_route_add_nexthop)
#define rtnl_route_alloc (*osbox_nl.rtnl_route_alloc)
#define rtnl_route_nh_alloc (*osbox_nl.rtnl_route_nh_alloc)
#define rtnl_route_nh_free (*osbox_nl.rtnl_route_nh_free)
#define rtnl_route_nh_set_gateway (*osbox_nl.rtnl_route_nh_set_gateway)
#define rtnl_route_nh_set_ifindex (*osbox_nl.rtnl_route_nh_set_ifindex)
#define rtnl_route_put (*osbox_nl.rtnl_route_put)
#define rtnl_route_set_dst (*osbox_nl.rtnl_route_set_dst)
#define rtnl_route_set_family (*osbox_nl.rtnl_route_set_family)
#define rtnl_route_set_scope (*osbox_nl.rtnl_route_set_scope)
#define rtnl_route_set_table (*osbox_nl.rtnl_route_set_table)
#endif

#endif
