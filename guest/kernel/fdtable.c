/* A process's file descriptors: a table that starts small and doubles as
 * higher numbers are used, up to the process's RLIMIT_NOFILE (1024 soft,
 * 4096 hard by default, as Linux gives its first process).  `hi` bounds
 * every scan, so fork and exec of a shell with five fds look at five slots,
 * not a thousand (each one is an emulated instruction under kvm-pvm). */
#include "kernel.h"
#include "proc.h"
#include "fs.h"
#include "mm.h"
#include "errno.h"
#include "syscall.h"

#define FDTABLE_FIRST 16

/* Make room for descriptor fd; 0 or -ENOMEM. */
static int fdtable_grow(struct files *t, int fd)
{
    if (fd < t->cap) return 0;
    int cap = t->cap ? t->cap : FDTABLE_FIRST;
    while (cap <= fd) cap *= 2;
    struct fdent *n = kzalloc((size_t)cap * sizeof *n);
    if (!n) return -ENOMEM;
    if (t->fd) memcpy(n, t->fd, (size_t)t->cap * sizeof *n);
    kfree(t->fd);
    t->fd = n;
    t->cap = cap;
    return 0;
}

struct files *files_new(void)
{
    struct files *t = kzalloc(sizeof *t);
    if (!t) return NULL;
    t->refs = 1;
    if (fdtable_grow(t, 0)) { kfree(t); return NULL; }
    return t;
}

/* fork without CLONE_FILES: the child gets its own table of the same files */
struct files *files_copy(struct files *old)
{
    struct files *t = files_new();
    if (!t) return NULL;
    if (old->hi && fdtable_grow(t, old->hi - 1)) { files_put(t); return NULL; }
    for (int i = 0; i < old->hi; i++)
        if (old->fd[i].file) t->fd[i] = (struct fdent){ file_dup(old->fd[i].file), old->fd[i].cloexec };
    t->hi = old->hi;
    return t;
}

void files_put(struct files *t)
{
    if (!t || --t->refs > 0) return;
    for (int i = 0; i < t->hi; i++) file_put(t->fd[i].file);
    kfree(t->fd);
    kfree(t);
}

/* execve: close what was opened with O_CLOEXEC / FD_CLOEXEC */
void files_close_on_exec(struct files *t)
{
    for (int i = 0; i < t->hi; i++)
        if (t->fd[i].cloexec) { file_put(t->fd[i].file); t->fd[i] = (struct fdent){ NULL, false }; }
}

struct file *fd_get(int fd)
{
    struct files *t = cur->files;
    return fd >= 0 && fd < t->hi ? t->fd[fd].file : NULL;
}

/* The descriptor limit of the calling process (its RLIMIT_NOFILE soft value). */
static int fd_limit(void) { return (int)MIN(cur->leader->rlim[RLIMIT_NOFILE].soft, (u64)NR_OPEN); }

/* Put f at descriptor fd (closing what was there); 0 or -errno. */
int fd_assign(int fd, struct file *f, bool cloexec)
{
    struct files *t = cur->files;
    if (fd < 0 || fd >= fd_limit()) return -EBADF;
    if (fdtable_grow(t, fd)) return -ENOMEM;
    struct file *old = t->fd[fd].file;
    t->fd[fd] = (struct fdent){ f, cloexec };
    if (fd >= t->hi) t->hi = fd + 1;
    file_put(old);
    return 0;
}

/* The lowest free descriptor >= min gets f; the number or -EMFILE. */
int fd_install(struct file *f, int min, bool cloexec)
{
    struct files *t = cur->files;
    int i = min < 0 ? 0 : min;
    while (i < t->hi && t->fd[i].file) i++;
    if (i >= fd_limit()) return -EMFILE;
    int r = fd_assign(i, f, cloexec);
    return r ? r : i;
}

/* Take descriptor fd out of the table; its file, or NULL if it was not open. */
struct file *fd_remove(int fd)
{
    struct files *t = cur->files;
    struct file *f = fd_get(fd);
    if (!f) return NULL;
    t->fd[fd] = (struct fdent){ NULL, false };
    while (t->hi && !t->fd[t->hi - 1].file) t->hi--;
    return f;
}

int fd_cloexec(int fd) { return fd_get(fd) ? cur->files->fd[fd].cloexec : -EBADF; }
void fd_set_cloexec(int fd, bool on) { if (fd_get(fd)) cur->files->fd[fd].cloexec = on; }

/* The open descriptors of a process in ascending order, for /proc/PID/fd:
 * how many were written to out (at most n). */
int fd_list(struct proc *p, int *out, int n)
{
    struct files *t = p->files;
    int k = 0;
    for (int i = 0; t && i < t->hi && k < n; i++)
        if (t->fd[i].file) out[k++] = i;
    return k;
}
