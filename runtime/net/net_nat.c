/* The nftables side, through libnftables: one table, "ip osbox", holding
 * everything osbox adds, so nothing else's rules are ever touched and
 * removing ours is dropping the table.
 *
 *   postrouting: masquerade the subnet going out anywhere but the bridge;
 *                masquerade 127.0.0.0/8 sent to the bridge (the host's own
 *                connections to 127.0.0.1:HOSTPORT, with route_localnet on)
 *                and hairpin DNAT'd traffic between containers.
 *   prerouting + output -> ports: DNAT of published ports, for traffic to
 *                any local address; four maps (tcp/udp x any/one host
 *                address) whose elements are added per container, so a
 *                port already published is refused by the kernel itself. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "dl_nftables.h"
#include "runtime/net/net_internal.h"
#include "util.h"

static int nft_run(const char *cmd, struct osbox_err *err)
{
    struct nft_ctx *ctx;
    int rc;

    if (lazy_nftables_load(err) < 0)
        return -1;
    ctx = nft_ctx_new(NFT_CTX_DEFAULT);
    if (!ctx)
        return osbox_error(err, ENOMEM, "nftables context");
    nft_ctx_buffer_output(ctx);
    nft_ctx_buffer_error(ctx);
    rc = nft_run_cmd_from_buffer(ctx, cmd);
    if (rc != 0 && err) {
        const char *e = nft_ctx_get_error_buffer(ctx);
        const char *colon = e ? strstr(e, "Error: ") : NULL;
        size_t len = colon ? strcspn(colon + 7, "\n") : 0;
        osbox_error(err, 0, "nftables: %.*s", (int)len, colon ? colon + 7 : "failed");
        if (strstr(err->msg, "not supported") || strstr(err->msg, "No such file"))
            osbox_error_prefix(err, "(are the nf_tables, nft_nat, nft_masq, nft_fib_ipv4 modules "
                               "available?)");
    }
    nft_ctx_free(ctx);
    return rc == 0 ? 0 : -1;
}

int nat_setup(const struct net_config *cfg, struct osbox_err *err)
{
    char net[INET_ADDRSTRLEN];
    _cleanup_free_ char *cmd = NULL;

    inet_ntop(AF_INET, &cfg->network, net, sizeof net);
    /* add+delete first: a stale table of ours (from before a reboot of the
     * state, say) is replaced, never merged with. One transaction. */
    cmd = osbox_strdup_printf(
        "add table ip osbox\n"
        "delete table ip osbox\n"
        "table ip osbox {\n"
        "  map tcp_any { type inet_service : ipv4_addr . inet_service; }\n"
        "  map udp_any { type inet_service : ipv4_addr . inet_service; }\n"
        "  map tcp_addr { type ipv4_addr . inet_service : ipv4_addr . inet_service; }\n"
        "  map udp_addr { type ipv4_addr . inet_service : ipv4_addr . inet_service; }\n"
        "  chain ports {\n"
        "    fib daddr type local dnat ip to tcp dport map @tcp_any\n"
        "    fib daddr type local dnat ip to ip daddr . tcp dport map @tcp_addr\n"
        "    fib daddr type local dnat ip to udp dport map @udp_any\n"
        "    fib daddr type local dnat ip to ip daddr . udp dport map @udp_addr\n"
        "  }\n"
        "  chain prerouting { type nat hook prerouting priority dstnat; policy accept; jump ports; }\n"
        "  chain output { type nat hook output priority -100; policy accept; jump ports; }\n"
        "  chain postrouting {\n"
        "    type nat hook postrouting priority srcnat; policy accept;\n"
        "    ip saddr %s/%d oifname != \"%s\" masquerade\n"
        "    ip saddr 127.0.0.0/8 oifname \"%s\" masquerade\n"
        "    ip saddr %s/%d oifname \"%s\" ct status dnat masquerade\n"
        "  }\n"
        "}\n",
        net, cfg->prefix, cfg->bridge, cfg->bridge, net, cfg->prefix, cfg->bridge);
    return nft_run(cmd, err);
}

int nat_drop(struct osbox_err *err)
{
    return nft_run("add table ip osbox\ndelete table ip osbox\n", err);
}

/* "add element ip osbox tcp_any { 8080 : 10.88.0.2 . 80 }" for one port. */
static char *element_cmd(const char *verb, json_t *p, const char *target)
{
    const char *proto = json_string_value(json_object_get(p, "proto")) ?: "tcp";
    const char *hip = json_string_value(json_object_get(p, "host_ip")) ?: "0.0.0.0";
    int hport = (int)json_integer_value(json_object_get(p, "host_port"));
    int port = (int)json_integer_value(json_object_get(p, "port"));
    bool any = !strcmp(hip, "0.0.0.0");
    _cleanup_free_ char *key = any ? osbox_strdup_printf("%d", hport)
                                   : osbox_strdup_printf("%s . %d", hip, hport);

    if (target)
        return osbox_strdup_printf("%s element ip osbox %s_%s { %s : %s . %d }\n", verb, proto,
                                   any ? "any" : "addr", key, target, port);
    return osbox_strdup_printf("%s element ip osbox %s_%s { %s }\n", verb, proto,
                               any ? "any" : "addr", key);
}

int nat_ports_add(json_t *ports, struct in_addr addr, struct osbox_err *err)
{
    char target[INET_ADDRSTRLEN];
    _cleanup_free_ char *cmd = osbox_xstrdup("");
    size_t i;
    json_t *p;

    if (!json_array_size(ports))
        return 0;
    inet_ntop(AF_INET, &addr, target, sizeof target);
    json_array_foreach(ports, i, p) {
        _cleanup_free_ char *one = element_cmd("add", p, target);
        char *all = osbox_strdup_printf("%s%s", cmd, one);
        free(cmd);
        cmd = all;
    }
    if (nft_run(cmd, err) < 0) {
        if (strstr(err->msg, "File exists"))
            return osbox_error(err, 0, "a published port is already in use by another "
                               "container (nftables: File exists)");
        return osbox_error_prefix(err, "publish ports");
    }
    return 0;
}

void nat_ports_del(json_t *ports)
{
    size_t i;
    json_t *p;

    /* One at a time: an element already gone must not keep the others. */
    json_array_foreach(ports, i, p) {
        _cleanup_free_ char *one = element_cmd("delete", p, NULL);
        nft_run(one, NULL);
    }
}

/* What the kernel holds in our table: {"table": bool, "elements": N,
 * "maps": {"tcp_any": [...], ...}} (for inspect, and for tests that check
 * nothing of a container is left). */
json_t *nat_describe(void)
{
    json_t *out = json_pack("{s:b, s:i, s:{}}", "table", 0, "elements", 0, "maps"), *all, *it;
    struct nft_ctx *ctx;
    size_t i, n = 0;

    if (lazy_nftables_load(NULL) < 0 || !(ctx = nft_ctx_new(NFT_CTX_DEFAULT)))
        return out;
    nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON);
    nft_ctx_buffer_output(ctx);
    nft_ctx_buffer_error(ctx);
    if (nft_run_cmd_from_buffer(ctx, "list table ip osbox") == 0 &&
        (all = json_loads(nft_ctx_get_output_buffer(ctx), 0, NULL))) {
        json_object_set_new(out, "table", json_true());
        json_array_foreach(json_object_get(all, "nftables"), i, it) {
            json_t *m = json_object_get(it, "map");
            json_t *elem = json_object_get(m, "elem");
            if (!m)
                continue;
            json_object_set_new(json_object_get(out, "maps"),
                                json_string_value(json_object_get(m, "name")) ?: "?",
                                elem ? json_incref(elem) : json_array());
            n += json_array_size(elem);
        }
        json_decref(all);
    }
    json_object_set_new(out, "elements", json_integer((json_int_t)n));
    nft_ctx_free(ctx);
    return out;
}
