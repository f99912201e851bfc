/* osbox rmi and osbox tag: removing and adding image names. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "images/images.h"
#include "runtime/core/runtime.h"
#include "util.h"

static int rmi_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "force", no_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    bool force = false;
    struct osbox_err err;
    int c, status = 0;

    optind = 1;
    while ((c = getopt_long(argc, argv, "+fh", opts, NULL)) != -1) {
        switch (c) {
        case 'f': force = true; break;
        case 'h':
            printf("Usage: osbox rmi [-f] NAME[:TAG]|ID...\n\n"
                   "Remove image names. An image's layers and blobs are deleted once no name\n"
                   "and no container uses them. Refused while a container uses the image;\n"
                   "-f removes the names anyway (the container keeps its layers).\n");
            return 0;
        default: return OSBOX_EXIT_USAGE;
        }
    }
    if (optind >= argc)
        return cli_failf(OSBOX_EXIT_USAGE, "rmi: give at least one image");
    for (; optind < argc; optind++) {
        char **untagged = NULL, *deleted = NULL;

        osbox_err_clear(&err);
        if (images_remove(argv[optind], force, runtime_images_in_use, &untagged, &deleted, &err) < 0) {
            status = cli_fail(&err);
            continue;
        }
        for (size_t i = 0; untagged && untagged[i]; i++)
            printf("Untagged: %s\n", untagged[i]);
        if (deleted)
            printf("Deleted: %s\n", deleted);
        osbox_strv_free(untagged);
        free(deleted);
    }
    return status;
}

static int tag_main(int argc, char **argv)
{
    struct osbox_err err;

    if (cli_wants_help(argc, argv)) {
        printf("Usage: osbox tag SOURCE TARGET[:TAG]\n\n"
               "Give the image SOURCE (name, id or digest) the additional name TARGET.\n");
        return 0;
    }
    if (argc != 3)
        return cli_failf(OSBOX_EXIT_USAGE, "tag: need SOURCE and TARGET");
    osbox_err_clear(&err);
    if (images_tag(argv[1], argv[2], &err) < 0)
        return cli_fail(&err);
    return 0;
}

OSBOX_COMMAND(rmi_command, .name = "rmi", .summary = "Remove images", .main = rmi_main)
OSBOX_COMMAND(tag_command, .name = "tag", .summary = "Give an image another name",
              .main = tag_main)
