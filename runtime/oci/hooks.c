/* OCI hooks: each runs with the container's state JSON on its stdin and
 * its stdout joined to our stderr (engines parse our stdout). A hook that
 * fails, is killed or outlives its timeout fails the step, and the error
 * names it: "hook createRuntime[0] /usr/bin/x: exited with status 3". */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/oci/oci.h"
#include "util.h"

/* In the forked hook process; never returns. */
static __attribute__((noreturn)) void hook_exec(const struct oci_hook *h, int in, pid_t ns_pid)
{
    char *argv_default[] = { h->path, NULL };
    char *env_empty[] = { NULL };
    char **argv = h->args && h->args[0] ? h->args : argv_default;
    char **env = h->env ? h->env : env_empty;
    int fd;

    dup2(in, 0);
    dup2(2, 1);
    if (in > 2)
        close(in);
    if (ns_pid <= 0) {
        execve(h->path, argv, env);
        _exit(127);
    }
    /* The path is the host's; the process lives in the container's mount
     * and pid namespaces (its /proc shows only those pids, and a script's
     * interpreter opens the script as /dev/fd/N, so it must see itself).
     * The fd is not close-on-exec for that reason. */
    fd = open(h->path, O_RDONLY);
    if (fd < 0)
        _exit(127);
    /* Open them all first: after joining the mount namespace, /proc is the container's. */
    static const char *const ns_names[] = { "pid", "ipc", "uts", "net", "cgroup", "mnt" };
    int nsfd[6];
    for (int k = 0; k < 6; k++) {
        char ns[64];
        snprintf(ns, sizeof ns, "/proc/%d/ns/%s", (int)ns_pid, ns_names[k]);
        if ((nsfd[k] = open(ns, O_RDONLY | O_CLOEXEC)) < 0)
            _exit(126);
    }
    for (int k = 0; k < 6; k++)
        if (setns(nsfd[k], 0) < 0)
            _exit(126);
    pid_t child = fork(); /* joins the pid namespace */
    if (child < 0)
        _exit(126);
    if (child == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* a timed-out hook takes it along */
        execveat(fd, "", argv, env, AT_EMPTY_PATH);
        _exit(127);
    }
    int st;
    if (waitpid(child, &st, 0) < 0)
        _exit(126);
    _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

static int run_one(const struct oci_hook *h, const char *name, size_t idx, const char *state,
                   pid_t ns_pid, struct osbox_err *err)
{
    int p[2], st = 0;
    pid_t pid;
    size_t len = strlen(state);

    if (pipe2(p, O_CLOEXEC) < 0)
        return osbox_error(err, errno, "hook %s[%zu]: pipe", name, idx);
    pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return osbox_error(err, errno, "hook %s[%zu]: fork", name, idx);
    }
    if (pid == 0) {
        close(p[1]);
        hook_exec(h, p[0], ns_pid);
    }
    close(p[0]);
    /* The state is small (a pipe holds 64 KiB); a hook that does not read it is fine. */
    signal(SIGPIPE, SIG_IGN);
    if (write(p[1], state, len) < 0 && errno != EPIPE) {
        /* ignored: the hook decides whether it needed its stdin */
    }
    close(p[1]);
    if (h->timeout > 0) {
        struct timespec t0, now;
        pid_t r = 0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (;;) { /* bounded by the timeout */
            r = waitpid(pid, &st, WNOHANG);
            if (r != 0)
                break;
            clock_gettime(CLOCK_MONOTONIC, &now);
            if (now.tv_sec - t0.tv_sec >= h->timeout) {
                kill(pid, SIGKILL);
                waitpid(pid, &st, 0);
                return osbox_error(err, 0, "hook %s[%zu] %s: timed out after %d s", name, idx,
                                   h->path, h->timeout);
            }
            usleep(10000);
        }
        if (r < 0)
            return osbox_error(err, errno, "hook %s[%zu] %s: wait", name, idx, h->path);
    } else if (waitpid(pid, &st, 0) < 0) {
        return osbox_error(err, errno, "hook %s[%zu] %s: wait", name, idx, h->path);
    }
    if (WIFSIGNALED(st))
        return osbox_error(err, 0, "hook %s[%zu] %s: killed by signal %d", name, idx, h->path,
                           WTERMSIG(st));
    if (WEXITSTATUS(st) == 127 || WEXITSTATUS(st) == 126)
        return osbox_error(err, 0, "hook %s[%zu] %s: could not be executed (status %d)", name,
                           idx, h->path, WEXITSTATUS(st));
    if (WEXITSTATUS(st))
        return osbox_error(err, 0, "hook %s[%zu] %s: exited with status %d", name, idx, h->path,
                           WEXITSTATUS(st));
    return 0;
}

int oci_hooks_run(const struct oci_config *c, enum oci_hook_kind kind, const char *state_json,
                  pid_t ns_pid, struct osbox_err *err)
{
    for (size_t i = 0; i < c->n_hooks[kind]; i++)
        if (run_one(&c->hooks[kind][i], oci_hook_names[kind], i, state_json, ns_pid, err) < 0)
            return -1;
    return 0;
}
