/* osbox pause / unpause: freeze and thaw every process of running containers. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "runtime/lifecycle/lifecycle.h"
#include "runtime/ops/ops.h"

static int op_pause(const char *id, const void *arg, struct osbox_err *err)
{
    (void)arg;
    return container_pause(id, err);
}

static int op_unpause(const char *id, const void *arg, struct osbox_err *err)
{
    (void)arg;
    return container_unpause(id, err);
}

static int pause_main(int argc, char **argv)
{
    bool pause = !strcmp(argv[0], "pause");

    if (cli_wants_help(argc, argv)) {
        printf("Usage: osbox %s CONTAINER...\n\n"
               "%s every process of each container (the cgroup freezer: v1 freezer.state,\n"
               "v2 cgroup.freeze). %s\n",
               argv[0], pause ? "Freeze" : "Thaw",
               pause ? "A paused container keeps its memory; ps shows it \"Up (Paused)\";\n"
                       "stop, kill and rm -f thaw it so that their signal takes effect."
                     : "");
        return 0;
    }
    if (argc > 1 && argv[1][0] == '-' && strcmp(argv[1], "--"))
        return cli_failf(OSBOX_EXIT_USAGE, "%s: unknown option '%s'", argv[0], argv[1]);
    int first = argc > 1 && !strcmp(argv[1], "--") ? 2 : 1;
    return cli_for_each_container(argc, argv, first, pause ? op_pause : op_unpause, NULL, true);
}

OSBOX_COMMAND(pause_command, .name = "pause", .summary = "Freeze all processes of containers",
              .main = pause_main)
OSBOX_COMMAND(unpause_command, .name = "unpause", .summary = "Thaw paused containers",
              .main = pause_main)
