/* osbox-oci exec [OPTIONS] ID [ARGS...] | --process FILE ID: a new process
 * in a running container, through the runtime's exec path
 * (runtime_exec_into: same namespaces, cgroup, capabilities, seccomp). The
 * process settings come from --process (an OCI "process" object) or from
 * ARGS plus the container's config.json. Exits with the process's status. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli/oci.h"
#include "runtime/lifecycle.h"
#include "util.h"

struct exec_opts {
    const char *process, *pid_file, *console_socket, *cwd, *user;
    char **env;
    bool detach, tty;
};

static void replace_process(struct osbox_process *dst, struct osbox_process *src)
{
    osbox_strv_free(dst->args);
    osbox_strv_free(dst->env);
    free(dst->cwd);
    free(dst->user);
    free(dst->additional_gids);
    *dst = *src;
    memset(src, 0, sizeof *src);
}

/* The process to run: --process FILE, else ARGS with the container's settings. */
static int build_process(struct exec_opts *o, char **args, struct oci_config *cfg,
                         struct osbox_err *err)
{
    struct osbox_process p = { 0 };

    if (o->process) {
        json_error_t je;
        json_t *doc = json_load_file(o->process, 0, &je);
        int rc;
        if (!doc)
            return osbox_error(err, 0, "--process %s: %s", o->process, je.text);
        rc = oci_process_from_json(doc, &p, &cfg->spec.security, NULL, err);
        json_decref(doc);
        if (rc < 0) {
            replace_process(&cfg->spec.process, &p);
            return osbox_error_prefix(err, "--process %s", o->process);
        }
    } else {
        struct osbox_process *c = &cfg->spec.process;
        if (!args || !args[0])
            return osbox_error(err, 0, "exec: a command (or --process FILE) is required");
        p.args = osbox_strv_dup(args);
        p.env = osbox_strv_dup(c->env);
        p.cwd = osbox_xstrdup(c->cwd);
        p.uid = c->uid;
        p.gid = c->gid;
        p.terminal = o->tty;
        p.stdin_open = true;
    }
    for (size_t i = 0; o->env && o->env[i]; i++)
        osbox_env_set(&p.env, o->env[i]);
    if (o->cwd) {
        free(p.cwd);
        p.cwd = osbox_xstrdup(o->cwd);
    }
    if (o->user) {
        free(p.user);
        p.user = osbox_xstrdup(o->user);
    }
    if (o->tty)
        p.terminal = true;
    replace_process(&cfg->spec.process, &p);
    return 0;
}

/* Exec and, unless detaching, wait. Returns the status, or -1 with err. */
static int exec_run(struct exec_opts *o, const struct oci_state *st, struct oci_config *cfg,
                    int ready_fd, struct osbox_err *err)
{
    struct osbox_container *c;
    int status;

    if (runtime_exec_into(st->pid, st->pid_start, &cfg->spec, &c, err) < 0)
        return -1;
    if (o->console_socket && cfg->spec.process.terminal) {
        int master = oci_take_pty(c);
        int rc = oci_send_console(o->console_socket, master, err);
        close(master);
        if (rc < 0) {
            runtime_destroy(c, NULL);
            return -1;
        }
    }
    if (o->pid_file) {
        char buf[32];
        /* Detached, the pid an engine waits for is ours: we exit with the
         * process's status and pass signals on (conmon reaps us as subreaper). */
        pid_t pid = ready_fd >= 0 ? getpid() : runtime_container_pid(c);
        int n = snprintf(buf, sizeof buf, "%d", (int)pid);
        if (osbox_write_file_atomic(o->pid_file, buf, (size_t)n, 0644, err) < 0) {
            runtime_destroy(c, NULL);
            return -1;
        }
    }
    if (ready_fd >= 0) { /* --detach: the caller may go */
        if (write(ready_fd, "", 1) < 0) {
            /* the caller died: nothing to tell */
        }
        close(ready_fd);
    }
    status = runtime_wait(c, err);
    runtime_destroy(c, NULL);
    return status;
}

/* --detach: a child keeps the process (runtime_exec_into ties it to its
 * parent's life) and reports once it runs; we exit 0 then. */
static int exec_detached(struct exec_opts *o, const struct oci_state *st, struct oci_config *cfg,
                         struct osbox_err *err)
{
    int p[2];
    pid_t child;
    char buf[1024];
    ssize_t n;

    if (pipe2(p, O_CLOEXEC) < 0)
        return osbox_error(err, errno, "pipe");
    child = fork();
    if (child < 0)
        return osbox_error(err, errno, "fork");
    if (child == 0) {
        int status;
        close(p[0]);
        setsid();
        runtime_block_signals(); /* forwarded by runtime_wait */
        status = exec_run(o, st, cfg, p[1], err);
        if (status < 0) {
            if (write(p[1], err->msg, strlen(err->msg) + 1) < 0)
                _exit(1);
            _exit(err->exit_status > 1 ? err->exit_status : 1);
        }
        _exit(status);
    }
    close(p[1]);
    do
        n = read(p[0], buf, sizeof buf - 1);
    while (n < 0 && errno == EINTR);
    close(p[0]);
    if (n == 1 && buf[0] == '\0')
        return 0;
    buf[n > 0 ? n : 0] = '\0';
    return osbox_error(err, 0, "%s", n > 0 ? buf : "exec failed");
}

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
    struct exec_opts o = { 0 };
    struct oci_state st;
    struct oci_config cfg;
    struct osbox_err err;
    const char *status;
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
    osbox_err_clear(&err);
    if (oci_state_read(oci_g.root, argv[optind], &st, &err) < 0) {
        osbox_strv_free(o.env);
        return oci_fail(&err);
    }
    status = oci_state_status(oci_g.root, &st);
    if (strcmp(status, "running") && strcmp(status, "created")) {
        osbox_error(&err, 0, "cannot exec in container %s: it is %s", st.id, status);
        rc = -1;
    } else if ((rc = oci_saved_config(&st, &cfg, &err)) == 0) {
        rc = build_process(&o, argv + optind + 1, &cfg, &err);
        if (rc == 0 && cfg.spec.process.terminal && o.detach && !o.console_socket)
            rc = osbox_error(&err, 0, "a detached exec with a terminal needs --console-socket");
        if (rc == 0 && o.detach) {
            rc = exec_detached(&o, &st, &cfg, &err);
        } else if (rc == 0) {
            runtime_block_signals();
            signal(SIGPIPE, SIG_IGN);
            rc = exec_run(&o, &st, &cfg, -1, &err);
        }
        oci_config_free(&cfg);
    } else {
        oci_config_free(&cfg);
    }
    oci_state_free(&st);
    osbox_strv_free(o.env);
    if (rc < 0) {
        oci_fail(&err);
        return err.exit_status > 1 ? err.exit_status : 1;
    }
    return rc;
}
