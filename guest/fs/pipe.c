/* Pipes: a ring buffer with sleeping readers and writers; pipe(2) makes
 * both ends at once, a named pipe (mkfifo) gets its ends from open(2). */
#include "kernel.h"
#include "fs.h"
#include "proc.h"
#include "mm.h"
#include "errno.h"

#define PIPE_SIZE 4096
struct pipe {
    u8 buf[PIPE_SIZE];
    u32 rpos, wpos;     /* free-running */
    int readers, writers;
    u32 fifo_ino;           /* named pipe: its inode, else 0 */
    struct pipe *fifo_next; /* in fifos */
    u64 opens[2];           /* named pipe: opens of the read [0] and write [1] end so far */
};

/* Named pipes open now, found by inode number: both ends of a FIFO share
 * one pipe while anyone has it open (the data never goes to the disk). */
static struct pipe *fifos;

int pipe_create(struct file **r, struct file **w)
{
    struct pipe *p = kzalloc(sizeof *p);
    if (!p) return -ENOMEM;
    *r = file_alloc(FT_PIPE, O_RDONLY);
    *w = file_alloc(FT_PIPE, O_WRONLY);
    p->readers = p->writers = 1;
    (*r)->pipe = (*w)->pipe = p;
    (*w)->pipe_write = true;
    return 0;
}

ssize_t pipe_read(struct pipe *p, void *buf, size_t n, bool nonblock)
{
    while (p->rpos == p->wpos) {
        if (!p->writers) return 0;
        if (nonblock) return -EAGAIN;
        sleep_on(&p->rpos);
        if (signal_pending(cur)) return -EINTR;
    }
    size_t done = 0;
    while (done < n && p->rpos != p->wpos) ((u8 *)buf)[done++] = p->buf[p->rpos++ % PIPE_SIZE];
    wakeup(&p->wpos);
    return done;
}

ssize_t pipe_write(struct pipe *p, const void *buf, size_t n)
{
    size_t done = 0;
    while (done < n) {
        if (!p->readers) {
            force_signal(cur, SIGPIPE);
            return done ? (ssize_t)done : -EPIPE;
        }
        if (p->wpos - p->rpos == PIPE_SIZE) {
            wakeup(&p->rpos);
            sleep_on(&p->wpos);
            if (signal_pending(cur)) return done ? (ssize_t)done : -EINTR;
            continue;
        }
        p->buf[p->wpos++ % PIPE_SIZE] = ((const u8 *)buf)[done++];
    }
    wakeup(&p->rpos);
    return done;
}

void pipe_close(struct pipe *p, bool writer)
{
    if (writer) p->writers--; else p->readers--;
    wakeup(&p->rpos);
    wakeup(&p->wpos);
    if (p->readers || p->writers) return;
    for (struct pipe **pp = &fifos; *pp; pp = &(*pp)->fifo_next)
        if (*pp == p) { *pp = p->fifo_next; break; }
    kfree(p);
}

/* open(2) of a FIFO inode.  As on Linux, each end waits until the other is
 * open (or was opened meanwhile: a writer that came and went still counts);
 * with O_NONBLOCK a reader goes on at once and a writer without a reader
 * gets ENXIO.  O_RDWR, which Linux allows, is not supported. */
int fifo_open(u32 ino, int flags, struct file **out)
{
    int acc = flags & O_ACCMODE;
    bool writer = acc == O_WRONLY, nonblock = flags & O_NONBLOCK;
    if (acc == O_RDWR) return -EINVAL;
    struct pipe *p = fifos;
    while (p && p->fifo_ino != ino) p = p->fifo_next;
    if (writer && nonblock && (!p || !p->readers)) return -ENXIO;
    if (!p) {
        if (!(p = kzalloc(sizeof *p))) return -ENOMEM;
        p->fifo_ino = ino;
        p->fifo_next = fifos;
        fifos = p;
    }
    struct file *f = file_alloc(FT_PIPE, flags);
    if (!f) return -ENOMEM;
    f->pipe = p;
    f->pipe_write = writer;
    if (writer) p->writers++; else p->readers++;
    p->opens[writer]++;
    wakeup(&p->opens);
    u64 seen = p->opens[!writer];
    while (!nonblock && !(writer ? p->readers : p->writers) && p->opens[!writer] == seen) {
        sleep_on(&p->opens);
        if (signal_pending(cur)) { file_put(f); return -EINTR; }
    }
    *out = f;
    return 0;
}

int pipe_poll(struct pipe *p, bool writer)
{
    if (writer) return !p->readers ? 0x8 : (p->wpos - p->rpos < PIPE_SIZE ? 0x4 : 0);
    return p->rpos != p->wpos ? 0x1 : (!p->writers ? 0x10 : 0);
}
