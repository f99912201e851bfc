/* epoll, level-triggered: an interest list of (fd, events, data); epoll_wait
 * reports every file that is ready right now, sleeping until the network
 * stack signals a change (net_notify) or, for pipes and the console, the
 * next 10 ms check.  EPOLLET is accepted and treated as level-triggered;
 * EPOLLONESHOT disarms the entry after it is reported. */
#include "kernel.h"
#include "mm.h"
#include "proc.h"
#include "fs.h"
#include "errno.h"
#include "syscall.h"
#include "tty.h"
#include "sock.h"

#define EPOLL_CTL_ADD 1
#define EPOLL_CTL_DEL 2
#define EPOLL_CTL_MOD 3
#define EPOLLONESHOT (1U << 30)
#define EPOLL_CLOEXEC 02000000
#define EPOLL_MAX_ITEMS 1024

struct epoll_event_k { u32 events; u64 data; } __attribute__((packed));

struct epitem {
    int fd;
    struct file *file;          /* compared, never dereferenced once the fd changed */
    u32 events;
    u64 data;
    struct epitem *next;
};
struct epoll { struct epitem *items; int n; };

/* readiness of any open file (POLLIN/POLLOUT/...), shared with select */
int file_poll_mask(struct file *f)
{
    switch (f->type) {
    case FT_SOCKET: case FT_EPOLL: return net_file_poll(f);
    case FT_PIPE: return pipe_poll(f->pipe, f->pipe_write);
    case FT_CONSOLE: return POLLOUT | (tty_readable() ? POLLIN : 0);
    default: return POLLIN | POLLOUT;
    }
}

/* the item's fd still names the file it was added with */
static bool item_live(struct epitem *it) { return fd_get(it->fd) == it->file; }

static u32 item_ready(struct epitem *it)
{
    if (!item_live(it)) return 0;
    return (u32)file_poll_mask(it->file) & (it->events | POLLERR | POLLHUP);
}

int epoll_poll(void *p)
{
    struct epoll *ep = p;
    for (struct epitem *it = ep->items; it; it = it->next)
        if (it->file->type != FT_EPOLL && item_ready(it)) return POLLIN;
    return 0;
}

void epoll_release(void *p)
{
    struct epoll *ep = p;
    while (ep->items) {
        struct epitem *it = ep->items;
        ep->items = it->next;
        kfree(it);
    }
    kfree(ep);
}

static long create(int flags)
{
    if (flags & ~EPOLL_CLOEXEC) return -EINVAL;
    struct epoll *ep = kzalloc(sizeof *ep);
    struct file *f = ep ? file_alloc(FT_EPOLL, O_RDWR) : NULL;
    if (!f) { kfree(ep); return -ENOMEM; }
    f->priv = ep;
    int fd = fd_install(f, 0, flags & EPOLL_CLOEXEC);
    if (fd < 0) file_put(f);
    return fd;
}
SYSCALL(sys_epoll_create1) { UNUSED_ARGS; return create((int)a0); }
SYSCALL(sys_epoll_create) { UNUSED_ARGS; return (int)a0 <= 0 ? -EINVAL : create(0); }

static struct epoll *epoll_of(int fd)
{
    struct file *f = fd_get(fd);
    return f && f->type == FT_EPOLL ? f->priv : NULL;
}

SYSCALL(sys_epoll_ctl)
{
    UNUSED_ARGS;
    struct epoll *ep = epoll_of((int)a0);
    struct file *target = fd_get((int)a2);
    if (!fd_get((int)a0) || !target) return -EBADF;
    if (!ep || a0 == a2) return -EINVAL;
    struct epoll_event_k ev = { 0, 0 };
    if (a1 != EPOLL_CTL_DEL && copy_from_user(&ev, a3, sizeof ev)) return -EFAULT;
    for (struct epitem **pp = &ep->items; *pp;) {     /* forget closed fds */
        struct epitem *dead = *pp;
        if (item_live(dead)) { pp = &dead->next; continue; }
        *pp = dead->next;
        kfree(dead);
        ep->n--;
    }
    struct epitem **pp = &ep->items, *it;
    while ((it = *pp) && it->fd != (int)a2) pp = &it->next;
    switch (a1) {
    case EPOLL_CTL_ADD:
        if (it) return -EEXIST;
        if (ep->n >= EPOLL_MAX_ITEMS) return -ENOSPC;
        if (!(it = kzalloc(sizeof *it))) return -ENOMEM;
        it->fd = (int)a2;
        it->file = target;
        it->next = ep->items;
        ep->items = it;
        ep->n++;
        /* fall through */
    case EPOLL_CTL_MOD:
        if (!it) return -ENOENT;
        it->events = ev.events;
        it->data = ev.data;
        return 0;
    case EPOLL_CTL_DEL:
        if (!it) return -ENOENT;
        *pp = it->next;
        kfree(it);
        ep->n--;
        return 0;
    }
    return -EINVAL;
}

static long wait(int epfd, u64 uevents, int maxevents, int timeout)
{
    struct epoll *ep = epoll_of(epfd);
    if (!fd_get(epfd)) return -EBADF;
    if (!ep || maxevents <= 0 || maxevents > 65536) return -EINVAL;
    u64 deadline = timeout > 0 ? time_ns() + (u64)timeout * 1000000UL : 0;
    for (;;) {
        int n = 0;
        for (struct epitem *it = ep->items; it && n < maxevents; it = it->next) {
            u32 r = it->events & ~EPOLLONESHOT ? item_ready(it) : 0;
            if (!r) continue;
            struct epoll_event_k ev = { r, it->data };
            if (copy_to_user(uevents + (u64)n * sizeof ev, &ev, sizeof ev)) return n ? n : -EFAULT;
            if (it->events & EPOLLONESHOT) it->events = EPOLLONESHOT;   /* disarmed until MOD */
            n++;
        }
        if (n || timeout == 0 || (deadline && time_ns() >= deadline)) return n;
        u64 wake = time_ns() + 10000000UL;
        if (deadline && deadline < wake) wake = deadline;
        sleep_on_timeout(&cur->wake_at_ns, wake);   /* net_notify wakes us early */
        if (signal_pending(cur)) return -EINTR;
    }
}
SYSCALL(sys_epoll_wait) { UNUSED_ARGS; return wait((int)a0, a1, (int)a2, (int)a3); }
SYSCALL(sys_epoll_pwait) { UNUSED_ARGS; return wait((int)a0, a1, (int)a2, (int)a3); }
