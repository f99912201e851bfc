/* A detached container's stdout+stderr: the logger process writes them to
 * container.log and, when that reaches the cap, renames it to container.log.1
 * (dropping the older one) and starts afresh; so the log never holds more
 * than twice the cap. `osbox logs` reads both, and follows the current one. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/internal.h"
#include "runtime/lifecycle.h"
#include "util.h"

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

void logs_logger_main(int in, const char *id, uint64_t max)
{
    _cleanup_free_ char *dir = runtime_container_dir(id);
    char *log = osbox_strdup_printf("%s/container.log", dir);
    char *old = osbox_strdup_printf("%s/container.log.1", dir);
    static char buf[65536];
    int fd, nul = open("/dev/null", O_RDWR);
    struct stat st;
    uint64_t size = 0;

    /* Hold nothing else: the pipe's EOF must come when the container's side closes. */
    if (nul >= 0) {
        dup2(nul, 0);
        dup2(nul, 1);
        dup2(nul, 2);
    }
    if (in != 3) {
        dup2(in, 3);
        in = 3;
    }
    close_range(4, ~0U, 0);
    fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd >= 0 && fstat(fd, &st) == 0)
        size = (uint64_t)st.st_size;
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        char *p = buf;
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        while (n > 0 && fd >= 0) {
            if (size >= max) {
                rename(log, old);
                close(fd);
                fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
                size = 0;
                continue;
            }
            size_t w = (size_t)n < max - size ? (size_t)n : (size_t)(max - size);
            if (write_all(fd, p, w) < 0)
                break;
            size += w;
            p += w;
            n -= (ssize_t)w;
        }
    }
    _exit(0);
}

/* Append the whole file at path to *buf. */
static void slurp(int fd, char **buf, size_t *len)
{
    char tmp[65536];
    ssize_t n;

    while ((n = read(fd, tmp, sizeof tmp)) > 0) {
        char *nb = realloc(*buf, *len + (size_t)n + 1);
        if (!nb)
            return;
        *buf = nb;
        memcpy(*buf + *len, tmp, (size_t)n);
        *len += (size_t)n;
    }
}

static size_t tail_start(const char *buf, size_t len, long tail)
{
    size_t i = len;
    long lines = 0;

    if (tail < 0)
        return 0;
    if (tail == 0)
        return len;
    if (i && buf[i - 1] == '\n')
        i--; /* the final newline ends the last line, it does not start one */
    while (i > 0) {
        if (buf[i - 1] == '\n' && ++lines == tail)
            return i;
        i--;
    }
    return 0;
}

static bool holder_alive(const char *id)
{
    struct container_live l;
    container_live_read(id, &l);
    return l.holder_alive || l.running;
}

int logs_copy(const char *id, long tail, bool follow, int out, struct osbox_err *err)
{
    _cleanup_free_ char *dir = runtime_container_dir(id);
    _cleanup_free_ char *log = osbox_strdup_printf("%s/container.log", dir);
    _cleanup_free_ char *old = osbox_strdup_printf("%s/container.log.1", dir);
    _cleanup_free_ char *buf = NULL;
    size_t len = 0, start;
    int fd, ofd;
    struct stat st, now;

    /* Current first: what the logger appends from here on is read by following. */
    fd = open(log, O_RDONLY | O_CLOEXEC);
    ofd = open(old, O_RDONLY | O_CLOEXEC);
    if (ofd >= 0) {
        slurp(ofd, &buf, &len);
        close(ofd);
    }
    if (fd >= 0)
        slurp(fd, &buf, &len);
    start = tail_start(buf, len, tail);
    if (len > start && write_all(out, buf + start, len - start) < 0) {
        if (fd >= 0)
            close(fd);
        return osbox_error(err, errno, "write the log");
    }
    if (!follow) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    for (bool last = false;;) {
        char tmp[65536];
        ssize_t n;
        while (fd >= 0 && (n = read(fd, tmp, sizeof tmp)) > 0)
            if (write_all(out, tmp, (size_t)n) < 0) {
                close(fd);
                return 0; /* reader gone */
            }
        /* Rotated (or created): continue with the new file from its start. */
        if (stat(log, &now) == 0 && (fd < 0 || (fstat(fd, &st) == 0 && st.st_ino != now.st_ino))) {
            if (fd >= 0)
                close(fd);
            fd = open(log, O_RDONLY | O_CLOEXEC);
            continue;
        }
        if (last)
            break;
        if (!holder_alive(id))
            last = true; /* one more pass for the final bytes */
        else
            poll(NULL, 0, 100);
    }
    if (fd >= 0)
        close(fd);
    return 0;
}
