/* Where a container's network is made and unmade, as runtime_create and
 * runtime_destroy call it: the lease before clone3 (its address goes into
 * /etc/hosts before the child can bind-mount it), the veth after clone3 and
 * before the child is released (so the command starts with eth0 up), the
 * release on every exit path. */
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "runtime/core/container.h"
#include "runtime/net/net_internal.h"
#include "util.h"

struct netc_state {
    struct net_attachment *att;
    int join_fd, saved_fd;
};

int netc_before_clone(struct osbox_container *c, const struct osbox_spec *spec,
                      struct osbox_err *err)
{
    const struct osbox_net_spec *ns = &spec->net;
    struct netc_state *st;

    if (ns->mode != OSBOX_NET_BRIDGE && ns->mode != OSBOX_NET_CONTAINER)
        return 0;
    st = osbox_xcalloc(1, sizeof *st);
    st->join_fd = st->saved_fd = -1;
    c->net = st;
    if (ns->mode == OSBOX_NET_CONTAINER) {
        if (spec->namespaces & OSBOX_NS_NET)
            return osbox_error(err, 0, "--network container: needs the net namespace unshared off");
        return net_join_open(ns->container, &st->join_fd, err);
    }
    if (!(spec->namespaces & OSBOX_NS_NET))
        return osbox_error(err, 0, "--network bridge needs a network namespace");
    if (net_attach_begin(ns, c->id, "container", &st->att, err) < 0)
        return -1;
    return net_hosts_add_self(c->dir, st->att, spec->hostname, ns->name, err);
}

int netc_clone_enter(struct osbox_container *c, struct osbox_err *err)
{
    if (!c->net || c->net->join_fd < 0)
        return 0;
    if (ns_enter(c->net->join_fd, CLONE_NEWNET, &c->net->saved_fd, err) < 0)
        return osbox_error_prefix(err, "--network container:");
    return 0;
}

void netc_clone_leave(struct osbox_container *c)
{
    if (!c->net || c->net->saved_fd < 0)
        return;
    ns_leave(c->net->saved_fd, CLONE_NEWNET);
    c->net->saved_fd = -1;
}

int netc_after_clone(struct osbox_container *c, struct osbox_err *err)
{
    if (!c->net || !c->net->att)
        return 0;
    return net_attach_veth(c->net->att, c->pid, err);
}

void netc_destroy(struct osbox_container *c)
{
    if (!c->net)
        return;
    netc_clone_leave(c);
    net_attach_release(c->net->att);
    if (c->net->join_fd >= 0)
        close(c->net->join_fd);
    free(c->net);
    c->net = NULL;
}
