/* osbox logs: a detached container's stdout and stderr, each to its own. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "runtime/lifecycle/lifecycle.h"
#include "util.h"

/* [-f] [-t] [--tail N] TARGET, shared by `logs` and `vm logs`: returns -1 with
 * *target set when the caller should go on, else the status to exit with. */
int cli_parse_logs_args(int argc, char **argv, const char *cmd, const char *help,
                        struct logs_opts *lo, const char **target)
{
    static const struct option opts[] = {
        { "follow", no_argument, NULL, 'f' },
        { "tail", required_argument, NULL, 'n' },
        { "timestamps", no_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    struct osbox_err err;
    long long n;
    int c;

    osbox_err_clear(&err);
    *lo = (struct logs_opts){ .tail = -1 };
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+fn:th", opts, NULL)) != -1) {
        switch (c) {
        case 'f': lo->follow = true; break;
        case 't': lo->timestamps = true; break;
        case 'n':
            if (!strcmp(optarg, "all"))
                lo->tail = -1;
            else if (osbox_parse_int(optarg, 0, 1000000000, &n, &err) < 0)
                return cli_failf(OSBOX_EXIT_USAGE, "%s: invalid --tail '%s'", cmd, optarg);
            else
                lo->tail = (long)n;
            break;
        case 'h': fputs(help, stdout); return 0;
        default:
            return cli_failf(OSBOX_EXIT_USAGE, "%s: unknown option or missing value '%s'", cmd,
                             argv[optind - 1]);
        }
    }
    if (optind + 1 != argc)
        return cli_failf(OSBOX_EXIT_USAGE, "%s: give one name (see 'osbox %s --help')", cmd, cmd);
    *target = argv[optind];
    return -1;
}

static int logs_main(int argc, char **argv)
{
    static const char help[] =
        "Usage: osbox logs [-f] [-t] [--tail N] CONTAINER\n\n"
        "Print what a detached container wrote: its stdout to stdout, its stderr\n"
        "to stderr, in the order it was written (a -t container has one stream,\n"
        "its terminal, shown as stdout). The log is capped, see run --log-opt.\n"
        "  -f, --follow       keep printing while the container runs\n"
        "  -n, --tail N       only the last N lines of both streams (default all)\n"
        "  -t, --timestamps   prefix each line with the time it was logged\n"
        "                     (RFC 3339, UTC, nanoseconds; lines logged before\n"
        "                     osbox kept the streams apart have none)\n";
    struct logs_opts lo;
    struct osbox_err err;
    const char *name;
    char id[65];
    int rc;

    if ((rc = cli_parse_logs_args(argc, argv, "logs", help, &lo, &name)) >= 0)
        return rc;
    osbox_err_clear(&err);
    if (container_lookup(name, id, &err) < 0)
        return cli_fail(&err);
    signal(SIGPIPE, SIG_IGN);
    if (logs_copy(id, &lo, STDOUT_FILENO, STDERR_FILENO, &err) < 0)
        return cli_fail(&err);
    return 0;
}

OSBOX_COMMAND(logs_command, .name = "logs", .summary = "Show a detached container's output",
              .main = logs_main)
