/* The logger of a detached container: one process draining two pipes (the
 * container's stdout and stderr) into ctr.log, one record per line:
 *
 *     2026-11-24T09:16:03.123456789Z stdout F hello
 *     2026-11-24T09:16:03.123460000Z stderr P partial-without-newline
 *
 * This is Podman's k8s-file format (also the CRI log format): a text line
 * per record, so a huge log is read and tailed with bounded memory, the two
 * streams keep their order (the order in which the logger read them) in one
 * file, and no index is needed to merge two files. "F" means the text ended
 * with a newline (stripped here), "P" that it did not: a reader joins P
 * records of a stream to the next record of that stream, so a line split
 * across reads, or a last line without a newline, is kept byte-exact. The
 * timestamp is UTC, always 9 fraction digits (fixed width, sorts as text).
 * A TTY container has one stream, the pty, recorded as stdout.
 *
 * At the size cap ctr.log is renamed to ctr.log.1 (dropping the older one)
 * between two records, so the log never holds more than twice the cap.
 * Logs written before this format (container.log[.1], raw bytes, both
 * streams mixed) are still read by logs_read.c, as stdout. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime/core/internal.h"
#include "runtime/lifecycle/lifecycle.h"
#include "util.h"

struct logger {
    char *log, *old;
    int fd;
    uint64_t size, max;
    size_t chunk;         /* most text bytes in one record */
};

static void log_open(struct logger *g, bool truncate)
{
    struct stat st;

    g->fd = open(g->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0), 0600);
    g->size = g->fd >= 0 && fstat(g->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* Records are gathered per chunk read and written with one write
 * (O_APPEND), so a fast writer costs a syscall per 64 KiB, not per line;
 * a reader waits for a record's newline, so it never takes half of one. */
static char pend[256 * 1024];
static size_t pend_len;

static void flush(struct logger *g)
{
    if (pend_len && g->fd >= 0 && osbox_write_all(g->fd, pend, pend_len) == 0)
        g->size += pend_len;
    pend_len = 0;
}

/* Rotation falls between records: a file never holds half of one. */
static void put_record(struct logger *g, const char *ts, int stream, bool full,
                       const char *text, size_t len)
{
    size_t n = LOG_TS_LEN + 10 + len + 1;

    if (g->size + pend_len && g->size + pend_len + n > g->max) {
        flush(g);
        rename(g->log, g->old);
        if (g->fd >= 0)
            close(g->fd);
        log_open(g, true);
    }
    if (pend_len + n > sizeof pend)
        flush(g);
    pend_len += (size_t)snprintf(pend + pend_len, sizeof pend - pend_len, "%s %s %c ", ts,
                                 stream ? "stderr" : "stdout", full ? 'F' : 'P');
    memcpy(pend + pend_len, text, len);
    pend_len += len;
    pend[pend_len++] = '\n';
}

/* A chunk read from one stream: its lines as F records, the rest as P. */
static void put_chunk(struct logger *g, int stream, const char *p, size_t n)
{
    char ts[LOG_TS_LEN + 1];

    osbox_rfc3339_now(ts);
    while (n) {
        const char *nl = memchr(p, '\n', n < g->chunk ? n : g->chunk);
        size_t len = nl ? (size_t)(nl - p) : (n < g->chunk ? n : g->chunk);
        put_record(g, ts, stream, nl != NULL, p, len);
        len += nl != NULL;
        p += len;
        n -= len;
    }
    flush(g);
}

void logs_logger_main(int out, int err, const char *id, uint64_t max)
{
    logs_logger_main_at(out, err, runtime_container_dir(id), max);
}

void logs_logger_main_at(int out, int err, const char *dir, uint64_t max)
{
    struct logger g = { .max = max };
    static char buf[65536];
    struct pollfd pf[2];
    int nul = open("/dev/null", O_RDWR);

    g.log = osbox_strdup_printf("%s/" LOG_FILE, dir);
    g.old = osbox_strdup_printf("%s/" LOG_FILE ".1", dir);
    /* Records stay well under the cap (>= 4 KiB), so a file never exceeds it. */
    g.chunk = max / 2 < LOG_CHUNK_MAX ? (size_t)(max / 2) : LOG_CHUNK_MAX;
    /* Hold nothing else: each pipe's EOF must come when the container's side closes. */
    out = fcntl(out, F_DUPFD, 10);
    err = err >= 0 ? fcntl(err, F_DUPFD, 10) : -1;
    if (nul >= 0) {
        dup2(nul, 0);
        dup2(nul, 1);
        dup2(nul, 2);
    }
    dup2(out, 3);
    if (err >= 0)
        dup2(err, 4);
    close_range(err >= 0 ? 5 : 4, ~0U, 0);
    pf[0] = (struct pollfd){ .fd = 3, .events = POLLIN };
    pf[1] = (struct pollfd){ .fd = err >= 0 ? 4 : -1, .events = POLLIN };
    log_open(&g, false);
    while (pf[0].fd >= 0 || pf[1].fd >= 0) {
        if (poll(pf, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        /* stdout first when both are ready: the order seen is all there is. */
        for (int s = 0; s < 2; s++) {
            if (pf[s].fd < 0 || !(pf[s].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t n = read(pf[s].fd, buf, sizeof buf);
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (n <= 0) {
                close(pf[s].fd);
                pf[s].fd = -1;
                continue;
            }
            put_chunk(&g, s, buf, (size_t)n);
        }
    }
    _exit(0);
}
