/* osbox entry point: find the command and hand it argv. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/userns/userns.h"
#include "cli.h"

#define MAX_COMMANDS 64

static const struct osbox_command *commands[MAX_COMMANDS];
static int n_commands;
const char *cli_program_name = "osbox";

void cli_register(const struct osbox_command *cmd)
{
    if (n_commands < MAX_COMMANDS)
        commands[n_commands++] = cmd;
}

int cli_fail(const struct osbox_err *err)
{
    fprintf(stderr, "%s: %s\n", cli_program_name, err->msg[0] ? err->msg : "unknown error");
    return osbox_err_exit_status(err);
}

int cli_failf(int status, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", cli_program_name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return status;
}

bool cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            return false;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return true;
    }
    return false;
}

static int by_name(const void *a, const void *b)
{
    return strcmp((*(const struct osbox_command *const *)a)->name,
                  (*(const struct osbox_command *const *)b)->name);
}

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: osbox COMMAND [OPTIONS] [ARGS...]\n"
            "\n"
            "Run the same program in a container or in a KVM microVM, and measure what\n"
            "each kind of isolation costs.\n"
            "\n"
            "Commands:\n");
    qsort(commands, (size_t)n_commands, sizeof commands[0], by_name);
    for (int i = 0; i < n_commands; i++)
        if (!commands[i]->hidden)
            fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(out,
            "\n"
            "Run 'osbox COMMAND --help' for a command's options.\n"
            "Environment: OSBOX_ROOT (default /var/lib/osbox), OSBOX_RUN (default /run/osbox).\n"
            "Exit status of 'run': the command's own; 125 osbox failed; 126 not executable;\n"
            "127 not found; 128+N killed by signal N. Usage errors exit 2.\n");
}

static const struct osbox_command *find_command(const char *name)
{
    for (int i = 0; i < n_commands; i++)
        if (!strcmp(commands[i]->name, name))
            return commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    const char *base = argv[0] ? strrchr(argv[0], '/') : NULL;
    const struct osbox_command *cmd;

    base = base ? base + 1 : argv[0];
    /* Invoked as osbox-oci: behave as the OCI runtime CLI (`osbox oci ...`). */
    if (base && !strcmp(base, "osbox-oci") && (cmd = find_command("oci"))) {
        cli_program_name = "osbox-oci";
        return cmd->main(argc, argv);
    }
    if (argc < 2) {
        usage(stderr);
        return OSBOX_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-v"))
        argv[1] = "version";
    cmd = find_command(argv[1]);
    if (!cmd)
        return cli_failf(OSBOX_EXIT_USAGE, "unknown command '%s' (see 'osbox --help')", argv[1]);
    rootless_for_command(cmd->name); /* a non-root user: its own store, as its userns root */
    return cmd->main(argc - 1, argv + 1);
}
