/* osbox history IMAGE: the steps that built an image, newest first. */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "images/images.h"

static int history_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "format", required_argument, NULL, 'f' },
        { "no-trunc", no_argument, NULL, 'n' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    bool json = false, trunc = true;
    struct osbox_err err;
    json_t *arr, *r;
    size_t i;
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (strcmp(optarg, "json") && strcmp(optarg, "table"))
                return cli_failf(OSBOX_EXIT_USAGE, "history: --format is json or table, not '%s'", optarg);
            json = !strcmp(optarg, "json");
            break;
        case 'n': trunc = false; break;
        case 'h':
            printf("Usage: osbox history [--format table|json] [--no-trunc] IMAGE\n\n"
                   "The steps that built IMAGE (its config's history), newest first, with the\n"
                   "size of the layer each one made.\n");
            return 0;
        default:
            return cli_failf(OSBOX_EXIT_USAGE, "history: unknown option or missing value '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_failf(OSBOX_EXIT_USAGE, "history: give one image (see 'osbox history --help')");
    osbox_err_clear(&err);
    if (images_history_json(argv[optind], &arr, &err) < 0)
        return cli_fail(&err);
    if (json) {
        char *s = json_dumps(arr, JSON_INDENT(2));
        printf("%s\n", s ? s : "[]");
        free(s);
    } else {
        printf("%-12s  %-20s  %-45s  %10s  %s\n", "LAYER", "CREATED", "CREATED BY", "SIZE", "COMMENT");
        json_array_foreach(arr, i, r) {
            const char *layer = json_string_value(json_object_get(r, "layer"));
            const char *by = json_string_value(json_object_get(r, "created_by"));
            const char *cr = json_string_value(json_object_get(r, "created"));
            const char *cm = json_string_value(json_object_get(r, "comment"));
            char size[32];
            snprintf(size, sizeof size, "%" PRId64 "B", (int64_t)json_integer_value(json_object_get(r, "size")));
            printf("%-12.12s  %-20.19s  %-45.*s  %10s  %s\n", layer ? layer + 7 : "<missing>", cr ? cr : "",
                   trunc ? 45 : 100000, by ? by : "", size, cm ? cm : "");
        }
    }
    json_decref(arr);
    return 0;
}

OSBOX_COMMAND(history_command, .name = "history", .summary = "The steps that built an image", .main = history_main)
