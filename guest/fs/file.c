/* Open-file objects and the device files (/dev/console, null, zero, tty;
 * /proc files come from fs/procfs.c). */
#include "kernel.h"
#include "fs.h"
#include "mm.h"
#include "errno.h"

struct file *file_alloc(enum ftype type, int flags)
{
    struct file *f = kzalloc(sizeof *f);
    if (!f) return NULL;
    f->refs = 1;
    f->type = type;
    f->flags = flags;
    return f;
}

struct file *file_dup(struct file *f) { f->refs++; return f; }

void file_put(struct file *f)
{
    if (!f || --f->refs > 0) return;
    if (f->type == FT_INODE) iput(f->ip);
    if (f->type == FT_PIPE) pipe_close(f->pipe, f->pipe_write);
    if (f->type == FT_SOCKET || f->type == FT_EPOLL) net_file_release(f);
    if (f->type == FT_MEM) kfree(f->priv);
    kfree(f->path);
    kfree(f);
}

ssize_t file_read(struct file *f, void *kbuf, size_t n)
{
    ssize_t r;
    switch (f->type) {
    case FT_INODE:
        if (S_ISDIR(f->ip->d.mode)) return -EISDIR;
        r = ext2_read(f->ip, kbuf, f->off, n);
        if (r > 0) f->off += r;
        return r;
    case FT_PIPE: return f->pipe_write ? -EBADF : pipe_read(f->pipe, kbuf, n, f->flags & O_NONBLOCK);
    case FT_CONSOLE: return tty_read(kbuf, n);
    case FT_NULL: return 0;
    case FT_ZERO: memset(kbuf, 0, n); return n;
    case FT_SOCKET: return sock_read(f, kbuf, n);
    case FT_EPOLL: return -EINVAL;
    case FT_MEM:
        if (f->mem_dir) return -EISDIR;
        if (f->off >= f->mem_len) return 0;
        r = MIN(n, f->mem_len - f->off);
        memcpy(kbuf, (char *)f->priv + f->off, r);
        f->off += r;
        return r;
    }
    return -EINVAL;
}

ssize_t file_write(struct file *f, const void *kbuf, size_t n)
{
    ssize_t r;
    switch (f->type) {
    case FT_INODE:
        if (f->flags & O_APPEND) f->off = isize(f->ip);
        r = ext2_write(f->ip, kbuf, f->off, n);
        if (r > 0) f->off += r;
        return r;
    case FT_PIPE: return f->pipe_write ? pipe_write(f->pipe, kbuf, n) : -EBADF;
    case FT_CONSOLE: console_write(kbuf, n); return n;
    case FT_NULL: case FT_ZERO: return n;
    case FT_SOCKET: return sock_write(f, kbuf, n);
    case FT_EPOLL: return -EINVAL;
    case FT_MEM: return -EBADF;
    }
    return -EINVAL;
}

bool dev_path(const char *path)
{
    return !strncmp(path, "/dev/", 5) || !strncmp(path, "/proc/", 6) || !strcmp(path, "/proc");
}

int dev_open(const char *path, int flags, struct file **out)
{
    if (!strncmp(path, "/proc/", 6) || !strcmp(path, "/proc")) return proc_open(path, flags, out);
    static const struct { const char *name; enum ftype t; } devs[] = {
        { "/dev/console", FT_CONSOLE }, { "/dev/tty", FT_CONSOLE }, { "/dev/ttyS0", FT_CONSOLE },
        { "/dev/null", FT_NULL }, { "/dev/zero", FT_ZERO },
    };
    for (size_t i = 0; i < ARRAY_SIZE(devs); i++)
        if (!strcmp(path, devs[i].name)) {
            *out = file_alloc(devs[i].t, flags);
            return *out ? 0 : -ENOMEM;
        }
    return -ENOENT;
}
