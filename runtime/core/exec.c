/* The command's own process: stdio, credentials, cwd, then execve. The PATH
 * lookup happens here, inside the container and as the target user, so
 * "not found" (127) and "not executable" (126) are told apart before exec. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/core/internal.h"
#include "runtime/security/security.h"
#include "util.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static int exec_status(int e)
{
    return e == ENOENT || e == ENOTDIR ? OSBOX_EXIT_NOT_FOUND : OSBOX_EXIT_NOT_EXECUTABLE;
}

int exec_find(const char *cmd, const char *path_env, char **out, struct osbox_err *err)
{
    _cleanup_free_ char *path = NULL;
    char *save = NULL, *dir;
    int denied = 0;
    struct stat st;

    if (!cmd || !*cmd) {
        osbox_error(err, 0, "no command specified");
        err->exit_status = OSBOX_EXIT_FAILED;
        return -1;
    }
    if (strchr(cmd, '/')) {
        if (stat(cmd, &st) < 0) {
            osbox_error(err, errno, "exec %s", cmd);
            err->exit_status = exec_status(err->errnum);
            return -1;
        }
        if (S_ISDIR(st.st_mode) || access(cmd, X_OK) < 0) {
            osbox_error(err, S_ISDIR(st.st_mode) ? EISDIR : errno, "exec %s", cmd);
            err->exit_status = OSBOX_EXIT_NOT_EXECUTABLE;
            return -1;
        }
        *out = osbox_xstrdup(cmd);
        return 0;
    }
    path = osbox_xstrdup(path_env ? path_env : DEFAULT_PATH);
    for (dir = strtok_r(path, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        char *cand = osbox_strdup_printf("%s/%s", *dir ? dir : ".", cmd);
        if (stat(cand, &st) == 0 && S_ISREG(st.st_mode)) {
            if (access(cand, X_OK) == 0) {
                *out = cand;
                return 0;
            }
            denied = 1;
        }
        free(cand);
    }
    if (denied) {
        osbox_error(err, EACCES, "exec %s", cmd);
        err->exit_status = OSBOX_EXIT_NOT_EXECUTABLE;
    } else {
        osbox_error(err, 0, "exec: \"%s\": executable file not found in $PATH", cmd);
        err->exit_status = OSBOX_EXIT_NOT_FOUND;
    }
    return -1;
}

static __attribute__((noreturn)) void fail(struct exec_ctx *x, struct osbox_err *err)
{
    if (!err->exit_status)
        err->exit_status = OSBOX_EXIT_FAILED;
    if (x->errors_to_stderr)
        dprintf(STDERR_FILENO, "osbox-oci: %s\n", err->msg);
    signal(SIGPIPE, SIG_IGN); /* a creator that is gone is no reason to die of it */
    sync_send_error(x->sock, err);
    _exit(err->exit_status);
}

static int setup_stdio(struct exec_ctx *x, struct osbox_err *err)
{
    if (x->pty_slave >= 0) {
        /* The command leads a new session with the pty as controlling tty,
         * so ^C typed on the (raw) host terminal becomes its SIGINT. */
        if (setsid() < 0)
            return osbox_error(err, errno, "setsid");
        if (ioctl(x->pty_slave, TIOCSCTTY, 0) < 0)
            return osbox_error(err, errno, "set the controlling terminal");
        for (int fd = 0; fd < 3; fd++)
            if (dup2(x->pty_slave, fd) < 0)
                return osbox_error(err, errno, "dup2 pty");
        close(x->pty_slave);
        return 0;
    }
    if (!x->process->stdin_open) {
        int fd = open("/dev/null", O_RDONLY);
        if (fd < 0)
            return osbox_error(err, errno, "open /dev/null");
        if (fd != 0) {
            dup2(fd, 0);
            close(fd);
        }
    }
    return 0;
}

static int set_credentials(const struct resolved_user *u, struct osbox_err *err)
{
    /* Rootless with a single-id map: setgroups is denied (EPERM), and there
     * are no supplementary groups to drop anyway unless some were asked for. */
    if (setgroups(u->n_gids, u->gids) < 0 && !(errno == EPERM && u->n_gids == 0))
        return osbox_error(err, errno, "setgroups");
    if (setgid(u->gid) < 0)
        return osbox_error(err, errno, "setgid %u", (unsigned)u->gid);
    if (setuid(u->uid) < 0)
        return osbox_error(err, errno, "setuid %u", (unsigned)u->uid);
    return 0;
}

void exec_command(struct exec_ctx *x)
{
    struct osbox_err err;
    _cleanup_free_ char *path = NULL;
    const char *cwd = x->process->cwd && *x->process->cwd ? x->process->cwd : "/";
    sigset_t none;

    startup_trace_end(TRACE_FORK);
    osbox_err_clear(&err);
    if (setup_stdio(x, &err) < 0)
        fail(x, &err);
    startup_trace_begin(TRACE_CAPS);
    if (security_before_credentials(x->security, &err) < 0 || set_credentials(&x->user, &err) < 0)
        fail(x, &err);
    startup_trace_end(TRACE_CAPS);
    if (chdir(cwd) < 0) {
        osbox_error(&err, errno, "chdir to working directory %s", cwd);
        fail(x, &err);
    }
    if (exec_find(x->process->args ? x->process->args[0] : NULL,
                  osbox_env_get(x->env, "PATH"), &path, &err) < 0)
        fail(x, &err);
    for (int i = 0; runtime_forwarded_signals[i]; i++)
        signal(runtime_forwarded_signals[i], SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (security_before_exec(x->security, &err) < 0) /* seccomp goes in last */
        fail(x, &err);
    startup_trace_begin(TRACE_EXEC);
    execve(path, x->process->args, x->env);
    osbox_error(&err, errno, "exec %s", path);
    err.exit_status = exec_status(err.errnum);
    fail(x, &err);
}
