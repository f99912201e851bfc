/* osbox inspect: JSON about store objects. Each kind of object is an
 * inspector; images now, containers slot into the table below. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "images/images.h"
#include "runtime/lifecycle/lifecycle.h"

struct inspector {
    const char *type;
    int (*inspect)(const char *ref, json_t **out, struct osbox_err *err);
};

static const struct inspector inspectors[] = {
    { "image", images_inspect_json },
    { "container", container_inspect_json },
};

static int inspect_one(const char *ref, const char *type, json_t **out, struct osbox_err *err)
{
    bool tried = false;

    for (size_t i = 0; i < sizeof inspectors / sizeof inspectors[0]; i++) {
        if (type && strcmp(type, inspectors[i].type))
            continue;
        tried = true;
        osbox_err_clear(err);
        if (inspectors[i].inspect(ref, out, err) == 0)
            return 0;
        if (err->errnum != ENOENT) /* found but broken: report that */
            return -1;
    }
    if (!tried)
        return osbox_error(err, 0, "unknown object type '%s'", type);
    return osbox_error(err, 0, "no such object: '%s'", ref);
}

static int inspect_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "type", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    const char *type = NULL;
    struct osbox_err err;
    json_t *all = json_array(), *one;
    int c, status = 0;

    optind = 1;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 't': type = optarg; break;
        case 'h':
            printf("Usage: osbox inspect [--type image|container] NAME|ID...\n\n"
                   "Print a JSON array describing each object: for an image its id, digest,\n"
                   "names, layers (digest, diff_id, media type, size, directory), config and size;\n"
                   "for a container its record (id, name, image, command, status, exit code),\n"
                   "restart policy and count, run arguments, log path and live state.\n");
            json_decref(all);
            return 0;
        default: json_decref(all); return OSBOX_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        json_decref(all);
        return cli_failf(OSBOX_EXIT_USAGE, "inspect: give at least one name or id");
    }
    for (; optind < argc; optind++) {
        if (inspect_one(argv[optind], type, &one, &err) < 0) {
            status = cli_fail(&err);
            continue;
        }
        json_array_append_new(all, one);
    }
    if (json_array_size(all) || !status) {
        char *s = json_dumps(all, JSON_INDENT(2));
        puts(s);
        free(s);
    }
    json_decref(all);
    return status;
}

OSBOX_COMMAND(inspect_command, .name = "inspect", .summary = "Show details of images and containers as JSON",
              .main = inspect_main)
