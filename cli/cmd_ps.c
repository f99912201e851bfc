/* osbox ps: the containers of this store, a table or JSON. */
#include <dirent.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "runtime/lifecycle.h"
#include "util.h"

static int by_created_desc(const void *a, const void *b)
{
    const char *ca = json_string_value(json_object_get(*(json_t *const *)a, "created"));
    const char *cb = json_string_value(json_object_get(*(json_t *const *)b, "created"));
    return strcmp(cb ? cb : "", ca ? ca : "");
}

/* Every container, newest first. */
static json_t *list_containers(bool all)
{
    _cleanup_free_ char *parent = osbox_strdup_printf("%s/containers", osbox_root_dir());
    json_t *arr = json_array(), **v = NULL;
    size_t n = 0;
    DIR *d = opendir(parent);
    struct dirent *e;

    while (d && (e = readdir(d))) {
        if (strlen(e->d_name) != 64)
            continue;
        json_t *o = container_summary_json(e->d_name);
        if (!o)
            continue;
        const char *st = json_string_value(json_object_get(o, "status"));
        if (!all && strcmp(st, "running") && strcmp(st, "restarting")) {
            json_decref(o);
            continue;
        }
        v = realloc(v, (n + 1) * sizeof *v);
        v[n++] = o;
    }
    if (d)
        closedir(d);
    if (n)
        qsort(v, n, sizeof *v, by_created_desc);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, v[i]);
    free(v);
    return arr;
}

static void print_table(json_t *arr)
{
    size_t i;
    json_t *o;

    printf("%-12s  %-16s  %-24s  %-19s  %-16s  %s\n", "CONTAINER ID", "IMAGE", "COMMAND",
           "CREATED", "STATUS", "NAMES");
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
        if (!strcmp(st, "running"))
            snprintf(status, sizeof status, "Up");
        else
            snprintf(status, sizeof status, "%s (%d)", st,
                     (int)json_integer_value(json_object_get(o, "exit_code")));
        if (cr)
            snprintf(created, sizeof created, "%.19s", cr);
        printf("%-12.12s  %-16.16s  %-24s  %-19s  %-16s  %s\n",
               json_string_value(json_object_get(o, "id")),
               json_string_value(json_object_get(o, "image")) ?: "", cmd, created, status,
               json_string_value(json_object_get(o, "name")));
    }
}

static int ps_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "all", no_argument, NULL, 'a' },
        { "quiet", no_argument, NULL, 'q' },
        { "format", required_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    bool all = false, quiet = false, json = false;
    json_t *arr;
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+aqh", opts, NULL)) != -1) {
        switch (c) {
        case 'a': all = true; break;
        case 'q': quiet = true; break;
        case 'f':
            if (strcmp(optarg, "json") && strcmp(optarg, "table"))
                return cli_failf(OSBOX_EXIT_USAGE, "ps: --format is json or table, not '%s'", optarg);
            json = !strcmp(optarg, "json");
            break;
        case 'h':
            printf("Usage: osbox ps [-a] [-q] [--format table|json]\n\n"
                   "List containers: running ones (and restarting), with -a also stopped ones.\n"
                   "  -a, --all          include stopped containers\n"
                   "  -q, --quiet        print only full ids\n"
                   "      --format json  a JSON array (id, name, image, command, created,\n"
                   "                     status, exit_code, pid)\n");
            return 0;
        default:
            return cli_failf(OSBOX_EXIT_USAGE, "ps: unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_failf(OSBOX_EXIT_USAGE, "ps: unexpected argument '%s'", argv[optind]);
    arr = list_containers(all);
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
    return 0;
}

OSBOX_COMMAND(ps_command, .name = "ps", .summary = "List containers", .main = ps_main)
