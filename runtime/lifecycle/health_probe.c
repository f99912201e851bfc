/* One health probe: the check's command run in the container as `osbox
 * exec` runs one (its namespaces, cgroup, user, env, caps, seccomp), its
 * stdout and stderr caught together (the first 4 KiB kept, as Docker),
 * killed with its whole process group at the timeout.
 *
 * The probe runs in a child of its own ("runner"): joining the container
 * changes the joining process for good (its children's pid namespace, the
 * user namespace of a rootless container), and a checker or `osbox
 * healthcheck run` must stay as it was. The runner sends the result back
 * over a pipe; the caller gives it the timeout plus a margin, then kills it. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/core/container.h"
#include "runtime/lifecycle/health.h"
#include "runtime/lifecycle/lifecycle.h"
#include "runtime/ops/ops.h"

#define RUNNER_MARGIN_MS 10000 /* past the timeout: joining, reaping, teardown */

static int64_t now_ns(int clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t timeout_of(const struct health_config *c)
{
    return c->timeout_ns > 0 ? c->timeout_ns : HEALTH_DEFAULT_TIMEOUT_NS;
}

/* Read what fd has into r->output (the rest is read and dropped); false at EOF. */
static bool take_output(int fd, struct health_result *r, size_t *len)
{
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);

    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    if (n <= 0)
        return false;
    size_t room = HEALTH_OUTPUT_MAX - *len, k = (size_t)n < room ? (size_t)n : room;
    memcpy(r->output + *len, buf, k);
    *len += k;
    r->output[*len] = '\0';
    return true;
}

/* The command's output until it exits or the deadline passes; then its exit
 * code, or -1 and the timeout message. */
static void await_command(struct osbox_container *c, int out, const struct health_config *cfg,
                          struct health_result *r)
{
    int64_t deadline = now_ns(CLOCK_MONOTONIC) + timeout_of(cfg);
    size_t len = 0;
    bool reading = true, exited = false;
    siginfo_t si;

    while (!exited) {
        int64_t left = (deadline - now_ns(CLOCK_MONOTONIC)) / 1000000;
        struct pollfd p[2] = { { .fd = c->pidfd, .events = POLLIN },
                               { .fd = reading ? out : -1, .events = POLLIN } };
        if (left <= 0)
            break;
        if (poll(p, 2, (int)(left > 60000 ? 60000 : left)) < 0 && errno != EINTR)
            break;
        if (p[1].revents)
            reading = take_output(out, r, &len);
        exited = p[0].revents & POLLIN;
    }
    if (!exited) {
        char d[32];
        kill(-c->pid, SIGKILL); /* the command leads its own session and group */
        kill(c->pid, SIGKILL);
        health_format_duration(timeout_of(cfg), d, sizeof d);
        snprintf(r->output, sizeof r->output, "Health check exceeded timeout (%s)", d);
        r->exit_code = -1;
    }
    /* What it wrote before it exited (a child it left behind may hold the pipe: no waiting). */
    fcntl(out, F_SETFL, O_NONBLOCK);
    for (int i = 0; exited && reading && i < 64; i++)
        reading = take_output(out, r, &len) && len < HEALTH_OUTPUT_MAX;
    memset(&si, 0, sizeof si);
    while (waitid(P_PIDFD, (id_t)c->pidfd, &si, WEXITED) < 0 && errno == EINTR)
        ;
    c->exited = true;
    if (exited)
        r->exit_code = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
}

static __attribute__((noreturn)) void runner(const char *id, const struct health_config *cfg,
                                             int report)
{
    struct health_result r = { .start_ns = now_ns(CLOCK_REALTIME), .exit_code = -1 };
    struct container_exec_opts o = { .args = health_config_argv(cfg) };
    struct osbox_container *c = NULL;
    struct osbox_err err;
    int p[2], nul = open("/dev/null", O_RDWR | O_CLOEXEC);

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    osbox_err_clear(&err);
    if (nul < 0 || pipe2(p, O_CLOEXEC) < 0) {
        snprintf(r.output, sizeof r.output, "health check: %s", strerror(errno));
        goto done;
    }
    /* The command's stdio: no input, one pipe for both streams. */
    dup2(nul, 0);
    dup2(p[1], 1);
    dup2(p[1], 2);
    close(p[1]);
    if (container_is_paused(id)) {
        snprintf(r.output, sizeof r.output, "container %.12s is paused", id);
    } else if (container_exec_start(id, &o, &c, &err) < 0) {
        snprintf(r.output, sizeof r.output, "%s", err.msg);
    } else {
        dup2(nul, 1); /* the pipe's writers are the command's now */
        dup2(nul, 2);
        await_command(c, p[0], cfg, &r);
        runtime_destroy(c, NULL);
    }
done:
    r.end_ns = now_ns(CLOCK_REALTIME);
    osbox_write_all(report, &r, sizeof r);
    _exit(0);
}

void health_probe(const char *id, const struct health_config *c, struct health_result *r)
{
    int64_t limit = timeout_of(c) / 1000000 + RUNNER_MARGIN_MS;
    int p[2];
    pid_t pid;
    size_t got = 0;

    memset(r, 0, sizeof *r);
    r->start_ns = now_ns(CLOCK_REALTIME);
    r->exit_code = -1;
    if (pipe2(p, O_CLOEXEC) < 0) {
        snprintf(r->output, sizeof r->output, "health check: pipe: %s", strerror(errno));
        goto out;
    }
    pid = fork();
    if (pid == 0) {
        close(p[0]);
        runner(id, c, p[1]);
    }
    close(p[1]);
    if (pid < 0) {
        snprintf(r->output, sizeof r->output, "health check: fork: %s", strerror(errno));
        close(p[0]);
        goto out;
    }
    int64_t deadline = now_ns(CLOCK_MONOTONIC) / 1000000 + limit;
    while (got < sizeof *r) {
        int64_t left = deadline - now_ns(CLOCK_MONOTONIC) / 1000000;
        struct pollfd pf = { .fd = p[0], .events = POLLIN };
        if (left <= 0 || (poll(&pf, 1, (int)left) < 0 && errno != EINTR))
            break;
        if (!pf.revents)
            continue;
        ssize_t n = read(p[0], (char *)r + got, sizeof *r - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(p[0]);
    kill(pid, SIGKILL); /* gone already, unless it hung */
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    if (got == sizeof *r)
        return;
    int64_t start = r->start_ns;
    memset(r, 0, sizeof *r);
    r->start_ns = start;
    r->exit_code = -1;
    snprintf(r->output, sizeof r->output, "health check: the probe did not report");
out:
    r->end_ns = now_ns(CLOCK_REALTIME);
}
