/* osbox port CONTAINER [PORT[/PROTO]]: the container's published ports, as
 * Docker prints them ("80/tcp -> 0.0.0.0:8080"), from its NetworkSettings. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "runtime/lifecycle/lifecycle.h"
#include "util.h"

static int port_main(int argc, char **argv)
{
    struct osbox_err err;
    json_t *o, *ports, *list, *b;
    const char *key;
    _cleanup_free_ char *want = NULL;
    size_t i;
    int found = 0;

    if (cli_wants_help(argc, argv)) {
        printf("Usage: osbox port CONTAINER [PORT[/tcp|/udp]]\n\n"
               "List the container's published ports (-p) and where on the host they are\n"
               "reachable; with PORT only that one (tcp when no protocol is given).\n");
        return 0;
    }
    if (argc < 2 || argc > 3)
        return cli_failf(OSBOX_EXIT_USAGE, "port: usage: osbox port CONTAINER [PORT[/PROTO]]");
    if (argc == 3)
        want = strchr(argv[2], '/') ? osbox_xstrdup(argv[2]) : osbox_strdup_printf("%s/tcp", argv[2]);
    osbox_err_clear(&err);
    if (container_inspect_json(argv[1], &o, &err) < 0)
        return cli_fail(&err);
    ports = json_object_get(json_object_get(o, "NetworkSettings"), "Ports");
    json_object_foreach(ports, key, list) {
        if (want && strcmp(want, key))
            continue;
        json_array_foreach(list, i, b) {
            /* Docker: with PORT only "HOSTIP:HOSTPORT", else "KEY -> HOSTIP:HOSTPORT". */
            if (want)
                printf("%s:%s\n", json_string_value(json_object_get(b, "HostIp")),
                       json_string_value(json_object_get(b, "HostPort")));
            else
                printf("%s -> %s:%s\n", key, json_string_value(json_object_get(b, "HostIp")),
                       json_string_value(json_object_get(b, "HostPort")));
            found++;
        }
    }
    json_decref(o);
    if (want && !found)
        return cli_failf(OSBOX_EXIT_FAILED, "port: no public port '%s' published for %s", want, argv[1]);
    return 0;
}

OSBOX_COMMAND(port_command, .name = "port", .summary = "List a container's published ports",
              .main = port_main)
