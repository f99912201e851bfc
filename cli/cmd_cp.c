/* osbox cp: files between the host and a running container. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "runtime/lifecycle/lifecycle.h"
#include "runtime/ops/ops.h"

/* "NAME:PATH" names a container's path; a host path with a colon starts with / or ./ */
static char *container_part(char *arg)
{
    char *colon = strchr(arg, ':');

    if (!colon || colon == arg || memchr(arg, '/', (size_t)(colon - arg)))
        return NULL;
    *colon = '\0';
    return colon + 1;
}

static int cp_main(int argc, char **argv)
{
    struct osbox_err err;
    char id[65];

    if (cli_wants_help(argc, argv)) {
        printf("Usage: osbox cp CONTAINER:SRC DST|-\n"
               "       osbox cp SRC|- CONTAINER:DST\n\n"
               "Copy files or directories between a running container and the host. Paths in\n"
               "the container resolve inside it (its symlinks cannot lead to host files); a\n"
               "DST that is a directory receives SRC under its name, otherwise the copy is\n"
               "named DST. \"-\" is a tar stream on stdout (from) or stdin (into).\n");
        return 0;
    }
    if (argc != 3 || (argv[1][0] == '-' && argv[1][1]))
        return cli_failf(OSBOX_EXIT_USAGE, "cp: give SRC and DST, one of them CONTAINER:PATH (see 'osbox cp --help')");
    char *src = container_part(argv[1]), *dst = container_part(argv[2]);
    if (!!src == !!dst)
        return cli_failf(OSBOX_EXIT_USAGE, "cp: exactly one of SRC and DST must be CONTAINER:PATH");
    osbox_err_clear(&err);
    if (container_lookup(src ? argv[1] : argv[2], id, &err) < 0 ||
        container_copy(id, src != NULL, src ? src : dst, src ? argv[2] : argv[1], &err) < 0)
        return cli_fail(&err);
    return 0;
}

OSBOX_COMMAND(cp_command, .name = "cp", .summary = "Copy files between a container and the host",
              .main = cp_main)
