/* Container lifecycle commands: stop, kill, start, restart, rm, wait. Each
 * takes names, ids or unique id prefixes, and changes a container only while
 * holding the lock on its directory. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "runtime/lifecycle/lifecycle.h"
#include "runtime/volume/volume.h"
#include "util.h"

static int parse_timeout(const char *s, int *out)
{
    struct osbox_err err;
    long long n;

    if (osbox_parse_int(s, 0, 3600, &n, &err) < 0)
        return -1;
    *out = (int)n;
    return 0;
}

static int op_stop(const char *id, const void *arg, struct osbox_err *err)
{
    return container_stop(id, *(const int *)arg, err);
}

static int op_kill(const char *id, const void *arg, struct osbox_err *err)
{
    return container_kill(id, *(const int *)arg, err);
}

static int op_start(const char *id, const void *arg, struct osbox_err *err)
{
    (void)arg;
    return container_start(id, err);
}

static int op_restart(const char *id, const void *arg, struct osbox_err *err)
{
    return container_restart(id, *(const int *)arg, err);
}

struct rm_args {
    bool force, volumes;
};

static int op_rm(const char *id, const void *arg, struct osbox_err *err)
{
    const struct rm_args *a = arg;

    if (container_remove(id, a->force, err) < 0)
        return -1;
    /* -v: the container's anonymous volumes go too (named ones stay). */
    if (a->volumes)
        volume_release(id, true);
    return 0;
}

static int op_wait(const char *id, const void *arg, struct osbox_err *err)
{
    int code;

    (void)arg;
    if (container_wait_exit(id, &code, err) < 0)
        return -1;
    printf("%d\n", code);
    return 0;
}

static int stop_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "time", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    bool restart = !strcmp(argv[0], "restart");
    int c, timeout = -1; /* the container's own (--stop-timeout, else 10) */

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+t:h", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            if (parse_timeout(optarg, &timeout) < 0)
                return cli_failf(OSBOX_EXIT_USAGE, "%s: invalid -t '%s': seconds 0..3600", argv[0], optarg);
            break;
        case 'h':
            printf("Usage: osbox %s [-t SECS] CONTAINER...\n\n"
                   "%s: the stop signal (run --stop-signal, default TERM) to the command, SIGKILL\n"
                   "after SECS (default: run --stop-timeout, else 10)%s.\n", argv[0],
                   restart ? "Stop, then start again" : "Stop running containers",
                   restart ? "; the writable layer is kept" : "; no restart policy applies after");
            return 0;
        default:
            return cli_failf(OSBOX_EXIT_USAGE, "%s: unknown option or missing value '%s'", argv[0],
                             argv[optind - 1]);
        }
    }
    return cli_for_each_container(argc, argv, optind, restart ? op_restart : op_stop, &timeout, true);
}

static int kill_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "signal", required_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    int c, sig = SIGKILL;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+s:h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if ((sig = osbox_parse_signal(optarg)) < 0)
                return cli_failf(OSBOX_EXIT_USAGE, "kill: unknown signal '%s'", optarg);
            break;
        case 'h':
            printf("Usage: osbox kill [-s SIGNAL] CONTAINER...\n\n"
                   "Send SIGNAL (name or number, default KILL) to the container's command.\n"
                   "A KILL also stops the container for good (no restart policy applies).\n");
            return 0;
        default:
            return cli_failf(OSBOX_EXIT_USAGE, "kill: unknown option or missing value '%s'",
                             argv[optind - 1]);
        }
    }
    return cli_for_each_container(argc, argv, optind, op_kill, &sig, true);
}

static int start_main(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        printf("Usage: osbox start CONTAINER...\n\n"
               "Start stopped containers again, detached, with their writable layer and the\n"
               "options they were run with (restart policy included).\n");
        return 0;
    }
    if (argc > 1 && argv[1][0] == '-')
        return cli_failf(OSBOX_EXIT_USAGE, "start: unknown option '%s'", argv[1]);
    return cli_for_each_container(argc, argv, 1, op_start, NULL, true);
}

static int rm_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "force", no_argument, NULL, 'f' },
        { "volumes", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    struct rm_args a = { 0 };
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+fvh", opts, NULL)) != -1) {
        switch (c) {
        case 'f': a.force = true; break;
        case 'v': a.volumes = true; break;
        case 'h':
            printf("Usage: osbox rm [-f] [-v] CONTAINER...\n\n"
                   "Remove stopped containers (record, writable layer, log). A running one\n"
                   "is refused unless -f, which kills it first. -v also removes the\n"
                   "container's anonymous volumes (-v /path); named volumes stay.\n");
            return 0;
        default:
            return cli_failf(OSBOX_EXIT_USAGE, "rm: unknown option '%s'", argv[optind - 1]);
        }
    }
    return cli_for_each_container(argc, argv, optind, op_rm, &a, true);
}

static int wait_main(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        printf("Usage: osbox wait CONTAINER...\n\n"
               "Block until each container stops, then print its exit code.\n");
        return 0;
    }
    return cli_for_each_container(argc, argv, 1, op_wait, NULL, false);
}

OSBOX_COMMAND(stop_command, .name = "stop", .summary = "Stop running containers (TERM, then KILL)",
              .main = stop_main)
OSBOX_COMMAND(restart_command, .name = "restart", .summary = "Stop and start containers",
              .main = stop_main)
OSBOX_COMMAND(kill_command, .name = "kill", .summary = "Send a signal to containers",
              .main = kill_main)
OSBOX_COMMAND(start_command, .name = "start", .summary = "Start stopped containers",
              .main = start_main)
OSBOX_COMMAND(rm_command, .name = "rm", .summary = "Remove containers", .main = rm_main)
OSBOX_COMMAND(wait_command, .name = "wait", .summary = "Wait for containers to stop; print exit codes",
              .main = wait_main)
