/* osbox import: a rootfs tarball becomes a one-layer image. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "images/images.h"
#include "progress.h"

static int import_main(int argc, char **argv)
{
    struct osbox_err err;
    char *digest = NULL;

    if (cli_wants_help(argc, argv)) {
        printf("Usage: osbox import ROOTFS.tar NAME[:TAG]\n\n"
               "Store a root filesystem tarball (plain, gzip or zstd) as a one-layer image.\n"
               "Entries are unpacked safely: nothing can land outside the layer.\n");
        return 0;
    }
    if (argc != 3)
        return cli_failf(OSBOX_EXIT_USAGE, "import: need ROOTFS.tar and NAME[:TAG]");
    osbox_err_clear(&err);
    cli_progress_install(0);
    int rc = images_import_rootfs(argv[1], argv[2], &digest, &err);
    cli_progress_done();
    if (rc < 0)
        return cli_fail(&err);
    printf("%s\n", digest);
    free(digest);
    return 0;
}

OSBOX_COMMAND(import_command, .name = "import", .summary = "Import a rootfs tarball as an image",
              .main = import_main)
