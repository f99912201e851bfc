/* Reading and writing cgroup control files, killing what a cgroup holds and
 * removing it: the small operations both cgroup versions share. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime/cgroup/cgroup_internal.h"
#include "util.h"

int cg_write(const char *dir, const char *file, const char *val, struct osbox_err *err)
{
    _cleanup_free_ char *path = osbox_strdup_printf("%s/%s", dir, file);
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
    size_t len = strlen(val);

    if (fd < 0)
        return osbox_error(err, errno, "open %s", path);
    /* One write: the kernel parses each write as a whole value. */
    if (write(fd, val, len) != (ssize_t)len)
        return osbox_error(err, errno, "write '%s' to %s", val, path);
    return 0;
}

int cg_write_fmt(const char *dir, const char *file, struct osbox_err *err, const char *fmt, ...)
{
    char buf[128];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return cg_write(dir, file, buf, err);
}

bool cg_exists(const char *dir, const char *file)
{
    _cleanup_free_ char *path = osbox_strdup_printf("%s/%s", dir, file);
    return access(path, F_OK) == 0;
}

static int read_small(const char *dir, const char *file, char *buf, size_t size)
{
    _cleanup_free_ char *path = osbox_strdup_printf("%s/%s", dir, file);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return -1;
    n = read(fd, buf, size - 1);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return 0;
}

int cg_read_u64(const char *dir, const char *file, uint64_t *out)
{
    char buf[64], *end;

    if (read_small(dir, file, buf, sizeof buf) < 0)
        return -1;
    if (strncmp(buf, "max", 3) == 0) {
        *out = UINT64_MAX;
        return 0;
    }
    errno = 0;
    *out = strtoull(buf, &end, 10);
    return errno || end == buf ? -1 : 0;
}

int cg_read_key(const char *dir, const char *file, const char *key, uint64_t *out)
{
    char buf[4096];
    size_t kl = strlen(key);

    if (read_small(dir, file, buf, sizeof buf) < 0)
        return -1;
    for (char *line = buf; *line; line += strcspn(line, "\n") + (line[strcspn(line, "\n")] != 0)) {
        if (strncmp(line, key, kl) == 0 && line[kl] == ' ') {
            *out = strtoull(line + kl + 1, NULL, 10);
            return 0;
        }
    }
    return -1;
}

/* Call fn(pid) for every pid in dir/cgroup.procs; returns the count, -1 if unreadable. */
static int for_each_proc(const char *dir, bool do_kill)
{
    _cleanup_free_ char *path = osbox_strdup_printf("%s/cgroup.procs", dir);
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    long pid;
    int n = 0;

    if (!f)
        return -1;
    while (fscanf(f, "%ld", &pid) == 1) {
        if (do_kill && pid > 0 && pid != getpid())
            kill((pid_t)pid, SIGKILL);
        n++;
    }
    return n;
}

int cg_count_procs(const char *dir) { return for_each_proc(dir, false); }
int cg_kill_procs(const char *dir) { return for_each_proc(dir, true); }

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Kill, then rmdir dir and any child cgroups the container made (bounded depth),
 * retrying while the kernel still counts dying tasks. */
static int rmdir_tree(const char *dir, int depth, uint64_t deadline, struct osbox_err *err)
{
    DIR *d;
    struct dirent *de;

    if (depth > 16)
        return osbox_error(err, ELOOP, "cgroup %s nested too deep", dir);
    d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : osbox_error(err, errno, "open cgroup %s", dir);
    while ((de = readdir(d))) {
        if (de->d_type != DT_DIR || de->d_name[0] == '.')
            continue;
        _cleanup_free_ char *sub = osbox_strdup_printf("%s/%s", dir, de->d_name);
        if (rmdir_tree(sub, depth + 1, deadline, err) < 0) {
            closedir(d);
            return -1;
        }
    }
    closedir(d);
    for (;;) {
        cg_kill_procs(dir);
        if (rmdir(dir) == 0 || errno == ENOENT)
            return 0;
        if (errno != EBUSY || now_ms() > deadline)
            return osbox_error(err, errno, "remove cgroup %s", dir);
        usleep(5000);
    }
}

int cg_remove(const char *dir, unsigned timeout_ms, struct osbox_err *err)
{
    return rmdir_tree(dir, 0, now_ms() + timeout_ms, err);
}

int cg_wait_empty(const char *dir, bool v2, unsigned timeout_ms)
{
    uint64_t deadline = now_ms() + timeout_ms, populated;

    for (;;) {
        if (v2 && cg_read_key(dir, "cgroup.events", "populated", &populated) == 0) {
            if (!populated)
                return 0;
            cg_kill_procs(dir);
        } else if (cg_kill_procs(dir) <= 0) {
            return 0;
        }
        if (now_ms() > deadline)
            return -1;
        usleep(2000);
    }
}
