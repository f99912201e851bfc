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
#include "cli/run_lifecycle.h"
#include "runtime/lifecycle.h"
#include "util.h"

typedef int (*container_op)(const char *id, const void *arg, struct osbox_err *err);

/* Run op on each container named in argv[first..], locked; status of the last failure. */
static int for_each(int argc, char **argv, int first, container_op op, const void *arg, bool lock)
{
    int status = 0;

    if (first >= argc)
        return cli_failf(OSBOX_EXIT_USAGE, "%s: give at least one container (see 'osbox %s --help')",
                         argv[0], argv[0]);
    for (int i = first; i < argc; i++) {
        struct osbox_err err;
        char id[65];
        int fd = -1;

        osbox_err_clear(&err);
        if (container_lookup(argv[i], id, &err) < 0 || (lock && (fd = container_lock(id, &err)) < 0) ||
            op(id, arg, &err) < 0) {
            status = cli_fail(&err);
        } else if (strcmp(argv[0], "wait")) {
            printf("%s\n", argv[i]);
        }
        if (fd >= 0)
            close(fd);
    }
    fflush(stdout);
    return status;
}

static int parse_timeout(const char *s, int *out)
{
    struct osbox_err err;
    long long n;

    if (osbox_parse_int(s, 0, 3600, &n, &err) < 0)
        return -1;
    *out = (int)n;
    return 0;
}

/* "TERM", "SIGTERM", "sigterm" or "15". */
static int parse_signal(const char *s)
{
    long long n;
    struct osbox_err err;

    if (osbox_parse_int(s, 1, SIGRTMAX, &n, &err) == 0)
        return (int)n;
    if (!strncasecmp(s, "SIG", 3))
        s += 3;
    for (int sig = 1; sig < SIGRTMIN; sig++) {
        const char *abbrev = sigabbrev_np(sig);
        if (abbrev && !strcasecmp(abbrev, s))
            return sig;
    }
    return -1;
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
    struct container_live l;
    struct osbox_record rec;
    struct lifecycle lc;
    struct run_lifecycle rl = { 0 };
    struct osbox_spec spec;
    struct monitor_opts mo = { 0 };
    _cleanup_free_ char *dir = runtime_container_dir(id);
    _cleanup_free_ char *flag = osbox_strdup_printf("%s/stop-requested", dir);
    int rc;

    (void)arg;
    container_live_read(id, &l);
    if (l.running || l.holder_alive)
        return 0; /* already running: nothing to do (as Docker) */
    if (state_read_record(id, &rec, err) < 0)
        return -1;
    if (lifecycle_read(id, &lc, err) < 0) {
        osbox_record_free(&rec);
        return osbox_error(err, 0, "container %.12s cannot be started: it has no saved run arguments", id);
    }
    if (lc.cwd && chdir(lc.cwd) < 0) {
        /* relative paths in the run arguments may not resolve: say so if they fail */
    }
    rc = run_rebuild(lc.run_args, &rec, true, &spec, &rl, err);
    if (rc == 0) {
        unlink(flag);
        mo.restart = lc.restart;
        mo.log_max = lc.log_max;
        mo.notify = rl.sdnotify == SDNOTIFY_CONMON ? 1 : rl.sdnotify == SDNOTIFY_CONTAINER ? 2 : 0;
        rc = monitor_start(&spec, &rec, &mo, err);
    }
    osbox_spec_free(&spec);
    lifecycle_free(&lc);
    osbox_record_free(&rec);
    return rc;
}

static int op_restart(const char *id, const void *arg, struct osbox_err *err)
{
    if (container_stop(id, *(const int *)arg, err) < 0)
        return -1;
    return op_start(id, NULL, err);
}

static int op_rm(const char *id, const void *arg, struct osbox_err *err)
{
    return container_remove(id, *(const bool *)arg, err);
}

static int op_wait(const char *id, const void *arg, struct osbox_err *err)
{
    struct osbox_record rec;

    (void)arg;
    if (container_wait_stopped(id, -1, err) < 0)
        return -1;
    /* A foreground osbox writes the exit code just after its cleanup. */
    for (int i = 0;; i++) {
        if (state_read_record(id, &rec, err) < 0)
            return osbox_error_prefix(err, "container %.12s", id);
        if (i >= 100 || (rec.status && strcmp(rec.status, "running") && strcmp(rec.status, "restarting")))
            break;
        osbox_record_free(&rec);
        usleep(20 * 1000);
    }
    printf("%d\n", rec.exit_code);
    osbox_record_free(&rec);
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
    int c, timeout = 10;

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
                   "%s: SIGTERM to the command, SIGKILL after SECS (default 10)%s.\n", argv[0],
                   restart ? "Stop, then start again" : "Stop running containers",
                   restart ? "; the writable layer is kept" : "; no restart policy applies after");
            return 0;
        default:
            return cli_failf(OSBOX_EXIT_USAGE, "%s: unknown option or missing value '%s'", argv[0],
                             argv[optind - 1]);
        }
    }
    return for_each(argc, argv, optind, restart ? op_restart : op_stop, &timeout, true);
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
            if ((sig = parse_signal(optarg)) < 0)
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
    return for_each(argc, argv, optind, op_kill, &sig, true);
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
    return for_each(argc, argv, 1, op_start, NULL, true);
}

static int rm_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "force", no_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    bool force = false;
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+fh", opts, NULL)) != -1) {
        switch (c) {
        case 'f': force = true; break;
        case 'h':
            printf("Usage: osbox rm [-f] CONTAINER...\n\n"
                   "Remove stopped containers (record, writable layer, log). A running one\n"
                   "is refused unless -f, which kills it first.\n");
            return 0;
        default:
            return cli_failf(OSBOX_EXIT_USAGE, "rm: unknown option '%s'", argv[optind - 1]);
        }
    }
    return for_each(argc, argv, optind, op_rm, &force, true);
}

static int wait_main(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        printf("Usage: osbox wait CONTAINER...\n\n"
               "Block until each container stops, then print its exit code.\n");
        return 0;
    }
    return for_each(argc, argv, 1, op_wait, NULL, false);
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
