/* osbox logs: a detached container's stdout+stderr. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "runtime/lifecycle.h"
#include "util.h"

static int logs_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "follow", no_argument, NULL, 'f' },
        { "tail", required_argument, NULL, 'n' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    bool follow = false;
    long tail = -1;
    long long n;
    struct osbox_err err;
    char id[65];
    int c;

    osbox_err_clear(&err);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+fn:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f': follow = true; break;
        case 'n':
            if (!strcmp(optarg, "all"))
                tail = -1;
            else if (osbox_parse_int(optarg, 0, 1000000000, &n, &err) < 0)
                return cli_failf(OSBOX_EXIT_USAGE, "logs: invalid --tail '%s'", optarg);
            else
                tail = (long)n;
            break;
        case 'h':
            printf("Usage: osbox logs [-f] [--tail N] CONTAINER\n\n"
                   "Print what a detached container wrote to stdout and stderr (one stream;\n"
                   "the log is capped, see run --log-opt).\n"
                   "  -f, --follow   keep printing while the container runs\n"
                   "  -n, --tail N   only the last N lines (default all)\n");
            return 0;
        default:
            return cli_failf(OSBOX_EXIT_USAGE, "logs: unknown option or missing value '%s'",
                             argv[optind - 1]);
        }
    }
    if (optind + 1 != argc)
        return cli_failf(OSBOX_EXIT_USAGE, "logs: give one container (see 'osbox logs --help')");
    if (container_lookup(argv[optind], id, &err) < 0)
        return cli_fail(&err);
    signal(SIGPIPE, SIG_IGN);
    if (logs_copy(id, tail, follow, STDOUT_FILENO, &err) < 0)
        return cli_fail(&err);
    return 0;
}

OSBOX_COMMAND(logs_command, .name = "logs", .summary = "Show a detached container's output",
              .main = logs_main)
