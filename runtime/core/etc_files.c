/* /etc/hostname, /etc/hosts, /etc/resolv.conf: written per container in its
 * dir and bind-mounted over the image's, so the image is never edited. */
#include <errno.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "runtime/core/runtime.h"
#include "util.h"

static int write_one(struct osbox_spec *spec, const char *dir, const char *name,
                     const char *content, struct osbox_err *err)
{
    _cleanup_free_ char *path = osbox_strdup_printf("%s/%s", dir, name);
    _cleanup_free_ char *dest = osbox_strdup_printf("/etc/%s", name);

    if (osbox_write_file(path, content, strlen(content), 0644, err) < 0)
        return -1;
    osbox_spec_add_mount(spec, dest, "bind", path, MS_BIND, NULL);
    return 0;
}

static char *host_file(const char *path, const char *fallback)
{
    char *s = NULL;
    struct osbox_err err;

    if (osbox_read_file(path, &s, NULL, &err) < 0)
        return osbox_xstrdup(fallback);
    return s;
}

int runtime_prepare_etc(struct osbox_spec *spec, const char *dir, bool host_network,
                        struct osbox_err *err)
{
    char hostname[256];
    _cleanup_free_ char *hn = NULL, *hosts = NULL, *resolv = NULL;

    if (spec->hostname) {
        snprintf(hostname, sizeof hostname, "%s", spec->hostname);
    } else if (gethostname(hostname, sizeof hostname) < 0) {
        snprintf(hostname, sizeof hostname, "localhost");
    }
    hn = osbox_strdup_printf("%s\n", hostname);
    if (host_network) {
        hosts = host_file("/etc/hosts", "127.0.0.1\tlocalhost\n");
        resolv = host_file("/etc/resolv.conf", "");
    } else if (net_etc_content(&spec->net, hostname, &hosts, &resolv, err) < 0) {
        return -1; /* none, bridge, container:NAME (runtime/net/net_etc.c) */
    }
    if (write_one(spec, dir, "hostname", hn, err) < 0 ||
        write_one(spec, dir, "hosts", hosts, err) < 0 ||
        write_one(spec, dir, "resolv.conf", resolv, err) < 0)
        return -1;
    return 0;
}
