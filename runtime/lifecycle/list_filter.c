/* ps's selection (lifecycle.h): --filter as Docker's, and each summary's
 * PORTS column. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/lifecycle/lifecycle.h"
#include "runtime/net/net.h"
#include "util.h"

/* Docker's PORTS: "0.0.0.0:8080->80/tcp, ..." (running containers hold them). */
static void add_ports(json_t *o)
{
    json_t *ns = net_container_settings(json_string_value(json_object_get(o, "id"))), *list, *b;
    const char *key;
    char ports[256] = "";
    size_t k;

    json_object_foreach(json_object_get(ns, "Ports"), key, list) {
        json_array_foreach(list, k, b) {
            size_t len = strlen(ports);
            snprintf(ports + len, sizeof ports - len, "%s%s:%s->%s", len ? ", " : "",
                     json_string_value(json_object_get(b, "HostIp")),
                     json_string_value(json_object_get(b, "HostPort")), key);
        }
    }
    json_decref(ns);
    json_object_set_new(o, "ports", json_string(ports));
}

/* --filter KEY=VALUE (Docker's): label=K or label=K=V, status=S, name=SUBSTRING,
 * id=PREFIX, health=starting|healthy|unhealthy|none. Filters of one key match if any does; of different keys, all. */
bool container_filter_valid(const char *f)
{
    if (!strchr(f, '=') || !strchr(f, '=')[1])
        return false;
    return !strncmp(f, "label=", 6) || !strncmp(f, "status=", 7) || !strncmp(f, "name=", 5) ||
           !strncmp(f, "id=", 3) || !strncmp(f, "health=", 7);
}

static bool filter_one(json_t *o, const char *f)
{
    const char *v = strchr(f, '=') + 1;

    if (!strncmp(f, "status=", 7))
        return !strcmp(json_string_value(json_object_get(o, "status")) ?: "", v);
    if (!strncmp(f, "name=", 5))
        return strstr(json_string_value(json_object_get(o, "name")) ?: "", v) != NULL;
    if (!strncmp(f, "health=", 7)) /* Docker's: starting, healthy, unhealthy, none */
        return !strcmp(json_string_value(json_object_get(o, "health")) ?: "none", v);
    if (!strncmp(f, "id=", 3))
        return !strncmp(json_string_value(json_object_get(o, "id")) ?: "", v, strlen(v));
    /* label=K or label=K=V */
    const char *eq = strchr(v, '=');
    _cleanup_free_ char *k = strndup(v, eq ? (size_t)(eq - v) : strlen(v));
    json_t *lv = json_object_get(json_object_get(o, "labels"), k);
    return lv && (!eq || !strcmp(json_string_value(lv) ?: "", eq + 1));
}

static bool filters_match(json_t *o, char *const *filters)
{
    for (size_t i = 0; filters && filters[i]; i++) {
        size_t klen = (size_t)(strchr(filters[i], '=') - filters[i]);
        bool any = false;
        /* Labels must all match; other keys: any filter of that key. */
        if (!strncmp(filters[i], "label=", 6)) {
            if (!filter_one(o, filters[i]))
                return false;
            continue;
        }
        for (size_t j = 0; filters[j]; j++)
            if (!strncmp(filters[j], filters[i], klen + 1) && filter_one(o, filters[j]))
                any = true;
        if (!any)
            return false;
    }
    return true;
}

json_t *container_list_filtered_json(bool all, char *const *filters)
{
    json_t *arr;

    /* As Docker: a status filter looks at stopped containers too. */
    for (size_t i = 0; filters && filters[i]; i++)
        if (!strncmp(filters[i], "status=", 7))
            all = true;
    arr = container_list_json(all);
    for (size_t i = 0; i < json_array_size(arr);) {
        if (filters && !filters_match(json_array_get(arr, i), filters)) {
            json_array_remove(arr, i);
            continue;
        }
        add_ports(json_array_get(arr, i++));
    }
    return arr;
}
