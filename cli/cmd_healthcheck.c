/* osbox healthcheck run NAME: the container's health check once, now, as
 * podman's (exit 0 healthy, 1 unhealthy, 125 an error). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "runtime/core/runtime.h"
#include "runtime/lifecycle/health.h"
#include "util.h"

static const char usage[] =
    "Usage: osbox healthcheck run CONTAINER\n\n"
    "Run the container's health check (run --health-cmd, or the image's HEALTHCHECK)\n"
    "once, now, inside it, and record the result in its health state (inspect).\n"
    "Exit status: 0 the check passed, 1 it failed (\"unhealthy\" is printed), 125 no\n"
    "such container, no health check, or not running.\n";

static int healthcheck_main(int argc, char **argv)
{
    struct osbox_err err;
    char id[65];
    bool healthy = false;

    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    if (argc < 2 || strcmp(argv[1], "run"))
        return cli_failf(OSBOX_EXIT_USAGE, "healthcheck: expected 'run CONTAINER' (see --help)");
    if (argc != 3)
        return cli_failf(OSBOX_EXIT_USAGE, "healthcheck run: give exactly one container");
    osbox_err_clear(&err);
    if (container_lookup(argv[2], id, &err) < 0 || container_healthcheck_run(id, &healthy, &err) < 0) {
        err.exit_status = OSBOX_EXIT_FAILED;
        return cli_fail(&err);
    }
    if (healthy)
        return 0;
    puts("unhealthy");
    return 1;
}

OSBOX_COMMAND(healthcheck_command, .name = "healthcheck",
              .summary = "Run a container's health check now", .main = healthcheck_main)
