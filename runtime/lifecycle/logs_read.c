/* osbox logs: read the records logs.c writes (and the raw logs of before),
 * send each stream to its own fd, keep their order, --tail and --follow.
 *
 * Memory stays bounded for any log size: the files are read in passes with
 * a fixed buffer, never loaded whole. --tail N counts lines over both
 * streams, where a line is a run of P records of one stream closed by its F
 * record (or by the end of the log: a last line without newline). Pass 1
 * counts the lines, pass 2 finds where the first wanted one starts in each
 * stream, pass 3 prints from there. Each pass stops at the size every file
 * had when we opened it, so the three agree while the logger appends. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/core/internal.h"
#include "runtime/lifecycle/lifecycle.h"
#include "util.h"

#define SRC_BUF (4 * LOG_CHUNK_MAX)

struct rec {
    int stream;           /* 0 stdout, 1 stderr */
    bool full;            /* F: the text ended with a newline */
    const char *ts;       /* NULL for raw (old format) logs */
    size_t ts_len;
    const char *text;
    size_t len;
};

/* One log file, read with pread from pos up to limit (-1: as far as it goes). */
struct src {
    int fd;
    bool raw;             /* container.log of before: bytes, no records */
    off_t pos, limit;
    size_t head, len;     /* unconsumed bytes buf[head..len) */
    char buf[SRC_BUF];
};

static void src_rewind(struct src *s)
{
    s->pos = 0;
    s->head = s->len = 0;
}

static ssize_t src_fill(struct src *s)
{
    size_t want;
    ssize_t n;

    if (s->head) {
        memmove(s->buf, s->buf + s->head, s->len - s->head);
        s->len -= s->head;
        s->head = 0;
    }
    want = sizeof s->buf - s->len;
    if (s->limit >= 0 && (off_t)want > s->limit - s->pos)
        want = (size_t)(s->limit - s->pos);
    if (!want || s->fd < 0)
        return 0;
    do
        n = pread(s->fd, s->buf + s->len, want, s->pos);
    while (n < 0 && errno == EINTR);
    if (n > 0) {
        s->len += (size_t)n;
        s->pos += n;
    }
    return n;
}

/* "TS stdout|stderr F|P text"; anything else is kept as a stdout line. */
static void parse_record(char *p, size_t n, struct rec *r)
{
    char *sp = memchr(p, ' ', n);
    size_t rest = sp ? n - (size_t)(sp - p) - 1 : 0;

    *r = (struct rec){ .stream = 0, .full = true, .text = p, .len = n };
    if (!sp || rest < 8 || sp[7] != ' ' || (sp[8] != 'F' && sp[8] != 'P') ||
        (memcmp(sp + 1, "stdout", 6) && memcmp(sp + 1, "stderr", 6)))
        return;
    r->ts = p;
    r->ts_len = (size_t)(sp - p);
    r->stream = sp[4] == 'e'; /* std[o]ut vs std[e]rr */
    r->full = sp[8] == 'F';
    r->text = sp + 9 + (rest > 8); /* one space after the flag, none if no text */
    r->len = n - (size_t)(r->text - p);
}

/* The next record, 1; 0 when nothing more is there (yet). A raw log gives
 * each line as an F record and what has no newline (yet) as P records: joined
 * later they are byte-exact. A record without its newline is one the logger
 * is writing right now: wait for the rest. */
static int src_next(struct src *s, struct rec *r)
{
    for (;;) {
        char *p = s->buf + s->head;
        size_t n = s->len - s->head;
        char *nl = memchr(p, '\n', n);

        if (nl) {
            s->head += (size_t)(nl - p) + 1;
            if (s->raw)
                *r = (struct rec){ .full = true, .text = p, .len = (size_t)(nl - p) };
            else
                parse_record(p, (size_t)(nl - p), r);
            return 1;
        }
        if (s->raw && n >= LOG_CHUNK_MAX)
            n = LOG_CHUNK_MAX;
        else if (n < sizeof s->buf && src_fill(s) > 0)
            continue;
        else if (!s->raw && n < sizeof s->buf)
            return 0;
        if (!n)
            return 0;
        p = s->buf + s->head; /* src_fill may have moved the bytes */
        /* Raw bytes without a newline, or a "record" longer than any the logger writes. */
        *r = (struct rec){ .full = false, .text = p, .len = n };
        s->head += n;
        return 1;
    }
}

struct out {
    int fd[2];
    int cur;
    bool timestamps;
    bool mid[2];          /* inside a line of this stream (after a P record) */
    int err;              /* first write error */
    size_t len;
    char buf[65536];
};

static void out_flush(struct out *o)
{
    if (o->len && !o->err && osbox_write_all(o->fd[o->cur], o->buf, o->len) < 0)
        o->err = errno ? errno : EIO;
    o->len = 0;
}

/* Buffered, but flushed whenever the stream changes: with 2>&1 the two
 * streams still come out in the order they were logged. */
static void out_put(struct out *o, int stream, const char *p, size_t n)
{
    if (o->cur != stream) {
        out_flush(o);
        o->cur = stream;
    }
    if (n > sizeof o->buf - o->len)
        out_flush(o);
    if (n > sizeof o->buf) {
        if (!o->err && osbox_write_all(o->fd[stream], p, n) < 0)
            o->err = errno ? errno : EIO;
        return;
    }
    memcpy(o->buf + o->len, p, n);
    o->len += n;
}

static void emit(struct out *o, const struct rec *r)
{
    if (o->timestamps && !o->mid[r->stream] && r->ts) {
        out_put(o, r->stream, r->ts, r->ts_len);
        out_put(o, r->stream, " ", 1);
    }
    out_put(o, r->stream, r->text, r->len);
    if (r->full)
        out_put(o, r->stream, "\n", 1);
    o->mid[r->stream] = !r->full;
}

/* The log files, oldest first: raw .1, raw, records .1, records. */
struct reader {
    struct src *src[4];
    int n;
    struct src *follow;   /* the file the logger writes now (one of src[], or fresh) */
    char *raw_path, *path;
};

static struct src *src_open(const char *path, bool raw, struct stat *st)
{
    struct src *s;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0 || fstat(fd, st) < 0) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    s = osbox_xcalloc(1, sizeof *s);
    s->fd = fd;
    s->raw = raw;
    s->limit = st->st_size;
    return s;
}

static void src_close(struct src *s)
{
    if (!s)
        return;
    if (s->fd >= 0)
        close(s->fd);
    free(s);
}

/* A file and its rotated .1: the current one first, so a rotation between
 * the two opens is seen (both names then lead to one file: read it once). */
static void open_pair(struct reader *rd, const char *path, bool raw, struct src **cur)
{
    _cleanup_free_ char *old = osbox_strdup_printf("%s.1", path);
    struct stat a, b;
    struct src *c = src_open(path, raw, &a), *o = src_open(old, raw, &b);

    if (o && c && a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
        src_close(o);
        o = NULL;
    }
    if (o)
        rd->src[rd->n++] = o;
    if (c)
        rd->src[rd->n++] = c;
    *cur = c;
}

/* Every record of every file, in order; fn gets its ordinal. */
static void walk(struct reader *rd, void (*fn)(void *, const struct rec *, long), void *ctx)
{
    struct rec r;
    long g = 0;

    for (int i = 0; i < rd->n; i++) {
        src_rewind(rd->src[i]);
        while (src_next(rd->src[i], &r))
            fn(ctx, &r, g++);
    }
}

struct count { long lines; bool open[2]; long last[2]; };
static void count_fn(void *ctx, const struct rec *r, long g)
{
    struct count *c = ctx;
    c->lines += r->full;
    c->open[r->stream] = !r->full;
    c->last[r->stream] = g;
}

/* Pass 2: at the end of line number `want` (lines ordered by where they
 * end: an F record, or the last record of an unfinished line), where each
 * stream's line then began: from there on, every record of that stream
 * belongs to one of the last N lines. */
struct find { const struct count *c; long want, seen; long run[2]; long cut[2]; };
static void find_fn(void *ctx, const struct rec *r, long g)
{
    struct find *f = ctx;
    int s = r->stream;

    if (f->seen > f->want)
        return;
    if (!r->full && f->run[s] < 0)
        f->run[s] = g;
    if (!r->full && !(f->c->open[s] && f->c->last[s] == g))
        return; /* inside a line */
    if (f->seen++ == f->want) {
        f->cut[s] = f->run[s] >= 0 ? f->run[s] : g;
        f->cut[!s] = f->run[!s] >= 0 ? f->run[!s] : g;
    }
    f->run[s] = -1;
}

struct print { struct out *o; long cut[2]; };
static void print_fn(void *ctx, const struct rec *r, long g)
{
    struct print *p = ctx;
    if (g >= p->cut[r->stream])
        emit(p->o, r);
}

/* Which records to print for --tail (cut[s]: the first ordinal of stream s). */
static void tail_cut(struct reader *rd, long tail, long cut[2])
{
    struct count c = { 0 };
    struct find f = { .c = &c, .run = { -1, -1 }, .cut = { LONG_MAX, LONG_MAX } };
    long lines;

    cut[0] = cut[1] = 0;
    if (tail < 0)
        return;
    walk(rd, count_fn, &c);
    lines = c.lines + c.open[0] + c.open[1];
    if (tail >= lines)
        return;
    f.want = lines - tail; /* lines to skip: the next one is the first printed */
    if (tail > 0)
        walk(rd, find_fn, &f);
    cut[0] = f.cut[0];
    cut[1] = f.cut[1];
}

static bool holder_alive(void *id)
{
    struct container_live l;
    container_live_read(id, &l);
    return l.holder_alive || l.running;
}

/* Move rd->follow to the file the logger writes now, if that changed
 * (rotated, created, or records after a raw log): the old one is read to
 * its end first. Returns true when it moved. */
static bool follow_switch(struct reader *rd, struct out *o)
{
    struct stat now, st;
    struct src *f = rd->follow;
    /* Raw only while no record file exists: never back to it (nor during a rotation). */
    bool raw = f->raw && access(rd->path, F_OK) < 0;
    const char *want = raw ? rd->raw_path : rd->path;
    struct rec r;
    int fd;

    if (stat(want, &now) < 0)
        return false;
    if (f->fd >= 0 && f->raw == raw && fstat(f->fd, &st) == 0 && st.st_ino == now.st_ino &&
        st.st_dev == now.st_dev)
        return false;
    fd = open(want, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    while (f->fd >= 0 && src_next(f, &r))
        emit(o, &r);
    if (f->fd >= 0)
        close(f->fd);
    f->fd = fd;
    f->raw = raw;
    f->limit = -1;
    src_rewind(f);
    return true;
}

static void follow(bool (*alive)(void *), void *ctx, struct reader *rd, struct out *o)
{
    struct rec r;

    rd->follow->limit = -1;
    for (bool last = false; !o->err;) {
        while (rd->follow->fd >= 0 && src_next(rd->follow, &r))
            emit(o, &r);
        out_flush(o);
        if (follow_switch(rd, o))
            continue;
        if (last)
            break;
        if (!alive(ctx))
            last = true; /* one more pass for the final bytes */
        else
            poll(NULL, 0, 100);
    }
}

int logs_copy(const char *id, const struct logs_opts *opt, int out_fd, int err_fd,
              struct osbox_err *err)
{
    _cleanup_free_ char *dir = runtime_container_dir(id);

    return logs_copy_at(dir, opt, out_fd, err_fd, holder_alive, (void *)id, err);
}

int logs_copy_at(const char *dir, const struct logs_opts *opt, int out_fd, int err_fd,
                 bool (*alive)(void *ctx), void *ctx, struct osbox_err *err)
{
    struct reader rd = { .raw_path = osbox_strdup_printf("%s/" LOG_LEGACY_FILE, dir),
                         .path = osbox_strdup_printf("%s/" LOG_FILE, dir) };
    struct out *o = osbox_xcalloc(1, sizeof *o);
    struct print p = { .o = o };
    struct src *raw_cur = NULL, *cur = NULL;
    int rc = 0;

    *o = (struct out){ .fd = { out_fd, err_fd }, .timestamps = opt->timestamps };
    open_pair(&rd, rd.path, false, &cur);
    /* Records first: once they exist, no old logger writes the raw log any more. */
    struct reader raw = { 0 };
    open_pair(&raw, rd.raw_path, true, &raw_cur);
    memmove(rd.src + raw.n, rd.src, (size_t)rd.n * sizeof *rd.src);
    memcpy(rd.src, raw.src, (size_t)raw.n * sizeof *rd.src);
    rd.n += raw.n;
    rd.follow = cur ? cur : raw_cur;

    tail_cut(&rd, opt->tail, p.cut);
    walk(&rd, print_fn, &p);
    out_flush(o);
    if (opt->follow && !o->err) {
        if (!rd.follow) {
            rd.follow = osbox_xcalloc(1, sizeof *rd.follow);
            rd.follow->fd = -1;
            rd.src[rd.n++] = rd.follow;
        }
        follow(alive, ctx, &rd, o);
    }
    if (o->err && o->err != EPIPE)
        rc = osbox_error(err, o->err, "write the log");
    for (int i = 0; i < rd.n; i++)
        src_close(rd.src[i]);
    free(rd.raw_path);
    free(rd.path);
    free(o);
    return rc;
}
