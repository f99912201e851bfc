/* Signals, stop, wait and remove for a container, detached or held by a
 * foreground osbox. Signals go to the container's init through a pidfd
 * checked against the recorded start time (no reused pid gets them). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "runtime/core/internal.h"
#include "runtime/lifecycle/lifecycle.h"
#include "runtime/ops/ops.h"
#include "util.h"

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void request_stop(const char *id)
{
    _cleanup_free_ char *dir = runtime_container_dir(id);
    _cleanup_free_ char *flag = osbox_strdup_printf("%s/stop-requested", dir);
    int fd = open(flag, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0)
        close(fd);
}

/* A pidfd for the init, or -1 when it is gone. */
static int init_pidfd(const struct container_live *l)
{
    int fd;

    if (!l->running)
        return -1;
    fd = (int)syscall(SYS_pidfd_open, l->pid, 0);
    if (fd >= 0 && proc_start_time(l->pid) != l->pid_start) {
        close(fd);
        return -1;
    }
    return fd;
}

static bool init_handles(int sig)
{
    if (sig == SIGKILL || sig == SIGSTOP || sig == SIGCONT)
        return true;
    for (int i = 0; runtime_forwarded_signals[i]; i++)
        if (runtime_forwarded_signals[i] == sig)
            return true;
    return false;
}

/* Signals our init neither forwards nor handles would be dropped by the
 * kernel (pid 1 of a namespace): send them to the init's children. */
static int signal_children(pid_t init, int sig)
{
    char path[64], buf[4096];
    FILE *f;
    int n = 0, pid;

    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)init, (int)init);
    f = fopen(path, "re");
    if (!f)
        return -1;
    if (fgets(buf, sizeof buf, f)) {
        for (char *p = buf; sscanf(p, "%d", &pid) == 1; n++) {
            kill(pid, sig);
            p = strchr(p, ' ');
            if (!p)
                break;
            p++;
        }
    }
    fclose(f);
    return n;
}

int container_kill(const char *id, int sig, struct osbox_err *err)
{
    struct container_live l;
    int fd, rc;

    container_live_read(id, &l);
    fd = init_pidfd(&l);
    if (fd < 0)
        return osbox_error(err, 0, "container %.12s is not running", id);
    if (sig == SIGKILL)
        request_stop(id); /* a kill is a stop: no restart */
    if (init_handles(sig))
        rc = (int)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
    else
        rc = signal_children(l.pid, sig) >= 0 ? 0 : -1;
    close(fd);
    if (rc == 0) {
        container_thaw_quietly(id); /* a paused container acts on it once thawed */
        event_log(id, NULL, "kill", -1);
    }
    if (rc < 0)
        return osbox_error(err, errno, "signal %d to container %.12s", sig, id);
    return 0;
}

int container_wait_stopped(const char *id, int ms, struct osbox_err *err)
{
    long deadline = now_ms() + ms;
    struct container_live l;

    for (;;) {
        container_live_read(id, &l);
        if (!l.running && !l.holder_alive)
            return 0;
        if (ms >= 0 && now_ms() >= deadline)
            return osbox_error(err, ETIMEDOUT, "container %.12s did not stop", id);
        poll(NULL, 0, 20);
    }
}

int container_stop(const char *id, int timeout_s, struct osbox_err *err)
{
    struct container_live l;
    struct osbox_record rec;
    struct osbox_err ignored;
    int fd, sig = SIGTERM;

    container_live_read(id, &l);
    if (!l.running && !l.holder_alive)
        return 0;
    /* The container's own --stop-signal and --stop-timeout (Docker's). */
    if (state_read_record(id, &rec, &ignored) == 0) {
        if (rec.stop_signal > 0)
            sig = rec.stop_signal;
        if (timeout_s < 0)
            timeout_s = rec.stop_timeout;
        osbox_record_free(&rec);
    }
    if (timeout_s < 0)
        timeout_s = 10;
    request_stop(id);
    fd = init_pidfd(&l);
    if (fd >= 0) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
        container_thaw_quietly(id);
        /* The pidfd turns readable when the init exits. */
        while (poll(&p, 1, timeout_s * 1000) < 0 && errno == EINTR)
            ;
        if (!(p.revents & POLLIN))
            syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
        close(fd);
    }
    return container_wait_stopped(id, 15000, err);
}

int container_remove(const char *id, bool force, struct osbox_err *err)
{
    struct container_live l;
    _cleanup_free_ char *live = runtime_live_dir(id);

    container_live_read(id, &l);
    if (l.running || l.holder_alive) {
        if (!force)
            return osbox_error(err, 0,
                               "container %.12s is running: stop it first, or use rm -f", id);
        request_stop(id);
        if (l.running) {
            int fd = init_pidfd(&l);
            if (fd >= 0) {
                syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
                close(fd);
            }
            container_thaw_quietly(id); /* a v1-frozen task dies only once thawed */
        }
        if (container_wait_stopped(id, 15000, err) < 0)
            return -1;
    }
    /* Live state whose holder was killed: gc tears it down (cgroup, mounts). */
    if (access(live, F_OK) == 0 && runtime_gc(NULL, err) < 0)
        return -1;
    struct osbox_record rec;
    struct osbox_err e;
    _cleanup_free_ char *name = state_read_record(id, &rec, &e) == 0 ? osbox_xstrdup(rec.name ? rec.name : "") : NULL;
    if (name)
        osbox_record_free(&rec);
    if (state_remove_container(id, err) < 0)
        return -1;
    event_log(id, name ? name : "", "destroy", -1);
    return 0;
}

int container_wait_exit(const char *id, int *code, struct osbox_err *err)
{
    struct osbox_record rec;

    if (container_wait_stopped(id, -1, err) < 0)
        return -1;
    /* A foreground osbox writes the exit code just after its cleanup. */
    for (int i = 0;; i++) {
        if (state_read_record(id, &rec, err) < 0)
            return osbox_error_prefix(err, "container %.12s", id);
        if (i >= 100 || (rec.status && strcmp(rec.status, "running") && strcmp(rec.status, "restarting")))
            break;
        osbox_record_free(&rec);
        usleep(20 * 1000);
    }
    *code = rec.exit_code;
    osbox_record_free(&rec);
    return 0;
}
