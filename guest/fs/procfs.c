/* A minimal /proc: files generated when opened (a snapshot, read-only),
 * enough for `cat /proc/self/status`, uptime, free and programs that read
 * their own stat/cmdline.  /proc/self and /proc/PID name a process; there
 * are no directory listings (no `ps`). */
#include "kernel.h"
#include "fs.h"
#include "proc.h"
#include "mm.h"
#include "errno.h"

static char state_char(struct proc *p)
{
    switch (p->state) {
    case P_RUNNING: case P_RUNNABLE: return 'R';
    case P_SLEEPING: return 'S';
    case P_ZOMBIE: case P_DEAD: return 'Z';
    default: return '?';
    }
}

static int threads_of(struct proc *leader)
{
    int n = 0;
    for (int i = 0; i < nproc_hi; i++)
        n += procs[i].state != P_UNUSED && procs[i].state != P_DEAD && procs[i].leader == leader;
    return n;
}

/* The text of PATH (after "/proc/") into buf; length or -errno. */
static int proc_text(const char *path, char *buf, size_t n)
{
    u64 now = time_ns();
    if (!strcmp(path, "uptime"))
        return snprintf(buf, n, "%lu.%02lu 0.00\n", now / 1000000000UL, now / 10000000UL % 100);
    if (!strcmp(path, "meminfo"))
        return snprintf(buf, n, "MemTotal:%16lu kB\nMemFree:%17lu kB\nMemAvailable:%12lu kB\n"
                        "Buffers:%17lu kB\nCached:%18lu kB\nSwapTotal:%15lu kB\nSwapFree:%16lu kB\n",
                        pmm_total_pages() * 4, pmm_free_pages() * 4, pmm_free_pages() * 4, 0UL, 0UL, 0UL, 0UL);
    struct proc *p;
    const char *rest;
    if (!strncmp(path, "self/", 5)) { p = cur; rest = path + 5; }
    else {
        const char *e;
        long pid = parse_long(path, &e);
        if (e == path || *e != '/' || !(p = proc_by_pid((int)pid))) return -ENOENT;
        rest = e + 1;
    }
    struct proc *l = p->leader;
    int ppid = l->parent ? l->parent->pid : 0;
    if (!strcmp(rest, "stat"))
        return snprintf(buf, n, "%d (%s) %c %d %d %d 0 -1 0 0 0 0 0 0 0 0 0 20 0 %d 0 0 %lu 0\n",
                        p->pid, p->name, state_char(p), ppid, l->pid, l->pid, threads_of(l),
                        p->mm ? p->mm->brk - p->mm->brk_start : 0);
    if (!strcmp(rest, "status"))
        return snprintf(buf, n, "Name:\t%s\nState:\t%c\nTgid:\t%d\nPid:\t%d\nPPid:\t%d\n"
                        "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nThreads:\t%d\n",
                        p->name, state_char(p), p->tgid, p->pid, ppid, threads_of(l));
    if (!strcmp(rest, "comm")) return snprintf(buf, n, "%s\n", p->name);
    if (!strcmp(rest, "cmdline")) {     /* argv is not kept: the program name */
        int k = snprintf(buf, n, "%s", p->name);
        return k + 1 <= (int)n ? k + 1 : k;
    }
    return -ENOENT;
}

int proc_open(const char *path, int flags, struct file **out)
{
    if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_CREAT)) return -EACCES;
    char *buf = kmalloc(1024);
    if (!buf) return -ENOMEM;
    int r = proc_text(path + 6, buf, 1024);
    if (r < 0) { kfree(buf); return r; }
    struct file *f = file_alloc(FT_MEM, flags);
    if (!f) { kfree(buf); return -ENOMEM; }
    f->priv = buf;
    f->mem_len = MIN((size_t)r, 1023);
    *out = f;
    return 0;
}
