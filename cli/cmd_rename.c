/* osbox rename OLD NEW. */
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "runtime/lifecycle/lifecycle.h"
#include "runtime/ops/ops.h"

static int rename_main(int argc, char **argv)
{
    struct osbox_err err;
    char id[65];
    int fd = -1, status = 0;

    if (cli_wants_help(argc, argv)) {
        printf("Usage: osbox rename CONTAINER NEW_NAME\n\n"
               "Give a container (running or not) a new unique name; the old one is free after.\n");
        return 0;
    }
    if (argc != 3 || argv[1][0] == '-')
        return cli_failf(OSBOX_EXIT_USAGE, "rename: give a container and its new name (see 'osbox rename --help')");
    osbox_err_clear(&err);
    if (container_lookup(argv[1], id, &err) < 0 || (fd = container_lock(id, &err)) < 0 ||
        container_rename(id, argv[2], &err) < 0)
        status = cli_fail(&err);
    if (fd >= 0)
        close(fd);
    return status;
}

OSBOX_COMMAND(rename_command, .name = "rename", .summary = "Rename a container", .main = rename_main)
