/* The network options of a container (--network, --ip, --mac-address,
 * --dns, --add-host, -p): parsing and validation, no side effects. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/net/net.h"
#include "util.h"

/* Without --network (and without $OSBOX_NETWORK) a container gets the bridge,
 * as with Docker, when osbox is really root: euid 0 in the initial user
 * namespace. A rootless osbox (root only of its own user namespace) cannot
 * make veths on the host's bridge, so its default is none. */
static bool real_root(void)
{
    char line[128] = "";
    unsigned long inner, outer, count;
    FILE *f;

    if (geteuid() != 0)
        return false;
    f = fopen("/proc/self/uid_map", "re");
    if (!f)
        return false;
    if (!fgets(line, sizeof line, f))
        line[0] = '\0';
    fclose(f);
    return sscanf(line, "%lu %lu %lu", &inner, &outer, &count) == 3 && inner == 0 &&
           outer == 0 && count == 4294967295UL;
}

static enum osbox_net_mode default_mode(void)
{
    return real_root() ? OSBOX_NET_BRIDGE : OSBOX_NET_NONE;
}

void osbox_net_spec_init(struct osbox_net_spec *n)
{
    const char *env = getenv("OSBOX_NETWORK");
    struct osbox_err err;

    memset(n, 0, sizeof *n);
    n->mode = default_mode();
    /* A bad $OSBOX_NETWORK falls back to the default; --network still wins. */
    if (env && *env && osbox_net_set_mode(n, env, &err) < 0)
        n->mode = default_mode();
}

void osbox_net_spec_free(struct osbox_net_spec *n)
{
    free(n->container);
    free(n->name);
    osbox_strv_free(n->dns);
    osbox_strv_free(n->add_hosts);
    free(n->ports);
    memset(n, 0, sizeof *n);
}

const char *osbox_net_mode_name(int mode)
{
    switch (mode) {
    case OSBOX_NET_BRIDGE: return "bridge";
    case OSBOX_NET_HOST: return "host";
    case OSBOX_NET_CONTAINER: return "container";
    default: return "none";
    }
}

int osbox_net_set_mode(struct osbox_net_spec *n, const char *mode, struct osbox_err *err)
{
    free(n->container);
    n->container = NULL;
    if (!strcmp(mode, "bridge") || !strcmp(mode, "default")) {
        n->mode = OSBOX_NET_BRIDGE;
    } else if (!strcmp(mode, "none")) {
        n->mode = OSBOX_NET_NONE;
    } else if (!strcmp(mode, "host")) {
        n->mode = OSBOX_NET_HOST;
    } else if (!strncmp(mode, "container:", 10) && mode[10]) {
        n->mode = OSBOX_NET_CONTAINER;
        n->container = osbox_xstrdup(mode + 10);
    } else {
        return osbox_error(err, 0, "--network %s: use bridge, none, host or container:NAME", mode);
    }
    return 0;
}

static int parse_ipv4(const char *s, struct in_addr *a, const char *what, struct osbox_err *err)
{
    if (inet_pton(AF_INET, s, a) != 1)
        return osbox_error(err, 0, "%s %s: not an IPv4 address", what, s);
    return 0;
}

int osbox_net_set_ip(struct osbox_net_spec *n, const char *ip, struct osbox_err *err)
{
    if (parse_ipv4(ip, &n->ip, "--ip", err) < 0)
        return -1;
    n->has_ip = true;
    return 0;
}

int osbox_net_set_mac(struct osbox_net_spec *n, const char *mac, struct osbox_err *err)
{
    unsigned b[6];
    char tail;

    if (sscanf(mac, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
               &tail) != 6 || strlen(mac) != 17)
        return osbox_error(err, 0, "--mac-address %s: use six hex bytes, 02:42:0a:58:00:02", mac);
    if (b[0] & 1)
        return osbox_error(err, 0, "--mac-address %s: a multicast address cannot be a NIC's", mac);
    for (int i = 0; i < 6; i++)
        n->mac[i] = (uint8_t)b[i];
    n->has_mac = true;
    return 0;
}

int osbox_net_add_dns(struct osbox_net_spec *n, const char *ip, struct osbox_err *err)
{
    struct in_addr a;
    struct in6_addr a6;

    if (inet_pton(AF_INET, ip, &a) != 1 && inet_pton(AF_INET6, ip, &a6) != 1)
        return osbox_error(err, 0, "--dns %s: not an IP address", ip);
    osbox_strv_push(&n->dns, ip);
    return 0;
}

static bool valid_hostname(const char *s)
{
    if (!*s || strlen(s) > 253)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("-._", *s))
            return false;
    return true;
}

int osbox_net_add_host(struct osbox_net_spec *n, const char *arg, struct osbox_err *err)
{
    const char *colon = strchr(arg, ':');
    struct in_addr a;
    struct in6_addr a6;

    if (!colon)
        return osbox_error(err, 0, "--add-host %s: use NAME:IP", arg);
    _cleanup_free_ char *name = strndup(arg, (size_t)(colon - arg));
    const char *ip = colon + 1;
    if (!name || !valid_hostname(name))
        return osbox_error(err, 0, "--add-host %s: invalid host name", arg);
    if (inet_pton(AF_INET, ip, &a) != 1 && inet_pton(AF_INET6, ip, &a6) != 1)
        return osbox_error(err, 0, "--add-host %s: '%s' is not an IP address", arg, ip);
    _cleanup_free_ char *line = osbox_strdup_printf("%s\t%s", ip, name);
    osbox_strv_push(&n->add_hosts, line);
    return 0;
}

static int parse_port_num(const char *s, uint16_t *out, const char *arg, struct osbox_err *err)
{
    long long v;
    struct osbox_err e;

    if (osbox_parse_int(s, 1, 65535, &v, &e) < 0)
        return osbox_error(err, 0, "-p %s: '%s' is not a port (1-65535)", arg, s);
    *out = (uint16_t)v;
    return 0;
}

int net_parse_port(const char *arg, struct osbox_port *p, struct osbox_err *err)
{
    _cleanup_free_ char *s = osbox_xstrdup(arg);
    char *slash = strrchr(s, '/'), *last, *first;

    memset(p, 0, sizeof *p);
    p->proto = IPPROTO_TCP;
    p->host_ip.s_addr = htonl(INADDR_ANY);
    if (slash) {
        *slash = '\0';
        if (!strcmp(slash + 1, "udp"))
            p->proto = IPPROTO_UDP;
        else if (strcmp(slash + 1, "tcp"))
            return osbox_error(err, 0, "-p %s: protocol must be tcp or udp", arg);
    }
    last = strrchr(s, ':');
    if (!last)
        return osbox_error(err, 0, "-p %s: use [HOSTIP:]HOSTPORT:PORT[/tcp|/udp]", arg);
    *last = '\0';
    if (parse_port_num(last + 1, &p->port, arg, err) < 0)
        return -1;
    first = strrchr(s, ':');
    if (first) {
        *first = '\0';
        if (parse_ipv4(s, &p->host_ip, "-p: host address", err) < 0)
            return -1;
        if (parse_port_num(first + 1, &p->host_port, arg, err) < 0)
            return -1;
    } else if (parse_port_num(s, &p->host_port, arg, err) < 0) {
        return -1;
    }
    return 0;
}

int osbox_net_add_publish(struct osbox_net_spec *n, const char *arg, struct osbox_err *err)
{
    struct osbox_port p, *v;

    if (net_parse_port(arg, &p, err) < 0)
        return -1;
    for (size_t i = 0; i < n->n_ports; i++)
        if (n->ports[i].proto == p.proto && n->ports[i].host_port == p.host_port)
            return osbox_error(err, 0, "-p %s: host port %u is published twice", arg,
                               p.host_port);
    v = realloc(n->ports, (n->n_ports + 1) * sizeof *v);
    if (!v)
        abort();
    n->ports = v;
    n->ports[n->n_ports++] = p;
    return 0;
}

int osbox_net_validate(const struct osbox_net_spec *n, struct osbox_err *err)
{
    const char *what = n->has_ip ? "--ip" : n->has_mac ? "--mac-address" : n->n_ports ? "-p" : NULL;

    if (what && n->mode != OSBOX_NET_BRIDGE)
        return osbox_error(err, 0, "%s needs --network bridge (not %s)", what,
                           osbox_net_mode_name(n->mode));
    if (n->dns && (n->mode == OSBOX_NET_HOST || n->mode == OSBOX_NET_CONTAINER))
        return osbox_error(err, 0, "--dns cannot be used with --network %s",
                           osbox_net_mode_name(n->mode));
    return 0;
}

int net_parse_cidr(const char *s, struct in_addr *net, int *prefix, struct osbox_err *err)
{
    _cleanup_free_ char *copy = osbox_xstrdup(s);
    char *slash = strchr(copy, '/');
    long long p;
    struct osbox_err e;
    uint32_t mask;

    if (!slash)
        return osbox_error(err, 0, "subnet %s: use ADDRESS/PREFIX, e.g. 10.88.0.0/16", s);
    *slash = '\0';
    if (inet_pton(AF_INET, copy, net) != 1 || osbox_parse_int(slash + 1, 8, 30, &p, &e) < 0)
        return osbox_error(err, 0, "subnet %s: use ADDRESS/PREFIX with a prefix of 8 to 30", s);
    mask = htonl(~0u << (32 - p));
    if (net->s_addr & ~mask)
        return osbox_error(err, 0, "subnet %s: host bits set (did you mean %s/%lld?)", s,
                           inet_ntoa((struct in_addr){ net->s_addr & mask }), p);
    *prefix = (int)p;
    return 0;
}

int net_config_get(struct net_config *cfg, struct osbox_err *err)
{
    const char *s = getenv("OSBOX_SUBNET");

    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->bridge, sizeof cfg->bridge, "osbox0");
    if (net_parse_cidr(s && *s ? s : "10.88.0.0/16", &cfg->network, &cfg->prefix, err) < 0)
        return osbox_error_prefix(err, "OSBOX_SUBNET");
    cfg->gateway.s_addr = htonl(ntohl(cfg->network.s_addr) + 1);
    return 0;
}
