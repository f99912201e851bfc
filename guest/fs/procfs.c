/* A minimal /proc: files generated when opened (a snapshot, read-only),
 * enough for `cat /proc/self/status`, uptime, free, `ps` and programs that
 * read their own stat/cmdline.  /proc/self and /proc/PID name a process.
 * Directories are snapshots too: their getdents64 records are built at
 * open, one entry per process (thread-group leader) in /proc. */
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

#define DT_DIR 4
#define DT_REG 8
#define DT_LNK 10

/* Append one linux_dirent64 record; d_off is where the next one starts. */
static size_t add_dirent(char *buf, size_t used, size_t cap, u64 ino, u8 type, const char *name)
{
    size_t nl = strlen(name), rl = ALIGN_UP(19 + nl + 1, 8);
    if (used + rl > cap) return used;
    memset(buf + used, 0, rl);
    *(u64 *)(buf + used) = ino;
    *(s64 *)(buf + used + 8) = (s64)(used + rl);
    *(u16 *)(buf + used + 16) = (u16)rl;
    buf[used + 18] = (char)type;
    memcpy(buf + used + 19, name, nl);
    return used + rl;
}

/* "" (the root), "self" or "PID" (a process directory): true; files: false.
 * Returns the process for a process directory in *p. */
static bool proc_is_dir(const char *rest, struct proc **p)
{
    *p = NULL;
    if (!rest[0]) return true;
    if (!strcmp(rest, "self") || !strcmp(rest, "self/")) { *p = cur; return true; }
    const char *e;
    long pid = parse_long(rest, &e);
    if (e == rest || (*e && strcmp(e, "/"))) return false;
    *p = proc_by_pid((int)pid);
    return true;
}

/* The directory's records into buf; length, or -ENOENT for a dead PID. */
static int proc_dir(struct proc *p, bool root, char *buf, size_t cap)
{
    size_t n = 0;
    n = add_dirent(buf, n, cap, 1, DT_DIR, ".");
    n = add_dirent(buf, n, cap, 1, DT_DIR, "..");
    if (root) {
        static const char *const files[] = { "uptime", "meminfo" };
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) n = add_dirent(buf, n, cap, 2 + i, DT_REG, files[i]);
        n = add_dirent(buf, n, cap, 4, DT_LNK, "self");
        for (int i = 0; i < nproc_hi; i++) {
            struct proc *q = &procs[i];
            if (q->state == P_UNUSED || q->state == P_DEAD || q->leader != q || !q->pid) continue;
            char name[16];
            snprintf(name, sizeof name, "%d", q->pid);
            n = add_dirent(buf, n, cap, 1000 + (u64)q->pid, DT_DIR, name);
        }
        return (int)n;
    }
    if (!p) return -ENOENT;
    static const char *const files[] = { "stat", "status", "comm", "cmdline" };
    for (size_t i = 0; i < ARRAY_SIZE(files); i++) n = add_dirent(buf, n, cap, 10 + i, DT_REG, files[i]);
    return (int)n;
}

/* path: "/proc", "/proc/" or "/proc/..." */
int proc_open(const char *path, int flags, struct file **out)
{
    if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_CREAT)) return -EACCES;
    const char *rest = path[5] ? path + 6 : "";
    struct proc *p;
    bool dir = proc_is_dir(rest, &p);
    if ((flags & O_DIRECTORY) && !dir) return -ENOTDIR;
    size_t cap = dir ? 64 + (size_t)NPROC * 32 : 1024;
    char *buf = kmalloc(cap);
    if (!buf) return -ENOMEM;
    int r = dir ? proc_dir(p, !rest[0], buf, cap) : proc_text(rest, buf, cap);
    if (r < 0) { kfree(buf); return r; }
    struct file *f = file_alloc(FT_MEM, flags);
    if (!f) { kfree(buf); return -ENOMEM; }
    f->priv = buf;
    f->mem_len = MIN((size_t)r, cap - 1);
    f->mem_dir = dir;
    *out = f;
    return 0;
}

/* getdents64 on a /proc directory: whole records from f->off on. */
long proc_getdents(struct file *f, u64 ubuf, size_t cap)
{
    const char *buf = f->priv;
    size_t used = 0;
    while (f->off < f->mem_len) {
        u16 rl = *(const u16 *)(buf + f->off + 16);
        if (used + rl > cap) { if (!used) return -EINVAL; break; }
        if (copy_to_user(ubuf + used, buf + f->off, rl)) return -EFAULT;
        used += rl;
        f->off += rl;
    }
    return (long)used;
}
