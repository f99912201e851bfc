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
#include "cli/run_lifecycle.h"
#include "runtime/lifecycle.h"
#include "util.h"

struct exec_opts {
    bool tty, interactive, detach;
    const char *user, *workdir;
    char **env;
};

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

static int exec_in(const char *id, struct exec_opts *o, char **cmd, struct osbox_err *err)
{
    struct container_live l;
    struct osbox_record rec;
    struct lifecycle lc;
    struct run_lifecycle rl;
    struct osbox_spec spec;
    struct osbox_container *c = NULL;
    int status;

    container_live_read(id, &l);
    if (!l.running)
        return osbox_error(err, 0, "container %.12s is not running", id);
    if (state_read_record(id, &rec, err) < 0)
        return -1;
    if (lifecycle_read(id, &lc, err) < 0) {
        osbox_record_free(&rec);
        return osbox_error(err, 0, "container %.12s has no saved run arguments", id);
    }
    if (lc.cwd && chdir(lc.cwd) < 0) {
        /* relative paths in the run arguments may not resolve: say so if they fail */
    }
    status = run_rebuild(lc.run_args, &rec, false, &spec, &rl, err);
    lifecycle_free(&lc);
    osbox_record_free(&rec);
    if (status < 0)
        goto out;
    osbox_strv_free(spec.process.args);
    spec.process.args = osbox_strv_dup(cmd);
    for (size_t i = 0; o->env && o->env[i]; i++)
        osbox_env_set(&spec.process.env, o->env[i]);
    if (o->user) {
        free(spec.process.user);
        spec.process.user = osbox_xstrdup(o->user);
    }
    if (o->workdir) {
        if (o->workdir[0] != '/') {
            status = osbox_error(err, 0, "exec: working directory '%s' is not absolute", o->workdir);
            goto out;
        }
        free(spec.process.cwd);
        spec.process.cwd = osbox_xstrdup(o->workdir);
    }
    spec.process.terminal = o->tty;
    spec.process.stdin_open = o->interactive;
    if ((status = osbox_security_prepare(&spec.security, err)) < 0)
        goto out;
    if (o->detach) {
        status = runtime_exec_detached(l.pid, l.pid_start, &spec, err);
        goto out;
    }
    if ((status = runtime_exec_into(l.pid, l.pid_start, &spec, &c, err)) < 0)
        goto out;
    status = runtime_wait(c, err);
    runtime_destroy(c, NULL);
out:
    osbox_spec_free(&spec);
    return status;
}

static int exec_main(int argc, char **argv)
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
    struct exec_opts o = { 0 };
    struct osbox_err err;
    char id[65];
    int c, status;

    osbox_err_clear(&err);
    runtime_block_signals();
    signal(SIGPIPE, SIG_IGN);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+dtie:u:w:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': o.detach = true; break;
        case 't': o.tty = true; break;
        case 'i': o.interactive = true; break;
        case 'e':
            if (!strchr(optarg, '=') || optarg[0] == '=') {
                osbox_strv_free(o.env);
                return cli_failf(OSBOX_EXIT_USAGE, "exec: -e wants K=V, not '%s'", optarg);
            }
            osbox_strv_push(&o.env, optarg);
            break;
        case 'u': o.user = optarg; break;
        case 'w': o.workdir = optarg; break;
        case 'h': usage(); osbox_strv_free(o.env); return 0;
        default:
            osbox_strv_free(o.env);
            return cli_failf(OSBOX_EXIT_USAGE, "exec: unknown option or missing value '%s'",
                             argv[optind - 1]);
        }
    }
    if (argc - optind < 2) {
        osbox_strv_free(o.env);
        return cli_failf(OSBOX_EXIT_USAGE, "exec: give a container and a command (see 'osbox exec --help')");
    }
    if (o.detach && (o.tty || o.interactive)) {
        osbox_strv_free(o.env);
        return cli_failf(OSBOX_EXIT_USAGE, "exec: -d excludes -t and -i (nothing would serve the "
                                           "terminal or stdin once osbox returns)");
    }
    if (container_lookup(argv[optind], id, &err) < 0)
        status = -1;
    else
        status = exec_in(id, &o, argv + optind + 1, &err);
    osbox_strv_free(o.env);
    if (status < 0)
        return cli_fail(&err);
    return status;
}

OSBOX_COMMAND(exec_command_, .name = "exec", .summary = "Run a command in a running container",
              .main = exec_main)
