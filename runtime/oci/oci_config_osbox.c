/* The "osbox" object of a saved config.json: what struct osbox_spec holds
 * and the OCI runtime-spec has no field for (image layers, a user by name,
 * stdin, the default seccomp profile, --privileged, --userns, network
 * options, the v2 cpu weight). Written by oci_config_write.c, read by
 * oci_config.c after the standard fields. */
#include <arpa/inet.h>
#include <string.h>

#include "runtime/oci/oci.h"
#include "util.h"

static json_t *strv_json(char *const *v)
{
    json_t *a = json_array();

    for (size_t i = 0; v && v[i]; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static json_t *network_json(const struct osbox_net_spec *n)
{
    json_t *o = json_object(), *ports = json_array();
    char ip[INET_ADDRSTRLEN];

    if (n->mode == OSBOX_NET_CONTAINER) {
        _cleanup_free_ char *m = osbox_strdup_printf("container:%s", n->container);
        json_object_set_new(o, "mode", json_string(m));
    } else {
        json_object_set_new(o, "mode", json_string(osbox_net_mode_name(n->mode)));
    }
    if (n->name)
        json_object_set_new(o, "name", json_string(n->name));
    if (n->has_ip && inet_ntop(AF_INET, &n->ip, ip, sizeof ip))
        json_object_set_new(o, "ip", json_string(ip));
    if (n->has_mac) {
        _cleanup_free_ char *mac = osbox_strdup_printf("%02x:%02x:%02x:%02x:%02x:%02x", n->mac[0],
                                                       n->mac[1], n->mac[2], n->mac[3], n->mac[4],
                                                       n->mac[5]);
        json_object_set_new(o, "mac", json_string(mac));
    }
    json_object_set_new(o, "dns", strv_json(n->dns));
    json_object_set_new(o, "addHosts", strv_json(n->add_hosts));
    for (size_t i = 0; i < n->n_ports; i++) {
        const struct osbox_port *p = &n->ports[i];
        _cleanup_free_ char *s = NULL;
        inet_ntop(AF_INET, &p->host_ip, ip, sizeof ip);
        s = osbox_strdup_printf("%s:%u:%u/%s", ip, p->host_port, p->port,
                                p->proto == IPPROTO_UDP ? "udp" : "tcp");
        json_array_append_new(ports, json_string(s));
    }
    json_object_set_new(o, "publish", ports);
    return o;
}

json_t *oci_config_osbox_json(const struct osbox_spec *spec)
{
    const struct osbox_security *s = &spec->security;
    static const char *const seccomp[] = { [OSBOX_SECCOMP_DEFAULT] = "default",
                                           [OSBOX_SECCOMP_UNCONFINED] = "unconfined",
                                           [OSBOX_SECCOMP_CUSTOM] = "profile" };
    json_t *o = json_pack("{s:b, s:s, s:b, s:b, s:{s:I, s:b}, s:o}", "stdinOpen",
                          spec->process.stdin_open, "seccomp", seccomp[s->seccomp_mode],
                          "privileged", s->privileged, "rootless", s->rootless, "resources",
                          "cpuWeight", (json_int_t)spec->resources.cpu_weight, "memorySwapDefault",
                          spec->resources.memory_swap_default, "network", network_json(&spec->net));

    if (spec->root.layers)
        json_object_set_new(o, "layers", strv_json(spec->root.layers));
    if (spec->process.user)
        json_object_set_new(o, "user", json_string(spec->process.user));
    /* run --ulimit, --oom-score-adj, --sysctl: applied by the runtime's
     * child (the OCI fields of the same name are the OCI CLI's own). */
    if (spec->process.n_rlimits) {
        json_t *a = json_array();
        for (size_t i = 0; i < spec->process.n_rlimits; i++)
            json_array_append_new(a, json_pack("{s:i, s:I, s:I}", "resource", spec->process.rlimits[i].resource,
                                               "soft", (json_int_t)spec->process.rlimits[i].soft,
                                               "hard", (json_int_t)spec->process.rlimits[i].hard));
        json_object_set_new(o, "rlimits", a);
    }
    if (spec->process.has_oom_score_adj)
        json_object_set_new(o, "oomScoreAdj", json_integer(spec->process.oom_score_adj));
    if (spec->sysctl)
        json_object_set_new(o, "sysctl", strv_json(spec->sysctl));
    if (s->userns_size)
        json_object_set_new(o, "userns", json_pack("{s:I, s:I, s:I, s:b, s:I, s:I}", "uid",
                            (json_int_t)s->userns_uid, "gid", (json_int_t)s->userns_gid, "size",
                            (json_int_t)s->userns_size, "keepId", s->userns_keep, "keepUid",
                            (json_int_t)s->userns_keep_uid, "keepGid", (json_int_t)s->userns_keep_gid));
    return o;
}

static int bad(struct osbox_err *err, const char *field, const char *what)
{
    return osbox_error(err, 0, "config.json: osbox.%s: %s", field, what);
}

static int strv_from(json_t *a, const char *field, char ***out, struct osbox_err *err)
{
    json_t *v;
    size_t i;

    if (!a)
        return 0;
    if (!json_is_array(a))
        return bad(err, field, "must be an array of strings");
    json_array_foreach(a, i, v) {
        if (!json_is_string(v))
            return bad(err, field, "must be an array of strings");
        osbox_strv_push(out, json_string_value(v));
    }
    return 0;
}

static int network_from(json_t *o, struct osbox_net_spec *n, struct osbox_err *err)
{
    const char *mode = json_string_value(json_object_get(o, "mode"));
    const char *name = json_string_value(json_object_get(o, "name"));
    const char *ip = json_string_value(json_object_get(o, "ip"));
    const char *mac = json_string_value(json_object_get(o, "mac"));
    char **dns = NULL, **ports = NULL;
    int rc = -1;

    osbox_net_spec_free(n);
    memset(n, 0, sizeof *n);
    if (!mode)
        return bad(err, "network.mode", "required");
    if (osbox_net_set_mode(n, mode, err) < 0 || (ip && osbox_net_set_ip(n, ip, err) < 0) ||
        (mac && osbox_net_set_mac(n, mac, err) < 0) ||
        strv_from(json_object_get(o, "addHosts"), "network.addHosts", &n->add_hosts, err) < 0 ||
        strv_from(json_object_get(o, "dns"), "network.dns", &dns, err) < 0 ||
        strv_from(json_object_get(o, "publish"), "network.publish", &ports, err) < 0)
        goto out;
    for (size_t i = 0; dns && dns[i]; i++)
        if (osbox_net_add_dns(n, dns[i], err) < 0)
            goto out;
    for (size_t i = 0; ports && ports[i]; i++)
        if (osbox_net_add_publish(n, ports[i], err) < 0)
            goto out;
    n->name = osbox_xstrdup(name);
    rc = 0;
out:
    osbox_strv_free(dns);
    osbox_strv_free(ports);
    return rc < 0 ? osbox_error_prefix(err, "config.json: osbox.network") : 0;
}

static int security_from(json_t *o, struct osbox_security *s, struct osbox_err *err)
{
    const char *seccomp = json_string_value(json_object_get(o, "seccomp"));
    json_t *u = json_object_get(o, "userns");

    if (json_is_true(json_object_get(o, "privileged"))) {
        /* The host's device nodes as they are now, as at every --privileged start. */
        uint64_t caps = s->caps;
        osbox_security_set_privileged(s);
        s->caps = caps;
    } else if (seccomp && !strcmp(seccomp, "default")) {
        s->seccomp_mode = OSBOX_SECCOMP_DEFAULT;
    } else if (seccomp && !strcmp(seccomp, "profile") && s->seccomp_mode != OSBOX_SECCOMP_CUSTOM) {
        return bad(err, "seccomp", "says profile, but linux.seccomp is missing");
    } else if (seccomp && strcmp(seccomp, "unconfined") && strcmp(seccomp, "profile")) {
        return bad(err, "seccomp", "must be default, unconfined or profile");
    }
    s->rootless = json_is_true(json_object_get(o, "rootless"));
    if (u) {
        s->userns_uid = (unsigned long)json_integer_value(json_object_get(u, "uid"));
        s->userns_gid = (unsigned long)json_integer_value(json_object_get(u, "gid"));
        s->userns_size = (unsigned long)json_integer_value(json_object_get(u, "size"));
        s->userns_keep = json_is_true(json_object_get(u, "keepId"));
        s->userns_keep_uid = (unsigned long)json_integer_value(json_object_get(u, "keepUid"));
        s->userns_keep_gid = (unsigned long)json_integer_value(json_object_get(u, "keepGid"));
    }
    return 0;
}

int oci_config_osbox_from_json(json_t *o, struct osbox_spec *spec, struct osbox_err *err)
{
    const char *user = json_string_value(json_object_get(o, "user"));
    json_t *res = json_object_get(o, "resources"), *net = json_object_get(o, "network");

    if (!json_is_object(o))
        return osbox_error(err, 0, "config.json: osbox: must be an object");
    if (strv_from(json_object_get(o, "layers"), "layers", &spec->root.layers, err) < 0)
        return -1;
    if (user) {
        free(spec->process.user);
        spec->process.user = osbox_xstrdup(user);
    }
    spec->process.stdin_open = json_is_true(json_object_get(o, "stdinOpen"));
    {
        json_t *rl = json_object_get(o, "rlimits"), *r, *oom = json_object_get(o, "oomScoreAdj");
        size_t i;
        free(spec->process.rlimits);
        spec->process.rlimits = osbox_xcalloc(json_array_size(rl) + 1, sizeof *spec->process.rlimits);
        spec->process.n_rlimits = 0;
        json_array_foreach(rl, i, r) {
            struct osbox_rlimit *x = &spec->process.rlimits[spec->process.n_rlimits++];
            x->resource = (int)json_integer_value(json_object_get(r, "resource"));
            x->soft = (unsigned long long)json_integer_value(json_object_get(r, "soft"));
            x->hard = (unsigned long long)json_integer_value(json_object_get(r, "hard"));
        }
        if (json_is_integer(oom)) {
            spec->process.has_oom_score_adj = true;
            spec->process.oom_score_adj = (int)json_integer_value(oom);
        }
        if (strv_from(json_object_get(o, "sysctl"), "sysctl", &spec->sysctl, err) < 0)
            return -1;
    }
    if (security_from(o, &spec->security, err) < 0)
        return -1;
    if (res) {
        spec->resources.cpu_weight = (uint64_t)json_integer_value(json_object_get(res, "cpuWeight"));
        spec->resources.memory_swap_default = json_is_true(json_object_get(res, "memorySwapDefault"));
    }
    if (net && network_from(net, &spec->net, err) < 0)
        return -1;
    if (spec->net.mode == OSBOX_NET_CONTAINER && (spec->namespaces & OSBOX_NS_NET))
        return bad(err, "network", "container: mode with a network namespace of its own");
    return 0;
}
