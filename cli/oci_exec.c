/* osbox-oci exec [OPTIONS] ID [ARGS...] | --process FILE ID: the verb's
 * options; the exec itself is runtime/oci/oci_exec.c. Exits with the
 * process's status. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>

#include "cli.h"
#include "cli/oci.h"
#include "util.h"

enum { E_PROCESS = 'p', E_DETACH = 'd', E_TTY = 't', E_ENV = 'e', E_USER = 'u', E_PID_FILE = 256,
       E_CONSOLE, E_CWD, E_IGNORE, E_IGNORE_ARG, E_HELP };
static const struct option exec_long[] = {
    { "process", required_argument, NULL, E_PROCESS },
    { "detach", no_argument, NULL, E_DETACH },
    { "tty", no_argument, NULL, E_TTY },
    { "env", required_argument, NULL, E_ENV },
    { "user", required_argument, NULL, E_USER },
    { "cwd", required_argument, NULL, E_CWD },
    { "pid-file", required_argument, NULL, E_PID_FILE },
    { "console-socket", required_argument, NULL, E_CONSOLE },
    { "no-new-privs", no_argument, NULL, E_IGNORE },
    { "preserve-fds", required_argument, NULL, E_IGNORE_ARG },
    { "cap", required_argument, NULL, E_IGNORE_ARG },
    { "help", no_argument, NULL, E_HELP },
    { NULL, 0, NULL, 0 },
};

int oci_exec_main(int argc, char **argv)
{
    struct oci_exec_opts o = { 0 };
    struct osbox_err err;
    int c, rc;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+p:dte:u:", exec_long, NULL)) != -1) {
        switch (c) {
        case E_PROCESS: o.process = optarg; break;
        case E_DETACH: o.detach = true; break;
        case E_TTY: o.tty = true; break;
        case E_ENV: osbox_strv_push(&o.env, optarg); break;
        case E_USER: o.user = optarg; break;
        case E_CWD: o.cwd = optarg; break;
        case E_PID_FILE: o.pid_file = optarg; break;
        case E_CONSOLE: o.console_socket = optarg; break;
        case E_IGNORE: case E_IGNORE_ARG: break;
        case E_HELP:
            printf("Usage: %s exec [--process FILE] [-d] [-t] [-e K=V] [-u UID[:GID]] [--cwd DIR]\n"
                   "       [--pid-file FILE] [--console-socket PATH] ID [COMMAND ARGS...]\n",
                   cli_program_name);
            return 0;
        default:
            osbox_strv_free(o.env);
            return cli_failf(OSBOX_EXIT_USAGE, "exec: unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc) {
        osbox_strv_free(o.env);
        return cli_failf(OSBOX_EXIT_USAGE, "exec: a container ID is required");
    }
    o.args = argv + optind + 1;
    osbox_err_clear(&err);
    if (!o.detach) {
        runtime_block_signals();
        signal(SIGPIPE, SIG_IGN);
    }
    rc = oci_exec(oci_g.root, argv[optind], &o, &err);
    osbox_strv_free(o.env);
    if (rc < 0) {
        oci_fail(&err);
        return err.exit_status > 1 ? err.exit_status : 1;
    }
    return rc;
}
