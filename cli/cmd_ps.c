/* osbox ps: the containers of this store, a table or JSON. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "runtime/lifecycle/lifecycle.h"
#include "util.h"

static void print_table(json_t *arr)
{
    size_t i;
    json_t *o;

    printf("%-12s  %-16s  %-24s  %-19s  %-21s  %-20s  %s\n", "CONTAINER ID", "IMAGE", "COMMAND",
           "CREATED", "STATUS", "PORTS", "NAMES");
    json_array_foreach(arr, i, o) {
        char cmd[25] = "", status[32], created[20] = "";
        size_t k;
        json_t *a;
        const char *st = json_string_value(json_object_get(o, "status"));
        const char *cr = json_string_value(json_object_get(o, "created"));
        json_array_foreach(json_object_get(o, "command"), k, a) {
            size_t len = strlen(cmd);
            snprintf(cmd + len, sizeof cmd - len, "%s%s", k ? " " : "", json_string_value(a));
        }
        const char *health = json_string_value(json_object_get(o, "health"));
        if (!strcmp(st, "running") && health)
            /* As Docker: "(health: starting)", "(healthy)", "(unhealthy)". */
            snprintf(status, sizeof status, "Up (%s%s)", strcmp(health, "starting") ? "" : "health: ",
                     health);
        else if (!strcmp(st, "running"))
            snprintf(status, sizeof status, "Up");
        else if (!strcmp(st, "paused"))
            snprintf(status, sizeof status, "Up (Paused)");
        else
            snprintf(status, sizeof status, "%s (%d)", st,
                     (int)json_integer_value(json_object_get(o, "exit_code")));
        if (cr)
            snprintf(created, sizeof created, "%.19s", cr);
        printf("%-12.12s  %-16.16s  %-24s  %-19s  %-21s  %-20s  %s\n",
               json_string_value(json_object_get(o, "id")),
               json_string_value(json_object_get(o, "image")) ?: "", cmd, created, status,
               json_string_value(json_object_get(o, "ports")) ?: "",
               json_string_value(json_object_get(o, "name")));
    }
}

static const char ps_usage[] =
    "Usage: osbox ps [-a] [-q] [--filter K=V]... [--format table|json]\n\n"
    "List containers: running ones (and paused, restarting), with -a also stopped ones.\n"
    "  -a, --all          include stopped containers\n"
    "  -q, --quiet        print only full ids\n"
    "  -f, --filter K=V   label=KEY[=VALUE], status=running|exited|..., name=PART,\n"
    "                     id=PREFIX, health=starting|healthy|unhealthy|none\n"
    "                     (several of a key: any; of different keys: all)\n"
    "      --format json  a JSON array (id, name, image, command, created,\n"
    "                     status, exit_code, pid; health with a health check)\n";

static int ps_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "all", no_argument, NULL, 'a' },
        { "quiet", no_argument, NULL, 'q' },
        { "format", required_argument, NULL, 'J' },
        { "filter", required_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    bool all = false, quiet = false, json = false;
    char **filters = NULL; /* freed at exit: a CLI process */
    json_t *arr;
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+aqf:h", opts, NULL)) != -1) {
        switch (c) {
        case 'a': all = true; break;
        case 'q': quiet = true; break;
        case 'f':
            if (!container_filter_valid(optarg))
                return cli_failf(OSBOX_EXIT_USAGE, "ps: --filter '%s': expected label=K[=V], "
                                 "status=S, name=NAME, id=ID or health=H", optarg);
            osbox_strv_push(&filters, optarg);
            break;
        case 'J':
            if (strcmp(optarg, "json") && strcmp(optarg, "table"))
                return cli_failf(OSBOX_EXIT_USAGE, "ps: --format is json or table, not '%s'", optarg);
            json = !strcmp(optarg, "json");
            break;
        case 'h':
            fputs(ps_usage, stdout);
            return 0;
        default:
            return cli_failf(OSBOX_EXIT_USAGE, "ps: unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_failf(OSBOX_EXIT_USAGE, "ps: unexpected argument '%s'", argv[optind]);
    arr = container_list_filtered_json(all, filters);
    if (json) {
        char *s = json_dumps(arr, JSON_INDENT(2));
        puts(s);
        free(s);
    } else if (quiet) {
        size_t i;
        json_t *o;
        json_array_foreach(arr, i, o)
            puts(json_string_value(json_object_get(o, "id")));
    } else {
        print_table(arr);
    }
    json_decref(arr);
    osbox_strv_free(filters);
    return 0;
}

OSBOX_COMMAND(ps_command, .name = "ps", .summary = "List containers", .main = ps_main)
