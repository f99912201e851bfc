/* The osbox CLI: thin glue over the libraries. Each command group lives in
 * its own file and registers itself with OSBOX_COMMAND, so adding a command
 * never touches main.c. */
#ifndef OSBOX_CLI_H
#define OSBOX_CLI_H

#include <stdbool.h>

#include "osbox_err.h"

struct osbox_command {
    const char *name;     /* "run", "vm", "images" ... */
    const char *summary;  /* one line for `osbox --help` */
    int (*main)(int argc, char **argv); /* argv[0] is the command name; returns exit code */
    bool hidden;
};

void cli_register(const struct osbox_command *cmd);

#define OSBOX_COMMAND(ident, ...)                                              \
    static const struct osbox_command ident = { __VA_ARGS__ };                 \
    __attribute__((constructor)) static void ident##_register(void)            \
    {                                                                          \
        cli_register(&ident);                                                  \
    }

/* Print "osbox: <msg>" on stderr and return the exit status the error names. */
int cli_fail(const struct osbox_err *err);
/* Print "osbox: <formatted>" and return status. */
int cli_failf(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* True if argv has -h/--help before any "--" (for commands that stop at the first operand). */
bool cli_wants_help(int argc, char **argv);

/* [-f] [-t] [--tail N] NAME of `logs` and `vm logs` (cli/cmd_logs.c): -1 with
 * *target set to go on, else the status to exit with (help, usage error). */
struct logs_opts;
int cli_parse_logs_args(int argc, char **argv, const char *cmd, const char *help,
                        struct logs_opts *lo, const char **target);

extern const char *cli_program_name; /* "osbox" or "osbox-oci" */

/* Run op on each container named in argv[first..] (cli/container_each.c),
 * holding its lock if lock; prints each name done (except for "wait");
 * returns the exit status of the last failure, 0 if none. */
typedef int (*container_op)(const char *id, const void *arg, struct osbox_err *err);
int cli_for_each_container(int argc, char **argv, int first, container_op op, const void *arg, bool lock);

#endif
