/* osbox images: list the store's names. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "images/images.h"

static void human_size(long long n, char *buf, size_t len)
{
    const char *units[] = { "B", "kB", "MB", "GB", "TB" };
    double v = (double)n;
    int u = 0;

    while (v >= 1000 && u < 4) {
        v /= 1000;
        u++;
    }
    snprintf(buf, len, u ? "%.1f%s" : "%.0f%s", v, units[u]);
}

static void print_table(json_t *list, bool quiet)
{
    json_t *row;
    size_t i;

    if (!quiet)
        printf("%-30s %-15s %-14s %-22s %s\n", "NAME", "TAG", "IMAGE ID", "CREATED", "SIZE");
    json_array_foreach(list, i, row) {
        const char *id = json_string_value(json_object_get(row, "id"));
        const char *created = json_string_value(json_object_get(row, "created"));
        char size[32], short_id[13];

        snprintf(short_id, sizeof short_id, "%s", id ? id + 7 : "?");
        if (quiet) {
            puts(short_id);
            continue;
        }
        human_size(json_integer_value(json_object_get(row, "size")), size, sizeof size);
        printf("%-30s %-15s %-14s %-22s %s\n", json_string_value(json_object_get(row, "name")),
               json_string_value(json_object_get(row, "tag")), short_id,
               created ? created : "-", id ? size : "(broken)");
    }
}

static int images_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "format", required_argument, NULL, 'f' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    const char *format = "table";
    bool quiet = false;
    struct osbox_err err;
    json_t *list;
    int c;

    osbox_err_clear(&err);
    optind = 1;
    while ((c = getopt_long(argc, argv, "+qh", opts, NULL)) != -1) {
        switch (c) {
        case 'f': format = optarg; break;
        case 'q': quiet = true; break;
        case 'h':
            printf("Usage: osbox images [--format table|json] [-q]\n\n"
                   "List the images in the store ($OSBOX_ROOT/images).\n"
                   "  --format json   one JSON array: ref, name, tag, digest, id, created, size\n"
                   "  -q, --quiet     only image ids\n");
            return 0;
        default: return OSBOX_EXIT_USAGE;
        }
    }
    if (optind < argc)
        return cli_failf(OSBOX_EXIT_USAGE, "images: unexpected argument '%s'", argv[optind]);
    if (strcmp(format, "table") && strcmp(format, "json"))
        return cli_failf(OSBOX_EXIT_USAGE, "images: unknown format '%s' (table or json)", format);
    if (images_list_json(&list, &err) < 0)
        return cli_fail(&err);
    if (!strcmp(format, "json")) {
        char *s = json_dumps(list, JSON_INDENT(2));
        puts(s ? s : "[]");
        free(s);
        json_decref(list);
        return 0;
    }
    print_table(list, quiet);
    json_decref(list);
    return 0;
}

OSBOX_COMMAND(images_command, .name = "images", .summary = "List images in the store",
              .main = images_main)
