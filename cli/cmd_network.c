/* osbox network ls|inspect|prune: the bridge network containers (and, later,
 * VMs) share, its leases, and removing it once nobody uses it. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "runtime/core/runtime.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: osbox network ls\n"
            "       osbox network inspect [bridge]\n"
            "       osbox network prune\n"
            "\n"
            "Container networks. 'bridge' is the bridge osbox0 with the subnet\n"
            "$OSBOX_SUBNET (default 10.88.0.0/16, gateway .1), masquerade and published\n"
            "ports in the nftables table 'ip osbox'; 'host' and 'none' need no setup.\n"
            "\n"
            "  ls        list the networks and how many containers use each\n"
            "  inspect   the bridge network's configuration and leases, as JSON\n"
            "  prune     reclaim leases of dead containers; when none is left, remove\n"
            "            the bridge and the nftables table (and turn ip_forward back off\n"
            "            if osbox turned it on)\n");
}

static int ls_main(void)
{
    struct osbox_err err;
    char *text = NULL;
    json_t *o;
    size_t i, alive = 0;
    json_t *l;

    osbox_err_clear(&err);
    if (net_inspect(&text, &err) < 0)
        return cli_fail(&err);
    o = json_loads(text, 0, NULL);
    free(text);
    json_array_foreach(json_object_get(o, "leases"), i, l)
        alive += json_is_true(json_object_get(l, "alive"));
    printf("%-8s %-8s %-16s %-8s %-4s %s\n", "NAME", "DRIVER", "SUBNET", "BRIDGE", "UP",
           "CONTAINERS");
    printf("%-8s %-8s %-16s %-8s %-4s %zu\n", "bridge", "bridge",
           json_string_value(json_object_get(o, "subnet")) ?: "-",
           json_string_value(json_object_get(o, "bridge")) ?: "-",
           json_is_true(json_object_get(o, "up")) ? "yes" : "no", alive);
    printf("%-8s %-8s %-16s %-8s %-4s %s\n", "host", "host", "-", "-", "-", "-");
    printf("%-8s %-8s %-16s %-8s %-4s %s\n", "none", "null", "-", "-", "-", "-");
    json_decref(o);
    return 0;
}

static int inspect_main(int argc, char **argv)
{
    struct osbox_err err;
    char *text = NULL;

    if (argc > 3)
        return cli_failf(OSBOX_EXIT_USAGE, "network inspect: one network at most");
    if (argc == 3 && strcmp(argv[2], "bridge") && strcmp(argv[2], "osbox0")) {
        if (!strcmp(argv[2], "host") || !strcmp(argv[2], "none")) {
            printf("{\n  \"name\": \"%s\",\n  \"driver\": \"%s\"\n}\n", argv[2],
                   !strcmp(argv[2], "host") ? "host" : "null");
            return 0;
        }
        return cli_failf(OSBOX_EXIT_FAILED, "network inspect: no such network '%s'", argv[2]);
    }
    osbox_err_clear(&err);
    if (net_inspect(&text, &err) < 0)
        return cli_fail(&err);
    printf("%s\n", text);
    free(text);
    return 0;
}

static int prune_main(void)
{
    struct osbox_err err;
    bool removed;

    osbox_err_clear(&err);
    if (net_prune(&removed, &err) < 0)
        return cli_fail(&err);
    if (removed)
        printf("removed bridge osbox0 and the nftables table osbox\n");
    else
        printf("nothing to remove (no bridge, or containers still use it)\n");
    return 0;
}

static int network_main(int argc, char **argv)
{
    if (argc < 2 || cli_wants_help(argc, argv)) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? OSBOX_EXIT_USAGE : 0;
    }
    if (!strcmp(argv[1], "ls") || !strcmp(argv[1], "list")) {
        if (argc > 2)
            return cli_failf(OSBOX_EXIT_USAGE, "network ls: unexpected argument '%s'", argv[2]);
        return ls_main();
    }
    if (!strcmp(argv[1], "inspect"))
        return inspect_main(argc, argv);
    if (!strcmp(argv[1], "prune")) {
        if (argc > 2)
            return cli_failf(OSBOX_EXIT_USAGE, "network prune: unexpected argument '%s'", argv[2]);
        return prune_main();
    }
    return cli_failf(OSBOX_EXIT_USAGE, "network: unknown subcommand '%s' (see 'osbox network --help')",
                     argv[1]);
}

OSBOX_COMMAND(network_command, .name = "network",
              .summary = "List, inspect and prune container networks", .main = network_main)
