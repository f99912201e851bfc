/* bench: run one workload invocation and collect what it printed.
 *
 * The child runs in its own process group (so a timeout can stop the whole
 * tree). While it runs we read its stdout/stderr and, every few ms, add up the
 * resident memory of its process tree (/proc/PID/task/TID/children), which
 * for a container includes `osbox run` and the container's init, and for a VM
 * the VMM with the guest memory it touched. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/lib/bench.h"
#include "util.h"

#define SAMPLE_MS 10
#define MAX_DEPTH 16

struct buf {
    char *p;
    size_t len;
};

static void buf_append(struct buf *b, const char *data, size_t len, size_t cap)
{
    if (cap && b->len + len > cap) { /* keep only the tail (stderr) */
        if (len >= cap) {
            data += len - cap;
            len = cap;
            b->len = 0;
        } else {
            size_t drop = b->len + len - cap;
            memmove(b->p, b->p + drop, b->len - drop);
            b->len -= drop;
        }
    }
    char *np = realloc(b->p, b->len + len + 1);
    if (!np)
        abort();
    b->p = np;
    memcpy(b->p + b->len, data, len);
    b->len += len;
    b->p[b->len] = '\0';
}

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Resident KiB of pid and all its descendants (0 if it is gone). */
static unsigned long long tree_rss_kib(pid_t pid, int depth)
{
    char path[64], line[128], *kids = NULL;
    unsigned long long size, rss, total = 0;
    long page_kib = sysconf(_SC_PAGESIZE) / 1024;
    struct dirent *de;
    DIR *d;
    FILE *f;

    snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
    if (!(f = fopen(path, "re")))
        return 0;
    if (fgets(line, sizeof line, f) && sscanf(line, "%llu %llu", &size, &rss) == 2)
        total = rss * (unsigned long long)page_kib;
    fclose(f);
    if (depth >= MAX_DEPTH)
        return total;
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    if (!(d = opendir(path)))
        return total;
    while ((de = readdir(d))) {
        char cpath[300];
        size_t len;
        if (de->d_name[0] == '.')
            continue;
        snprintf(cpath, sizeof cpath, "/proc/%d/task/%s/children", (int)pid, de->d_name);
        if (osbox_read_file(cpath, &kids, &len, &(struct osbox_err){ 0 }) < 0)
            continue;
        char *save = NULL; /* strtok_r: we recurse inside the loop */
        for (char *tok = strtok_r(kids, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
            total += tree_rss_kib((pid_t)atoi(tok), depth + 1);
        free(kids);
        kids = NULL;
    }
    closedir(d);
    return total;
}

/* Timeout: SIGTERM first, so `osbox run` can stop its container and clean up
 * (mounts, cgroup); SIGKILL for whatever is left after a grace period. */
static void stop_tree(pid_t pid)
{
    int status;

    kill(-pid, SIGTERM);
    for (int i = 0; i < 500; i++) { /* 5 s */
        if (waitpid(pid, &status, WNOHANG) == pid) {
            kill(-pid, SIGKILL); /* stragglers of the group */
            return;
        }
        usleep(10000);
    }
    kill(-pid, SIGKILL);
    waitpid(pid, &status, 0);
}

static void replace_t0(char **argv, char **saved, const char *t0var)
{
    for (int i = 0; argv[i]; i++) {
        saved[i] = NULL;
        if (!strcmp(argv[i], "OSBOX_BENCH_T0=@")) {
            saved[i] = argv[i];
            argv[i] = (char *)t0var;
        }
    }
}

static void restore_t0(char **argv, char **saved)
{
    for (int i = 0; argv[i]; i++)
        if (saved[i])
            argv[i] = saved[i];
}

/* Parse the metric lines into r. Returns how many metrics were taken. */
static int parse_lines(const struct bench_invocation *inv, char *out, struct bench_results *r,
                       struct osbox_err *err)
{
    int taken = 0;
    char *save = NULL;

    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_error_t jerr;
        json_t *o = json_loads(line, 0, &jerr);
        const char *wl = json_string_value(json_object_get(o, "workload"));
        const char *metric = json_string_value(json_object_get(o, "metric"));
        const char *unit = json_string_value(json_object_get(o, "unit"));
        json_t *value = json_object_get(o, "value");

        if (!o || !wl || !metric || !unit || !json_is_number(value)) {
            json_decref(o);
            return osbox_error(err, 0, "%s: not a metric line: %.200s", inv->workload, line);
        }
        if (strcmp(wl, inv->workload)) {
            json_decref(o);
            return osbox_error(err, 0, "%s: line from workload '%s'", inv->workload, wl);
        }
        if (!strcmp(metric, "startup_us") && inv->startup_from_output)
            ; /* measured from outside instead */
        else if (!strcmp(metric, "startup_us"))
            bench_series_add(&r->startup_ms[inv->mode], json_number_value(value) / 1000.0);
        else {
            bench_series_add(&bench_row_get(r, wl, metric, unit)->mode[inv->mode],
                             json_number_value(value));
            taken++;
        }
        json_decref(o);
    }
    return taken;
}

int bench_exec(const struct bench_invocation *inv, struct bench_results *r, struct osbox_err *err)
{
    int out_pipe[2], err_pipe[2], status = 0, rc = -1, open_fds = 2;
    struct buf out = { 0 }, errb = { 0 };
    unsigned long long peak = 0;
    char t0var[64], *saved[256];
    long long deadline, next_sample = 0, launched, first_out = -1;
    struct timespec t0;
    struct rusage ru;
    pid_t pid, w;

    if (osbox_strv_len(inv->argv) >= 256)
        return osbox_error(err, E2BIG, "bench: too many arguments");
    if (pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC))
        return osbox_error(err, errno, "pipe");
    clock_gettime(CLOCK_REALTIME, &t0);
    snprintf(t0var, sizeof t0var, "OSBOX_BENCH_T0=%lld",
             (long long)t0.tv_sec * 1000000000LL + t0.tv_nsec);
    replace_t0(inv->argv, saved, t0var);
    pid = fork();
    if (pid < 0) {
        int e = errno;
        restore_t0(inv->argv, saved);
        close(out_pipe[0]);
        close(out_pipe[1]);
        close(err_pipe[0]);
        close(err_pipe[1]);
        return osbox_error(err, e, "fork");
    }
    if (pid == 0) {
        setpgid(0, 0);
        /* Not the terminal: a background process group touching it would
         * stop on SIGTTIN/SIGTTOU (vm run puts a terminal stdin in raw mode). */
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null >= 0)
            dup2(null, 0);
        dup2(out_pipe[1], 1);
        dup2(err_pipe[1], 2);
        putenv(t0var);
        execvp(inv->argv[0], inv->argv);
        dprintf(2, "exec %s: %s\n", inv->argv[0], strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid); /* also from here: no race with the kill below */
    restore_t0(inv->argv, saved);
    close(out_pipe[1]);
    close(err_pipe[1]);
    launched = now_ms();
    deadline = launched + (long long)inv->timeout_s * 1000;

    struct pollfd pfd[2] = { { out_pipe[0], POLLIN, 0 }, { err_pipe[0], POLLIN, 0 } };
    for (;;) {
        long long now = now_ms();
        if (now >= next_sample) {
            unsigned long long kib = tree_rss_kib(pid, 0);
            if (kib > peak)
                peak = kib;
            next_sample = now + SAMPLE_MS;
        }
        if (now >= deadline) {
            stop_tree(pid);
            osbox_error(err, 0, "%s (%s): timed out after %d s", inv->workload,
                        bench_mode_names[inv->mode], inv->timeout_s);
            goto out;
        }
        if (open_fds == 0) {
            w = wait4(pid, &status, WNOHANG, &ru);
            if (w == pid)
                break;
            if (w < 0 && errno != EINTR) {
                osbox_error(err, errno, "wait for %s", inv->workload);
                goto out;
            }
            usleep(SAMPLE_MS * 1000 / 2);
            continue;
        }
        if (poll(pfd, 2, SAMPLE_MS) < 0 && errno != EINTR) {
            osbox_error(err, errno, "poll");
            goto out;
        }
        for (int i = 0; i < 2; i++) {
            char chunk[4096];
            ssize_t n;
            if (pfd[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            n = read(pfd[i].fd, chunk, sizeof chunk);
            if (n > 0 && i == 0 && first_out < 0)
                first_out = now_ms() - launched;
            if (n > 0)
                buf_append(i == 0 ? &out : &errb, chunk, (size_t)n, i == 0 ? 0 : 2048);
            else if (n == 0 || errno != EINTR) {
                close(pfd[i].fd);
                pfd[i].fd = -1;
                open_fds--;
            }
        }
    }
    if ((unsigned long long)ru.ru_maxrss > peak)
        peak = (unsigned long long)ru.ru_maxrss;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char *nl;
        while (errb.len && errb.p[errb.len - 1] == '\n')
            errb.p[--errb.len] = '\0';
        nl = errb.p ? strrchr(errb.p, '\n') : NULL;
        osbox_error(err, 0, "%s (%s) failed with %s %d%s%s", inv->workload,
                    bench_mode_names[inv->mode], WIFEXITED(status) ? "status" : "signal",
                    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
                    errb.len ? ": " : "", errb.len ? (nl ? nl + 1 : errb.p) : "");
        goto out;
    }
    if (!out.p) {
        osbox_error(err, 0, "%s (%s) printed nothing", inv->workload, bench_mode_names[inv->mode]);
        goto out;
    }
    rc = parse_lines(inv, out.p, r, err);
    if (rc == 0)
        rc = osbox_error(err, 0, "%s (%s) printed no metrics", inv->workload,
                         bench_mode_names[inv->mode]);
    if (rc > 0) {
        if (inv->startup_from_output)
            bench_series_add(&r->startup_ms[inv->mode], (double)first_out);
        bench_series_add(&r->mem_kib[inv->mode], (double)peak);
        bench_series_add(&bench_mem_row(r, inv->workload)->mode[inv->mode], (double)peak / 1024.0);
        rc = 0;
    }
out:
    for (int i = 0; i < 2; i++)
        if (pfd[i].fd >= 0)
            close(pfd[i].fd);
    free(out.p);
    free(errb.p);
    return rc;
}
