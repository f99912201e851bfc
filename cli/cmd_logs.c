/* osbox logs: a detached container's stdout and stderr, each to its own. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "runtime/lifecycle/lifecycle.h"
#include "util.h"

static int logs_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "follow", no_argument, NULL, 'f' },
        { "tail", required_argument, NULL, 'n' },
        { "timestamps", no_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    struct logs_opts lo = { .tail = -1 };
    long long n;
    struct osbox_err err;
    char id[65];
    int c;

    osbox_err_clear(&err);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+fn:th", opts, NULL)) != -1) {
        switch (c) {
        case 'f': lo.follow = true; break;
        case 't': lo.timestamps = true; break;
        case 'n':
            if (!strcmp(optarg, "all"))
                lo.tail = -1;
            else if (osbox_parse_int(optarg, 0, 1000000000, &n, &err) < 0)
                return cli_failf(OSBOX_EXIT_USAGE, "logs: invalid --tail '%s'", optarg);
            else
                lo.tail = (long)n;
            break;
        case 'h':
            printf("Usage: osbox logs [-f] [-t] [--tail N] CONTAINER\n\n"
                   "Print what a detached container wrote: its stdout to stdout, its stderr\n"
                   "to stderr, in the order it was written (a -t container has one stream,\n"
                   "its terminal, shown as stdout). The log is capped, see run --log-opt.\n"
                   "  -f, --follow       keep printing while the container runs\n"
                   "  -n, --tail N       only the last N lines of both streams (default all)\n"
                   "  -t, --timestamps   prefix each line with the time it was logged\n"
                   "                     (RFC 3339, UTC, nanoseconds; lines logged before\n"
                   "                     osbox kept the streams apart have none)\n");
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
    if (logs_copy(id, &lo, STDOUT_FILENO, STDERR_FILENO, &err) < 0)
        return cli_fail(&err);
    return 0;
}

OSBOX_COMMAND(logs_command, .name = "logs", .summary = "Show a detached container's output",
              .main = logs_main)
