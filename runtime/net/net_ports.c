/* Published ports (-p): their record in a lease, and the checks before one
 * is published: not published by another holder, not in use on the host. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime/net/net_internal.h"
#include "util.h"

json_t *port_to_json(const struct osbox_port *p)
{
    char hip[INET_ADDRSTRLEN];

    inet_ntop(AF_INET, &p->host_ip, hip, sizeof hip);
    return json_pack("{s:s, s:s, s:i, s:i}", "proto", p->proto == IPPROTO_UDP ? "udp" : "tcp",
                     "host_ip", hip, "host_port", (int)p->host_port, "port", (int)p->port);
}

static bool overlaps(json_t *q, const struct osbox_port *p)
{
    const char *proto = json_string_value(json_object_get(q, "proto")) ?: "";
    const char *hip = json_string_value(json_object_get(q, "host_ip")) ?: "0.0.0.0";
    struct in_addr a;

    if (strcmp(proto, p->proto == IPPROTO_UDP ? "udp" : "tcp") ||
        json_integer_value(json_object_get(q, "host_port")) != p->host_port)
        return false;
    if (inet_pton(AF_INET, hip, &a) != 1)
        return true;
    return a.s_addr == INADDR_ANY || p->host_ip.s_addr == INADDR_ANY ||
           a.s_addr == p->host_ip.s_addr;
}

/* A listening socket (or bound UDP socket) of the host would be shadowed by
 * the DNAT: try binding the same address, as a server would. */
static int host_port_free(const struct osbox_port *p, struct osbox_err *err)
{
    int type = p->proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM, one = 1;
    _cleanup_close_ int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(p->host_port),
                              .sin_addr = p->host_ip };

    if (fd < 0)
        return 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
        return 0;
    if (errno == EADDRINUSE)
        return osbox_error(err, 0, "-p %u/%s: the port is already in use on the host",
                           p->host_port, p->proto == IPPROTO_UDP ? "udp" : "tcp");
    if (errno == EADDRNOTAVAIL)
        return osbox_error(err, 0, "-p %s:%u: not an address of this host",
                           inet_ntoa(p->host_ip), p->host_port);
    return 0;
}

int ports_check(struct lease_store *s, const struct osbox_port *p, size_t n,
                struct osbox_err *err)
{
    size_t i, j;
    json_t *l, *q;

    for (size_t k = 0; k < n; k++) {
        json_array_foreach(lease_list(s), i, l) {
            json_array_foreach(json_object_get(l, "ports"), j, q) {
                if (overlaps(q, &p[k]))
                    return osbox_error(err, 0, "-p %u/%s: the port is already published by "
                                       "container %.12s", p[k].host_port,
                                       p[k].proto == IPPROTO_UDP ? "udp" : "tcp",
                                       json_string_value(json_object_get(l, "id")) ?: "?");
            }
        }
        if (host_port_free(&p[k], err) < 0)
            return -1;
    }
    return 0;
}
