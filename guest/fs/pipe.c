/* Pipes: a ring buffer with sleeping readers and writers. */
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
};

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
    if (!p->readers && !p->writers) kfree(p);
}

int pipe_poll(struct pipe *p, bool writer)
{
    if (writer) return !p->readers ? 0x8 : (p->wpos - p->rpos < PIPE_SIZE ? 0x4 : 0);
    return p->rpos != p->wpos ? 0x1 : (!p->writers ? 0x10 : 0);
}
