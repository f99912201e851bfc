/* osbox run's lifecycle flags: -d/--detach, --restart, --sdnotify, --log-opt;
 * and the way `start`/`exec` rebuild a container's spec from the `osbox run`
 * arguments saved with it (lifecycle.json). */
#ifndef OSBOX_CLI_RUN_LIFECYCLE_H
#define OSBOX_CLI_RUN_LIFECYCLE_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include "runtime/lifecycle.h"
#include "runtime/runtime.h"

enum sdnotify_mode { SDNOTIFY_CONMON, SDNOTIFY_CONTAINER, SDNOTIFY_IGNORE };

struct run_lifecycle {
    bool detach;
    enum sdnotify_mode sdnotify;
    struct restart_spec restart;
    uint64_t log_max;
    char **argv; /* the `osbox run` command line ("run" first), saved for start/exec */
};

enum { OPT_LC_DETACH = 0x500, OPT_LC_RESTART, OPT_LC_SDNOTIFY, OPT_LC_LOG_OPT };

#define RUN_LIFECYCLE_LONG_OPTS                                            \
    { "detach", no_argument, NULL, 'd' },                                  \
    { "restart", required_argument, NULL, OPT_LC_RESTART },                \
    { "sdnotify", required_argument, NULL, OPT_LC_SDNOTIFY },              \
    { "log-opt", required_argument, NULL, OPT_LC_LOG_OPT },

#define RUN_LIFECYCLE_USAGE                                                                  \
    "  -d, --detach              run in the background; print the container id once the\n"  \
    "                            command runs (a monitor process keeps it; see osbox ps)\n"  \
    "      --restart POLICY      no (default), on-failure[:N], always\n"                    \
    "      --log-opt max-size=SIZE  cap of a detached container's log (default 1m;\n"       \
    "                            one rotated file is kept besides it)\n"                    \
    "      --sdnotify MODE       under a systemd Type=notify unit: conmon (default: osbox\n" \
    "                            sends READY=1 once the command runs), container (the\n"    \
    "                            socket is passed in, the command says READY), ignore\n"

/* One of the options above ('d' or OPT_LC_*). */
int run_lifecycle_opt(struct run_lifecycle *l, int opt, const char *arg, struct osbox_err *err);
/* After the record exists: --sdnotify=container's mount, lifecycle.json. */
int run_lifecycle_prepare(struct run_lifecycle *l, struct osbox_spec *spec,
                          const struct osbox_record *rec, struct osbox_err *err);
/* -d: hand the container to its monitor; prints the id once the command runs. */
int run_lifecycle_detach(const struct run_lifecycle *l, const struct osbox_spec *spec,
                         const struct osbox_record *rec, struct osbox_err *err);
/* Foreground: the command runs (READY=1, MAINPID=osbox to systemd). */
void run_lifecycle_started(const struct run_lifecycle *l);

/* cmd_run.c: the spec of an existing container from its saved run arguments.
 * with_etc: (re)write /etc/hostname, hosts, resolv.conf (start; not exec).
 * spec is initialised on every return. */
int run_rebuild(char **argv, const struct osbox_record *rec, bool with_etc,
                struct osbox_spec *spec, struct run_lifecycle *l, struct osbox_err *err);

#endif
