/* The bridge osbox0: created on first use with the gateway address, a fixed
 * MAC (a bridge otherwise takes its lowest port's, changing as containers
 * come and go), route_localnet (for 127.0.0.1:HOSTPORT), the NAT table and
 * IP forwarding. The sysctls are written through /proc/sys/net by osbox
 * itself, which resolves them in the writer's own network namespace. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "runtime/net/net_internal.h"
#include "util.h"

#define IP_FORWARD "/proc/sys/net/ipv4/ip_forward"

void net_mac_for(struct in_addr a, uint8_t mac[6])
{
    mac[0] = 0x02;
    mac[1] = 0x42;
    memcpy(mac + 2, &a.s_addr, 4);
}

static char *subnet_str(const struct net_config *cfg)
{
    char net[INET_ADDRSTRLEN];

    inet_ntop(AF_INET, &cfg->network, net, sizeof net);
    return osbox_strdup_printf("%s/%d", net, cfg->prefix);
}

static int write_sysctl(const char *path, const char *value, struct osbox_err *err)
{
    if (osbox_write_file(path, value, strlen(value), 0644, err) < 0)
        return osbox_error_prefix(err, "sysctl");
    return 0;
}

static int enable_forwarding(struct lease_store *s, struct osbox_err *err)
{
    _cleanup_free_ char *cur = NULL;

    if (osbox_read_file(IP_FORWARD, &cur, NULL, err) < 0)
        return -1;
    if (cur[0] == '1')
        return 0;
    /* Remember we turned it on, so `network prune` can turn it off again. */
    json_object_set_new(s->root, "ip_forward_was", json_string("0"));
    return write_sysctl(IP_FORWARD, "1", err);
}

int bridge_ensure(struct lease_store *s, const struct net_config *cfg, struct osbox_err *err)
{
    _cleanup_free_ char *want = subnet_str(cfg);
    _cleanup_free_ char *rl = osbox_strdup_printf("/proc/sys/net/ipv4/conf/%s/route_localnet",
                                                  cfg->bridge);
    const char *have = json_string_value(json_object_get(s->root, "subnet"));
    struct nl_sock *sk;
    uint8_t mac[6];
    int idx, rc = -1;

    if (have && strcmp(have, want))
        return osbox_error(err, 0, "network %s uses %s, not %s: stop its containers and run "
                           "'osbox network prune' to change the subnet", cfg->bridge, have, want);
    sk = netlink_open(0, err);
    if (!sk)
        return -1;
    idx = netlink_link_index(sk, cfg->bridge);
    if (idx > 0 && json_is_true(json_object_get(s->root, "ready"))) {
        netlink_close(sk);
        return 0;
    }
    if (idx <= 0) {
        net_mac_for(cfg->gateway, mac);
        if (netlink_bridge_create(sk, cfg->bridge, mac, err) < 0)
            goto out;
        idx = netlink_link_index(sk, cfg->bridge);
        if (idx <= 0) {
            osbox_error(err, 0, "bridge %s vanished right after its creation", cfg->bridge);
            goto out;
        }
        if (netlink_addr_add(sk, idx, cfg->gateway, cfg->prefix, err) < 0)
            goto out;
    } else {
        /* A bridge of that name but no state of ours: adopt it, add our address. */
        struct osbox_err ignore;
        if (!netlink_link_is_bridge(sk, cfg->bridge)) {
            osbox_error(err, 0, "an interface named %s exists and is not a bridge", cfg->bridge);
            goto out;
        }
        netlink_addr_add(sk, idx, cfg->gateway, cfg->prefix, &ignore);
    }
    if (netlink_link_up(sk, idx, 0, err) < 0)
        goto out;
    if (write_sysctl(rl, "1", err) < 0 || nat_setup(cfg, err) < 0 || enable_forwarding(s, err) < 0)
        goto out;
    json_object_set_new(s->root, "bridge", json_string(cfg->bridge));
    json_object_set_new(s->root, "subnet", json_string(want));
    json_object_set_new(s->root, "gateway", json_string(inet_ntoa(cfg->gateway)));
    json_object_set_new(s->root, "ready", json_true());
    rc = 1;
out:
    netlink_close(sk);
    return rc;
}

int bridge_remove(struct lease_store *s, struct osbox_err *err)
{
    const char *br = json_string_value(json_object_get(s->root, "bridge")) ?: "osbox0";
    const char *fwd = json_string_value(json_object_get(s->root, "ip_forward_was"));
    struct nl_sock *sk = netlink_open(0, err);

    if (!sk)
        return -1;
    if (nat_drop(err) < 0) {
        netlink_close(sk);
        return -1;
    }
    netlink_link_delete(sk, br);
    netlink_close(sk);
    if (fwd && write_sysctl(IP_FORWARD, fwd, err) < 0)
        return -1;
    json_object_clear(s->root);
    json_object_set_new(s->root, "leases", json_array());
    return 0;
}
