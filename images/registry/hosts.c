/* Facts about registry hosts: which may be spoken to in plain HTTP, where
 * docker.io's API lives, and where a registry's own CA certificate is.
 *
 * Plain HTTP is used only for loopback hosts (localhost, 127.0.0.0/8, [::1]),
 * the registries Docker treats as insecure by default: traffic to them never
 * leaves the machine. Every other registry is HTTPS, verified against the
 * system CA store plus certs.d/HOST/ca.crt. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registry.h"
#include "util.h"

/* The host part of "host[:port]" or "[v6]:port", into buf. */
static void host_only(const char *domain, char *buf, size_t n)
{
    const char *end;

    if (domain[0] == '[') {
        end = strchr(domain, ']');
        domain++;
    } else {
        end = strchr(domain, ':');
    }
    size_t len = end ? (size_t)(end - domain) : strlen(domain);
    if (len >= n)
        len = n - 1;
    memcpy(buf, domain, len);
    buf[len] = '\0';
}

bool reg_host_is_loopback(const char *domain)
{
    char host[256];
    struct in_addr a4;
    struct in6_addr a6;

    host_only(domain, host, sizeof host);
    if (!strcmp(host, "localhost"))
        return true;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return false;
}

const char *reg_api_host(const char *domain)
{
    return strcmp(domain, "docker.io") ? domain : "registry-1.docker.io";
}

char *reg_ca_file(const char *domain)
{
    const char *dirs[] = { getenv("OSBOX_CERTS_DIR"), "/etc/containers/certs.d",
                           "/etc/docker/certs.d" };

    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        if (!dirs[i] || !*dirs[i])
            continue;
        char *p = osbox_strdup_printf("%s/%s/ca.crt", dirs[i], domain);
        if (access(p, R_OK) == 0)
            return p;
        free(p);
    }
    return NULL;
}
