/* osbox top: the processes of a running container, through the host's ps. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "runtime/lifecycle/lifecycle.h"
#include "runtime/ops/ops.h"

static int top_main(int argc, char **argv)
{
    struct osbox_err err;
    char id[65];

    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        printf("Usage: osbox top CONTAINER [PS OPTIONS]\n\n"
               "The container's processes as the host's ps shows them (default: ps -ef),\n"
               "each row prefixed by its pid inside the container (CPID); PID is the host's.\n");
        return 0;
    }
    if (argc < 2)
        return cli_failf(OSBOX_EXIT_USAGE, "top: give a container (see 'osbox top --help')");
    if (argv[1][0] == '-')
        return cli_failf(OSBOX_EXIT_USAGE, "top: the container comes first, then ps options ('%s')", argv[1]);
    osbox_err_clear(&err);
    if (container_lookup(argv[1], id, &err) < 0 || container_top(id, argv + 2, stdout, &err) < 0)
        return cli_fail(&err);
    return 0;
}

OSBOX_COMMAND(top_command, .name = "top", .summary = "The processes of a running container",
              .main = top_main)
