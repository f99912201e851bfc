/* osbox-oci pause, resume, update --resources FILE|-. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli/oci.h"
#include "runtime/oci/oci.h"

int oci_pause_main(int argc, char **argv)
{
    struct osbox_err err;
    bool freeze = !strcmp(argv[0], "pause");

    if (cli_wants_help(argc, argv)) {
        printf("Usage: %s %s ID\n\n%s every process of the container (the cgroup freezer).\n",
               cli_program_name, argv[0], freeze ? "Freeze" : "Thaw");
        return 0;
    }
    if (argc != 2)
        return cli_failf(OSBOX_EXIT_USAGE, "%s: exactly one container ID is required", argv[0]);
    osbox_err_clear(&err);
    if (oci_pause(oci_g.root, argv[1], freeze, &err) < 0)
        return oci_fail(&err);
    return 0;
}

int oci_update_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "resources", required_argument, NULL, 'r' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    const char *file = NULL;
    struct osbox_resources res;
    struct osbox_err err;
    json_error_t je;
    json_t *doc;
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+r:h", opts, NULL)) != -1) {
        switch (c) {
        case 'r': file = optarg; break;
        case 'h':
            printf("Usage: %s update --resources FILE|- ID\n\n"
                   "New limits for a running container from a linux.resources JSON object\n"
                   "(memory.limit, memory.swap, cpu.shares, cpu.quota, cpu.period, pids.limit).\n",
                   cli_program_name);
            return 0;
        default:
            return cli_failf(OSBOX_EXIT_USAGE, "update: unknown option or missing value '%s'", argv[optind - 1]);
        }
    }
    if (!file || optind != argc - 1)
        return cli_failf(OSBOX_EXIT_USAGE, "update: give --resources FILE|- and one container ID");
    doc = !strcmp(file, "-") ? json_loadf(stdin, 0, &je) : json_load_file(file, 0, &je);
    if (!doc)
        return cli_failf(OSBOX_EXIT_FAILED, "update: %s: %s", file, je.text);
    osbox_err_clear(&err);
    int rc = oci_resources_from_json(doc, &res, &err);
    json_decref(doc);
    if (rc < 0 || oci_update(oci_g.root, argv[optind], &res, &err) < 0)
        return oci_fail(&err);
    return 0;
}
