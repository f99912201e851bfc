/* osbox save: write images to an OCI archive. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "images/images.h"

static int save_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    const char *out = NULL;
    struct osbox_err err;
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "+o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'h':
            printf("Usage: osbox save -o FILE IMAGE...\n\n"
                   "Write images to FILE as an OCI archive (oci-layout, index.json,\n"
                   "blobs/sha256), which 'osbox load -i' and other OCI tools read.\n");
            return 0;
        default: return OSBOX_EXIT_USAGE;
        }
    }
    if (!out)
        return cli_failf(OSBOX_EXIT_USAGE, "save: -o FILE is required");
    if (optind >= argc)
        return cli_failf(OSBOX_EXIT_USAGE, "save: give at least one image");
    osbox_err_clear(&err);
    if (images_save(argv + optind, out, &err) < 0)
        return cli_fail(&err);
    return 0;
}

OSBOX_COMMAND(save_command, .name = "save", .summary = "Save images to an OCI archive",
              .main = save_main)
