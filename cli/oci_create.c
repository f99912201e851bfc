/* osbox-oci create / start / run: the verbs' options; the lifecycle itself
 * (hook order, start gate, state) is runtime/oci/oci_lifecycle.c. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli/oci.h"
#include "util.h"

enum { O_BUNDLE = 'b', O_PID_FILE = 256, O_CONSOLE, O_NO_PIVOT, O_NO_KEYRING, O_PRESERVE, O_HELP,
       O_DETACH = 'd', O_KEEP };

static const struct option create_long[] = {
    { "bundle", required_argument, NULL, O_BUNDLE },
    { "pid-file", required_argument, NULL, O_PID_FILE },
    { "console-socket", required_argument, NULL, O_CONSOLE },
    { "no-pivot", no_argument, NULL, O_NO_PIVOT },
    { "no-new-keyring", no_argument, NULL, O_NO_KEYRING },
    { "preserve-fds", required_argument, NULL, O_PRESERVE },
    { "detach", no_argument, NULL, O_DETACH },
    { "keep", no_argument, NULL, O_KEEP },
    { "help", no_argument, NULL, O_HELP },
    { NULL, 0, NULL, 0 },
};

static int parse_create(int argc, char **argv, bool run, struct oci_create_opts *o, const char **id,
                        int *status)
{
    int c;
    long long n;
    struct osbox_err err;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, run ? "+b:d" : "+b:", create_long, NULL)) != -1) {
        switch (c) {
        case O_BUNDLE: o->bundle = optarg; break;
        case O_PID_FILE: o->pid_file = optarg; break;
        case O_CONSOLE: o->console_socket = optarg; break;
        case O_NO_PIVOT: case O_NO_KEYRING: case O_KEEP: break;
        case O_PRESERVE:
            /* Extra fds pass through: the runtime keeps only stdio, so refuse rather than lose them. */
            if (osbox_parse_int(optarg, 0, 1024, &n, &err) < 0) {
                *status = cli_failf(OSBOX_EXIT_USAGE, "--preserve-fds: %s", err.msg);
                return -1;
            }
            if (n > 0) {
                *status = oci_failf("--preserve-fds %lld: passing extra fds is not supported", n);
                return -1;
            }
            break;
        case O_DETACH: o->detach = true; break;
        case O_HELP:
            printf("Usage: %s %s [--bundle DIR] [--pid-file FILE] [--console-socket PATH]\n"
                   "       [--no-pivot] [--no-new-keyring] [--preserve-fds N]%s ID\n",
                   cli_program_name, run ? "run" : "create", run ? " [-d]" : "");
            *status = 0;
            return -1;
        default:
            *status = cli_failf(OSBOX_EXIT_USAGE, "%s: unknown option '%s'", argv[0], argv[optind - 1]);
            return -1;
        }
    }
    if (optind != argc - 1) {
        *status = cli_failf(OSBOX_EXIT_USAGE, "%s: exactly one container ID is required", argv[0]);
        return -1;
    }
    *id = argv[optind];
    return 0;
}

int oci_create_main(int argc, char **argv)
{
    struct oci_create_opts o = { .detach = true };
    struct oci_state st;
    struct oci_config cfg;
    struct osbox_container *c;
    struct osbox_err err;
    const char *id;
    int status, rc;

    if (parse_create(argc, argv, false, &o, &id, &status) < 0)
        return status;
    osbox_err_clear(&err);
    rc = oci_container_create(oci_g.root, id, &o, &st, &cfg, &c, &err);
    oci_take_warnings(&cfg);
    oci_state_free(&st);
    oci_config_free(&cfg);
    /* c stays: leaving without runtime_destroy is what keeps the container. */
    return rc < 0 ? oci_fail(&err) : 0;
}

int oci_start_main(int argc, char **argv)
{
    struct osbox_err err;
    char **warnings = NULL;
    int rc;

    if (cli_wants_help(argc, argv)) {
        printf("Usage: %s start ID\n", cli_program_name);
        return 0;
    }
    if (argc != 2)
        return cli_failf(OSBOX_EXIT_USAGE, "start: exactly one container ID is required");
    osbox_err_clear(&err);
    rc = oci_start(oci_g.root, argv[1], &warnings, &err);
    oci_warn_all(warnings);
    return rc < 0 ? oci_fail(&err) : 0;
}

/* run: create + start; in the foreground wait, relay the pty, forward
 * signals and exit with the container's status, then delete it. */
int oci_run_main(int argc, char **argv)
{
    struct oci_create_opts o = { 0 };
    struct oci_state st;
    struct oci_config cfg;
    struct osbox_container *c;
    struct osbox_err err;
    char **warnings = NULL;
    const char *id;
    int status = 0, rc;

    if (parse_create(argc, argv, true, &o, &id, &status) < 0)
        return status;
    osbox_err_clear(&err);
    if (!o.detach) {
        runtime_block_signals();
        signal(SIGPIPE, SIG_IGN);
    }
    rc = oci_container_create(oci_g.root, id, &o, &st, &cfg, &c, &err);
    oci_take_warnings(&cfg); /* what the config asked that the container does not get */
    if (rc < 0) {
        status = oci_fail(&err);
    } else if (oci_container_start(oci_g.root, &st, &cfg, &warnings, &err) < 0) {
        runtime_destroy(c, NULL);
        oci_container_delete(oci_g.root, &st, &warnings, NULL);
        status = oci_fail(&err);
    } else if (!o.detach) {
        oci_warn_all(warnings); /* poststart's, while the container runs */
        warnings = NULL;
        status = runtime_wait(c, &err);
        runtime_destroy(c, NULL);
        oci_container_delete(oci_g.root, &st, &warnings, NULL);
        if (status < 0)
            status = oci_fail(&err);
    }
    oci_warn_all(warnings);
    oci_state_free(&st);
    oci_config_free(&cfg);
    return status;
}
