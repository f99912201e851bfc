/* Docker's NetworkSettings of a container, from its lease: where to connect
 * to it (address, gateway, MAC) and its published ports. Read only: a
 * machine that never had a bridge has no lease store, and none is made. */
#include <arpa/inet.h>
#include <jansson.h>
#include <stdio.h>
#include <unistd.h>

#include "runtime/net/net_internal.h"
#include "util.h"

/* {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}], ...} */
static json_t *ports_json(json_t *lease)
{
    json_t *ports = json_object(), *p;
    size_t i;

    json_array_foreach(json_object_get(lease, "ports"), i, p) {
        char key[32], hport[16];
        snprintf(key, sizeof key, "%d/%s", (int)json_integer_value(json_object_get(p, "port")),
                 json_string_value(json_object_get(p, "proto")) ?: "tcp");
        snprintf(hport, sizeof hport, "%d", (int)json_integer_value(json_object_get(p, "host_port")));
        json_t *list = json_object_get(ports, key);
        if (!list) {
            list = json_array();
            json_object_set_new(ports, key, list);
        }
        json_array_append_new(list, json_pack("{s:s, s:s}", "HostIp",
                                               json_string_value(json_object_get(p, "host_ip")) ?: "0.0.0.0",
                                               "HostPort", hport));
    }
    return ports;
}

json_t *net_container_settings(const char *id)
{
    _cleanup_free_ char *dir = net_dir();
    _cleanup_free_ char *leases = osbox_strdup_printf("%s/leases.json", dir);
    json_t *o = json_pack("{s:s, s:i, s:s, s:s, s:o, s:o}", "IPAddress", "", "IPPrefixLen", 0,
                          "Gateway", "", "MacAddress", "", "Ports", json_object(), "Networks",
                          json_object());
    struct lease_store s;
    struct net_config cfg;
    struct osbox_err ignored;
    json_t *l;

    if (access(leases, F_OK) < 0 || net_config_get(&cfg, &ignored) < 0 ||
        lease_open(&s, &ignored) < 0)
        return o;
    l = lease_find(&s, id);
    if (l && lease_holder_alive(l)) {
        const char *ip = json_string_value(json_object_get(l, "ip")) ?: "";
        const char *mac = json_string_value(json_object_get(l, "mac")) ?: "";
        char gw[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &cfg.gateway, gw, sizeof gw);
        json_object_set_new(o, "IPAddress", json_string(ip));
        json_object_set_new(o, "IPPrefixLen", json_integer(cfg.prefix));
        json_object_set_new(o, "Gateway", json_string(gw));
        json_object_set_new(o, "MacAddress", json_string(mac));
        json_object_set_new(o, "Ports", ports_json(l));
        json_object_set_new(json_object_get(o, "Networks"), "bridge",
                            json_pack("{s:s, s:i, s:s, s:s}", "IPAddress", ip, "IPPrefixLen",
                                      cfg.prefix, "Gateway", gw, "MacAddress", mac));
    }
    lease_close(&s);
    return o;
}
