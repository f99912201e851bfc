/* /etc/hosts and /etc/resolv.conf for containers with a network namespace
 * of their own (none, bridge) or another container's. The bridge address
 * line is added once the address is leased (net_hosts_add_self). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "runtime/net/net_internal.h"
#include "util.h"

static void append(char **s, const char *line)
{
    char *n = osbox_strdup_printf("%s%s\n", *s, line);
    free(*s);
    *s = n;
}

/* A name server a container cannot reach: the host's loopback. */
static bool loopback_server(const char *ip)
{
    struct in_addr a;

    if (inet_pton(AF_INET, ip, &a) == 1)
        return (ntohl(a.s_addr) >> 24) == 127;
    return !strcmp(ip, "::1");
}

/* The host's resolv.conf without loopback servers; NULL if none is left. */
static char *filtered_resolv(const char *path, bool *any_server)
{
    _cleanup_free_ char *text = NULL;
    struct osbox_err e;
    char *out = osbox_xstrdup(""), *save = NULL, *line;
    char ip[256];

    *any_server = false;
    if (osbox_read_file(path, &text, NULL, &e) < 0)
        return out;
    for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (sscanf(line, " nameserver %255s", ip) == 1) {
            if (loopback_server(ip))
                continue;
            *any_server = true;
        }
        append(&out, line);
    }
    return out;
}

static char *bridge_resolv(const struct osbox_net_spec *ns)
{
    char *out;
    bool any;

    if (ns->dns) {
        out = osbox_xstrdup("# osbox: --dns\n");
        for (size_t i = 0; ns->dns[i]; i++) {
            _cleanup_free_ char *l = osbox_strdup_printf("nameserver %s", ns->dns[i]);
            append(&out, l);
        }
        return out;
    }
    out = filtered_resolv("/etc/resolv.conf", &any);
    if (!any) {
        /* systemd-resolved: its stub is on 127.0.0.53, the real servers are here. */
        free(out);
        out = filtered_resolv("/run/systemd/resolve/resolv.conf", &any);
    }
    if (!any)
        append(&out, "# osbox: the host has no name server a container can reach (use --dns)");
    return out;
}

static int joined_files(const struct osbox_net_spec *ns, char **hosts, char **resolv,
                        struct osbox_err *err)
{
    char id[65];
    struct osbox_err e;

    if (net_join_resolve(ns->container, id, err) < 0)
        return -1;
    _cleanup_free_ char *h = osbox_strdup_printf("%s/containers/%s/hosts", osbox_root_dir(), id);
    _cleanup_free_ char *r = osbox_strdup_printf("%s/containers/%s/resolv.conf", osbox_root_dir(), id);
    if (osbox_read_file(h, hosts, NULL, &e) < 0)
        *hosts = osbox_xstrdup("127.0.0.1\tlocalhost\n");
    if (osbox_read_file(r, resolv, NULL, &e) < 0)
        *resolv = osbox_xstrdup("");
    return 0;
}

int net_etc_content(const struct osbox_net_spec *ns, const char *hostname, char **hosts,
                    char **resolv, struct osbox_err *err)
{
    *hosts = *resolv = NULL;
    if (ns->mode == OSBOX_NET_CONTAINER) {
        if (joined_files(ns, hosts, resolv, err) < 0)
            return -1;
    } else {
        *hosts = osbox_xstrdup("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
        if (ns->mode == OSBOX_NET_BRIDGE) {
            *resolv = bridge_resolv(ns);
        } else {
            _cleanup_free_ char *self = osbox_strdup_printf("127.0.1.1\t%s", hostname);
            append(hosts, self);
            *resolv = osbox_xstrdup("# osbox: --network none, no name servers\n");
        }
    }
    for (size_t i = 0; ns->add_hosts && ns->add_hosts[i]; i++)
        append(hosts, ns->add_hosts[i]);
    return 0;
}
