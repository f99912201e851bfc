/* osbox exec: run a command inside a running container, with the same
 * namespaces, cgroup, capabilities, seccomp filter, no_new_privs and
 * default user/env/workdir as the container's own command. -d starts it and
 * returns: the container's init adopts it (runtime_exec_detached). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "runtime/lifecycle/lifecycle.h"
#include "util.h"

static void usage(void)
{
    printf("Usage: osbox exec [OPTIONS] CONTAINER CMD [ARG...]\n\n"
           "Run CMD in a running container: every namespace and the cgroup of its init,\n"
           "its capabilities, seccomp filter and no_new_privs. Exits with CMD's status\n"
           "(126 not executable, 127 not found, 125 osbox failed).\n\n"
           "  -d, --detach           start CMD and return at once (exit 0, nothing printed);\n"
           "                         CMD runs on as a child of the container's init, its\n"
           "                         output discarded, until it ends or the container stops.\n"
           "                         Not with -t or -i: no daemon would keep its terminal or\n"
           "                         stdin (Docker's would), so they are refused (exit 2)\n"
           "  -t, --tty              allocate a pseudo-terminal\n"
           "  -i, --interactive      keep stdin open\n"
           "  -e, --env K=V          set an environment variable\n"
           "  -u, --user USER[:GROUP] run as this user (default: the container's)\n"
           "  -w, --workdir DIR      working directory (default: the container's)\n");
}

/* Options into o; the index of the container operand, or -1 with *status. */
static int parse(int argc, char **argv, struct container_exec_opts *o, int *status)
{
    static const struct option opts[] = {
        { "detach", no_argument, NULL, 'd' },
        { "tty", no_argument, NULL, 't' },
        { "interactive", no_argument, NULL, 'i' },
        { "env", required_argument, NULL, 'e' },
        { "user", required_argument, NULL, 'u' },
        { "workdir", required_argument, NULL, 'w' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+dtie:u:w:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': o->detach = true; break;
        case 't': o->tty = true; break;
        case 'i': o->interactive = true; break;
        case 'e':
            if (!strchr(optarg, '=') || optarg[0] == '=') {
                *status = cli_failf(OSBOX_EXIT_USAGE, "exec: -e wants K=V, not '%s'", optarg);
                return -1;
            }
            osbox_strv_push(&o->env, optarg);
            break;
        case 'u': o->user = optarg; break;
        case 'w': o->workdir = optarg; break;
        case 'h': usage(); *status = 0; return -1;
        default:
            *status = cli_failf(OSBOX_EXIT_USAGE, "exec: unknown option or missing value '%s'",
                                argv[optind - 1]);
            return -1;
        }
    }
    if (argc - optind < 2) {
        *status = cli_failf(OSBOX_EXIT_USAGE, "exec: give a container and a command (see 'osbox exec --help')");
        return -1;
    }
    if (o->detach && (o->tty || o->interactive)) {
        *status = cli_failf(OSBOX_EXIT_USAGE, "exec: -d excludes -t and -i (nothing would serve the "
                                              "terminal or stdin once osbox returns)");
        return -1;
    }
    return optind;
}

static int exec_main(int argc, char **argv)
{
    struct container_exec_opts o = { 0 };
    struct osbox_err err;
    char id[65];
    int first, status = 0;

    osbox_err_clear(&err);
    runtime_block_signals();
    signal(SIGPIPE, SIG_IGN);
    first = parse(argc, argv, &o, &status);
    if (first >= 0) {
        o.args = argv + first + 1;
        if (container_lookup(argv[first], id, &err) < 0 || (status = container_exec(id, &o, &err)) < 0)
            status = cli_fail(&err);
    }
    osbox_strv_free(o.env);
    return status;
}

OSBOX_COMMAND(exec_command_, .name = "exec", .summary = "Run a command in a running container",
              .main = exec_main)
