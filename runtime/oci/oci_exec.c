/* osbox-oci exec: a new process in a running (or created) container,
 * through the runtime's exec path (runtime_exec_into: same namespaces,
 * cgroup, capabilities, seccomp). The process comes from --process (an OCI
 * "process" object) or from args plus the container's saved config. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/lifecycle/lifecycle.h"
#include "runtime/oci/oci.h"
#include "util.h"

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

static int process_file(const char *path, struct osbox_process *p, struct oci_config *cfg,
                        struct osbox_err *err)
{
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    int rc;

    if (!doc)
        return osbox_error(err, 0, "--process %s: %s", path, je.text);
    rc = oci_process_from_json(doc, p, &cfg->spec.security, NULL, err);
    json_decref(doc);
    return rc < 0 ? osbox_error_prefix(err, "--process %s", path) : 0;
}

/* The process to run: --process FILE, else args with the container's settings. */
static int build_process(const struct oci_exec_opts *o, struct oci_config *cfg,
                         struct osbox_err *err)
{
    struct osbox_process p = { 0 }, *c = &cfg->spec.process;

    if (o->process) {
        if (process_file(o->process, &p, cfg, err) < 0) {
            replace_process(c, &p);
            return -1;
        }
    } else {
        if (!o->args || !o->args[0])
            return osbox_error(err, 0, "exec: a command (or --process FILE) is required");
        p.args = osbox_strv_dup(o->args);
        p.env = osbox_strv_dup(c->env);
        p.cwd = osbox_xstrdup(c->cwd);
        p.uid = c->uid;
        p.gid = c->gid;
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
    replace_process(c, &p);
    return 0;
}

/* The console to the engine, the pid file; then --detach's caller may go. */
static int hand_over(const struct oci_exec_opts *o, const struct oci_config *cfg,
                     struct osbox_container *c, int ready_fd, struct osbox_err *err)
{
    if (o->console_socket && cfg->spec.process.terminal) {
        int master = oci_take_pty(c);
        int rc = oci_send_console(o->console_socket, master, err);
        close(master);
        if (rc < 0)
            return -1;
    }
    if (o->pid_file) {
        char buf[32];
        /* Detached, the pid an engine waits for is ours: we exit with the
         * process's status and pass signals on (conmon reaps us as subreaper). */
        pid_t pid = ready_fd >= 0 ? getpid() : runtime_container_pid(c);
        int n = snprintf(buf, sizeof buf, "%d", (int)pid);
        if (osbox_write_file_atomic(o->pid_file, buf, (size_t)n, 0644, err) < 0)
            return -1;
    }
    if (ready_fd >= 0) {
        if (write(ready_fd, "", 1) < 0) {
            /* the caller died: nothing to tell */
        }
        close(ready_fd);
    }
    return 0;
}

/* Exec and wait. Returns the status, or -1 with err. */
static int exec_run(const struct oci_exec_opts *o, const struct oci_state *st,
                    struct oci_config *cfg, int ready_fd, struct osbox_err *err)
{
    struct osbox_container *c;
    int status;

    if (runtime_exec_into(st->pid, st->pid_start, &cfg->spec, &c, err) < 0)
        return -1;
    if (hand_over(o, cfg, c, ready_fd, err) < 0) {
        runtime_destroy(c, NULL);
        return -1;
    }
    status = runtime_wait(c, err);
    runtime_destroy(c, NULL);
    return status;
}

/* --detach: a child keeps the process (runtime_exec_into ties it to its
 * parent's life) and reports once it runs; we return 0 then. */
static int exec_detached(const struct oci_exec_opts *o, const struct oci_state *st,
                         struct oci_config *cfg, struct osbox_err *err)
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

int oci_exec(const char *root, const char *id, const struct oci_exec_opts *o,
             struct osbox_err *err)
{
    struct oci_state st;
    struct oci_config cfg;
    const char *status;
    int rc = -1;

    if (oci_state_read(root, id, &st, err) < 0)
        return -1;
    status = oci_state_status(root, &st);
    if (strcmp(status, "running") && strcmp(status, "created")) {
        osbox_error(err, 0, "cannot exec in container %s: it is %s", st.id, status);
        oci_state_free(&st);
        return -1;
    }
    if (oci_saved_config(root, &st, &cfg, err) == 0 && build_process(o, &cfg, err) == 0) {
        if (cfg.spec.process.terminal && o->detach && !o->console_socket)
            osbox_error(err, 0, "a detached exec with a terminal needs --console-socket");
        else
            rc = o->detach ? exec_detached(o, &st, &cfg, err) : exec_run(o, &st, &cfg, -1, err);
    }
    oci_config_free(&cfg);
    oci_state_free(&st);
    return rc;
}
