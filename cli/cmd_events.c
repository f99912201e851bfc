/* osbox events: what happened to containers, from the event log. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "runtime/ops/ops.h"

static int events_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "since", required_argument, NULL, 's' },
        { "until", required_argument, NULL, 'u' },
        { "format", required_argument, NULL, 'f' },
        { "filter", required_argument, NULL, 'F' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    struct events_opts o = { .follow = true };
    struct osbox_err err;
    int c;

    osbox_err_clear(&err);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
        case 'u':
            if (events_parse_time(optarg, c == 's' ? &o.since_ns : &o.until_ns, &err) < 0) {
                err.exit_status = OSBOX_EXIT_USAGE;
                return cli_fail(&err);
            }
            break;
        case 'f':
            if (strcmp(optarg, "json") && strcmp(optarg, "text"))
                return cli_failf(OSBOX_EXIT_USAGE, "events: --format is json or text, not '%s'", optarg);
            o.json = !strcmp(optarg, "json");
            break;
        case 'F':
            if (!strncmp(optarg, "container=", 10) && optarg[10])
                o.container = optarg + 10;
            else if (!strncmp(optarg, "event=", 6) && optarg[6])
                o.action = optarg + 6;
            else
                return cli_failf(OSBOX_EXIT_USAGE, "events: --filter is container=NAME|ID or event=ACTION, not '%s'",
                                 optarg);
            break;
        case 'h':
            printf("Usage: osbox events [--since TIME] [--until TIME] [--format text|json]\n"
                   "                    [--filter container=NAME|ID] [--filter event=ACTION]\n\n"
                   "Container events (start, die, oom, restart, kill, pause, unpause, update,\n"
                   "rename, destroy, health_status: STATUS) from the log the monitors and\n"
                   "commands append to (event=health_status matches every STATUS). Without\n"
                   "--since: only new ones; without --until: follows until interrupted.\n"
                   "TIME: unix seconds, RFC 3339 (2026-12-07T12:00:00Z) or a duration before\n"
                   "now (10s, 5m, 2h). An OOM kill is reported when the container exits.\n");
            return 0;
        default:
            return cli_failf(OSBOX_EXIT_USAGE, "events: unknown option or missing value '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_failf(OSBOX_EXIT_USAGE, "events: unexpected argument '%s'", argv[optind]);
    if (o.until_ns && o.since_ns && o.until_ns < o.since_ns)
        return cli_failf(OSBOX_EXIT_USAGE, "events: --until is before --since");
    if (events_read(&o, stdout, &err) < 0)
        return cli_fail(&err);
    return 0;
}

OSBOX_COMMAND(events_command, .name = "events", .summary = "Container events (start, die, oom, ...)",
              .main = events_main)
