/* The bridge network as its holders see it: attach (bridge + NAT on first
 * use, a lease, published ports, then a veth or a TAP), release, and the
 * housekeeping behind `osbox gc` and `osbox network ls|inspect|prune`. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runtime/net/net_internal.h"
#include "util.h"

static bool link_exists(const char *name)
{
    struct nl_sock *sk = netlink_open(0, NULL);
    bool yes = sk && name && *name && netlink_link_index(sk, name) > 0;

    netlink_close(sk);
    return yes;
}

void lease_reclaim(struct lease_store *s, json_t *lease)
{
    const char *link = json_string_value(json_object_get(lease, "link"));
    _cleanup_free_ char *id = osbox_xstrdup(json_string_value(json_object_get(lease, "id")) ?: "");

    if (link && *link) {
        struct nl_sock *sk = netlink_open(0, NULL);
        if (sk) {
            netlink_link_delete(sk, link);
            netlink_close(sk);
        }
    }
    nat_ports_del(json_object_get(lease, "ports"));
    lease_drop(s, id);
}

/* A released container's veth goes away with its network namespace, which
 * the kernel tears down asynchronously; deleting it ourselves would cost the
 * exit of every container a synchronize_net (~20 ms). So a release leaves the
 * lease "draining" while the veth still exists (it also still exists when
 * another container joined that namespace: the address must stay taken). */
static bool draining(json_t *l)
{
    return json_is_true(json_object_get(l, "draining"));
}

/* Drop every lease whose holder is gone (and, if draining, whose veth is
 * gone too); returns how many. */
static int reclaim_dead(struct lease_store *s)
{
    int n = 0;

    for (size_t i = 0; i < json_array_size(lease_list(s));) {
        json_t *l = json_array_get(lease_list(s), i);
        if (draining(l) ? link_exists(json_string_value(json_object_get(l, "link")))
                        : lease_holder_alive(l)) {
            i++;
            continue;
        }
        lease_reclaim(s, l);
        n++;
    }
    return n;
}

int net_attach_begin(const struct osbox_net_spec *ns, const char *id, const char *kind,
                     struct net_attachment **out, struct osbox_err *err)
{
    struct net_attachment *a = osbox_xcalloc(1, sizeof *a);
    struct lease_store s;
    json_t *l, *ports;

    snprintf(a->id, sizeof a->id, "%s", id);
    if (net_config_get(&a->cfg, err) < 0 || lease_open(&s, err) < 0) {
        free(a);
        return -1;
    }
    reclaim_dead(&s);
    int made = bridge_ensure(&s, &a->cfg, err);
    /* Saved at once: what was set up (and ip_forward's old value) is recorded
     * even if this container fails below. */
    if (made < 0 || (made > 0 && lease_save(&s, err) < 0))
        goto fail;
    if (ports_check(&s, ns->ports, ns->n_ports, err) < 0 ||
        lease_take(&s, &a->cfg, ns->has_ip ? &ns->ip : NULL, id, kind, &a->addr, err) < 0)
        goto fail;
    l = lease_find(&s, id);
    if (ns->has_mac)
        memcpy(a->mac, ns->mac, 6);
    else
        net_mac_for(a->addr, a->mac);
    char mac[18];
    snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", a->mac[0], a->mac[1], a->mac[2],
             a->mac[3], a->mac[4], a->mac[5]);
    json_object_set_new(l, "mac", json_string(mac));
    if (!strcmp(kind, "container")) {
        /* Named now, so a crash before the release still finds it. */
        snprintf(a->link, sizeof a->link, "osb%.12s", id);
        json_object_set_new(l, "link", json_string(a->link));
    }
    if (ns->name)
        json_object_set_new(l, "name", json_string(ns->name));
    ports = json_object_get(l, "ports");
    for (size_t i = 0; i < ns->n_ports; i++)
        json_array_append_new(ports, port_to_json(&ns->ports[i]));
    if (nat_ports_add(ports, a->addr, err) < 0)
        goto fail;
    if (lease_save(&s, err) < 0) {
        nat_ports_del(ports);
        goto fail;
    }
    lease_close(&s);
    a->leased = true;
    *out = a;
    return 0;
fail:
    lease_close(&s); /* not saved: the lease was never taken */
    free(a);
    return -1;
}

int net_attach_veth(struct net_attachment *a, pid_t pid, struct osbox_err *err)
{
    struct nl_sock *sk = netlink_open(0, err), *in = NULL;
    int br, idx, rc = -1;

    if (!sk)
        return -1;
    br = netlink_link_index(sk, a->cfg.bridge);
    if (br <= 0) {
        osbox_error(err, 0, "bridge %s is gone", a->cfg.bridge);
        goto out;
    }
    if (netlink_veth_create(sk, a->link, br, "eth0", pid, a->mac, err) < 0)
        goto out;
    a->link_ours = true;
    in = netlink_open(pid, err);
    if (!in)
        goto out;
    idx = netlink_link_index(in, "eth0");
    if (idx <= 0) {
        osbox_error(err, 0, "eth0 did not appear in the container");
        goto out;
    }
    if (netlink_addr_add(in, idx, a->addr, a->cfg.prefix, err) < 0 || netlink_link_up(in, idx, 0, err) < 0 ||
        netlink_route_default(in, idx, a->cfg.gateway, err) < 0)
        goto out;
    rc = 0;
out:
    if (rc < 0)
        osbox_error_prefix(err, "container network");
    netlink_close(in);
    netlink_close(sk);
    return rc;
}

int net_attach_link(struct net_attachment *a, const char *ifname, struct osbox_err *err)
{
    struct nl_sock *sk = netlink_open(0, err);
    struct lease_store s;
    int br, idx, rc = -1;

    if (!sk)
        return -1;
    br = netlink_link_index(sk, a->cfg.bridge);
    idx = netlink_link_index(sk, ifname);
    if (br <= 0 || idx <= 0) {
        osbox_error(err, 0, "attach %s to %s: no such interface", ifname, a->cfg.bridge);
        goto out;
    }
    if (netlink_link_up(sk, idx, br, err) < 0)
        goto out;
    snprintf(a->link, sizeof a->link, "%s", ifname);
    if (lease_open(&s, err) < 0)
        goto out;
    json_t *l = lease_find(&s, a->id);
    if (l)
        json_object_set_new(l, "link", json_string(ifname));
    rc = lease_save(&s, err);
    lease_close(&s);
out:
    netlink_close(sk);
    return rc;
}

void net_attach_release(struct net_attachment *a)
{
    struct lease_store s;
    struct osbox_err err;

    if (!a)
        return;
    if (a->leased && lease_open(&s, &err) == 0) {
        json_t *l = lease_find(&s, a->id);
        if (l) {
            nat_ports_del(json_object_get(l, "ports"));
            json_object_set_new(l, "ports", json_array());
            if (a->link_ours && link_exists(a->link)) {
                json_object_set_new(l, "draining", json_true());
                json_object_set_new(l, "holder_pid", json_integer(0));
            } else {
                lease_drop(&s, a->id);
            }
            lease_save(&s, &err);
        }
        lease_close(&s);
    }
    free(a);
}

int net_hosts_add_self(const char *dir, const struct net_attachment *a, const char *hostname,
                       const char *name, struct osbox_err *err)
{
    _cleanup_free_ char *path = osbox_strdup_printf("%s/hosts", dir);
    _cleanup_close_ int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    _cleanup_free_ char *line = NULL;
    bool alias = name && *name && (!hostname || strcmp(name, hostname));

    if (fd < 0)
        return errno == ENOENT ? 0 : osbox_error(err, errno, "open %s", path);
    line = osbox_strdup_printf("%s\t%s%s%s\n", inet_ntoa(a->addr), hostname ? hostname : "",
                               alias ? " " : "", alias ? name : "");
    if (write(fd, line, strlen(line)) != (ssize_t)strlen(line))
        return osbox_error(err, errno, "write %s", path);
    return 0;
}

int net_gc(int *reclaimed, struct osbox_err *err)
{
    _cleanup_free_ char *dir = net_dir();
    struct lease_store s;
    int n;

    if (reclaimed)
        *reclaimed = 0;
    if (access(dir, F_OK) < 0)
        return 0; /* no network was ever set up: nothing to do, nothing to create */
    if (lease_open(&s, err) < 0)
        return -1;
    n = reclaim_dead(&s);
    if (n && lease_save(&s, err) < 0) {
        lease_close(&s);
        return -1;
    }
    lease_close(&s);
    if (reclaimed)
        *reclaimed = n;
    return 0;
}

int net_prune(bool *removed, struct osbox_err *err)
{
    struct lease_store s;
    struct net_config cfg;
    struct nl_sock *sk;
    int rc = 0;
    bool exists;

    *removed = false;
    if (net_config_get(&cfg, err) < 0 || lease_open(&s, err) < 0)
        return -1;
    reclaim_dead(&s);
    /* Namespaces of containers that just exited may still be going away. */
    for (int t = 0; t < 100 && json_array_size(lease_list(&s)); t++) {
        bool any_alive = false;
        size_t i;
        json_t *l;
        json_array_foreach(lease_list(&s), i, l)
            any_alive |= !draining(l);
        if (any_alive)
            break;
        usleep(20000);
        reclaim_dead(&s);
    }
    sk = netlink_open(0, err);
    if (!sk) {
        lease_close(&s);
        return -1;
    }
    exists = netlink_link_index(sk, cfg.bridge) > 0;
    netlink_close(sk);
    if (json_array_size(lease_list(&s)) == 0 && (exists || json_object_get(s.root, "ready"))) {
        rc = bridge_remove(&s, err);
        *removed = rc == 0;
    }
    if (rc == 0)
        rc = lease_save(&s, err);
    lease_close(&s);
    return rc;
}

int net_inspect(char **out, struct osbox_err *err)
{
    struct lease_store s;
    struct net_config cfg;
    struct nl_sock *sk;
    char net[INET_ADDRSTRLEN];
    json_t *o, *leases;
    size_t i;
    json_t *l;

    if (net_config_get(&cfg, err) < 0 || lease_open(&s, err) < 0)
        return -1;
    sk = netlink_open(0, err);
    if (!sk) {
        lease_close(&s);
        return -1;
    }
    inet_ntop(AF_INET, &cfg.network, net, sizeof net);
    leases = json_deep_copy(lease_list(&s));
    for (i = 0; i < json_array_size(leases);) {
        l = json_array_get(leases, i);
        if (draining(l) && !link_exists(json_string_value(json_object_get(l, "link")))) {
            json_array_remove(leases, i); /* free already: the next user reclaims it */
            continue;
        }
        json_object_set_new(l, "alive", json_boolean(lease_holder_alive(l)));
        i++;
    }
    o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o}", "name", "bridge", "driver", "bridge",
                  "bridge", cfg.bridge, "subnet",
                  json_object_get(s.root, "subnet") ? json_incref(json_object_get(s.root, "subnet"))
                                                    : json_sprintf("%s/%d", net, cfg.prefix),
                  "up", json_boolean(netlink_link_index(sk, cfg.bridge) > 0), "leases", leases);
    json_object_set_new(o, "gateway", json_string(inet_ntoa(cfg.gateway)));
    json_object_set_new(o, "nat", nat_describe());
    netlink_close(sk);
    lease_close(&s);
    *out = json_dumps(o, JSON_INDENT(2));
    json_decref(o);
    return *out ? 0 : osbox_error(err, ENOMEM, "inspect");
}
