/* A minimal /proc: files generated when opened (a snapshot, read-only),
 * enough for ps, top, free, df, mount, dmesg's neighbours and programs that
 * read their own stat, cmdline, exe or fds.  /proc/self and /proc/PID name
 * a process.  Directories are snapshots too: their getdents64 records are
 * built at open.  Links (self, PID/exe, PID/cwd, PID/fd/N) are answered by
 * proc_readlink(); the system calls follow them (kernel/sys_fs.c). */
#include "kernel.h"
#include "fs.h"
#include "proc.h"
#include "mm.h"
#include "cpu.h"
#include "errno.h"

#define PROC_FILE_MAX 4096      /* the longest text a /proc file has */
#define USER_HZ 100
#define DIR_MAX (64 + 32 * (NPROC > 128 ? NPROC : 128))    /* a directory's records */             /* the clock ticks of /proc/stat */

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

/* ---- what a path names ---- */

enum pkind { PK_NONE, PK_FILE, PK_DIR, PK_LINK };
struct pname {
    enum pkind kind;
    struct proc *p;             /* the process of /proc/PID/..., or NULL */
    const char *rest;           /* the name after /proc/ or /proc/PID/ */
    int fd;                     /* /proc/PID/fd/N: N */
};

static const char *const root_files[] = { "cpuinfo", "loadavg", "meminfo", "mounts", "stat", "uptime", "version" };
static const char *const pid_files[] = { "cmdline", "comm", "mounts", "stat", "status" };
static const char *const pid_links[] = { "cwd", "exe" };

static bool in_list(const char *name, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) if (!strcmp(name, list[i])) return true;
    return false;
}

/* Parse "/proc[/...]" (trailing slashes allowed) into what it names. */
static struct pname proc_lookup(const char *path, char *scratch)
{
    struct pname pn = { PK_NONE, NULL, "", -1 };
    strlcpy(scratch, path[5] ? path + 6 : "", 256);
    size_t n = strlen(scratch);
    while (n && scratch[n - 1] == '/') scratch[--n] = 0;
    char *s = scratch;
    if (!*s) { pn.kind = PK_DIR; return pn; }
    if (!strcmp(s, "self")) { pn.kind = PK_LINK; pn.rest = s; return pn; }
    if (!strncmp(s, "self/", 5)) { pn.p = cur; s += 5; }
    else if (*s >= '0' && *s <= '9') {
        const char *e;
        long pid = parse_long(s, &e);
        if (*e && *e != '/') return pn;
        if (!(pn.p = proc_by_pid((int)pid)) || pn.p->state == P_UNUSED || pn.p->state == P_DEAD) return pn;
        if (!*e) { pn.kind = PK_DIR; return pn; }
        s = (char *)e + 1;
    } else {
        if (in_list(s, root_files, ARRAY_SIZE(root_files))) { pn.kind = PK_FILE; pn.rest = s; }
        return pn;
    }
    pn.rest = s;
    if (in_list(s, pid_files, ARRAY_SIZE(pid_files))) pn.kind = PK_FILE;
    else if (in_list(s, pid_links, ARRAY_SIZE(pid_links))) pn.kind = PK_LINK;
    else if (!strcmp(s, "fd")) pn.kind = PK_DIR;
    else if (!strncmp(s, "fd/", 3)) {
        const char *e;
        long fd = parse_long(s + 3, &e);
        struct files *t = pn.p->files;
        if (e != s + 3 && !*e && t && fd >= 0 && fd < t->hi && t->fd[fd].file) { pn.kind = PK_LINK; pn.fd = (int)fd; }
    }
    return pn;
}

/* ---- the files' text ---- */

static int text_mounts(char *buf, size_t n)
{
    return snprintf(buf, n, "/dev/vda / ext2 %s,relatime 0 0\n"
                    "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n"
                    "devtmpfs /dev devtmpfs rw,relatime 0 0\n", ext2_readonly() ? "ro" : "rw");
}

/* Per CPU: the ticks it spent idle are all it has (no per-process accounting) */
static int text_stat(char *buf, size_t n)
{
    u64 idle = time_ns() / (1000000000UL / USER_HZ);
    int k = snprintf(buf, n, "cpu  0 0 0 %lu 0 0 0 0 0 0\n", idle * (u64)ncpus);
    for (int c = 0; c < ncpus; c++)
        k += snprintf(buf + k, n - k, "cpu%d 0 0 0 %lu 0 0 0 0 0 0\n", c, idle);
    int running = 0, total = 0;
    for (int i = 0; i < nproc_hi; i++) {
        if (procs[i].state == P_UNUSED || procs[i].state == P_DEAD || procs[i].is_idle) continue;
        total++;
        running += procs[i].state == P_RUNNING || procs[i].state == P_RUNNABLE;
    }
    u64 btime = (time_realtime_base_ns()) / 1000000000UL;
    k += snprintf(buf + k, n - k, "intr 0\nctxt 0\nbtime %lu\nprocesses %d\nprocs_running %d\nprocs_blocked 0\n",
                  btime, last_pid(), running);
    (void)total;
    return k;
}

static int text_loadavg(char *buf, size_t n)
{
    int running = 0, total = 0;
    for (int i = 0; i < nproc_hi; i++) {
        if (procs[i].state == P_UNUSED || procs[i].state == P_DEAD || procs[i].is_idle) continue;
        total++;
        running += procs[i].state == P_RUNNING || procs[i].state == P_RUNNABLE;
    }
    return snprintf(buf, n, "0.00 0.00 0.00 %d/%d %d\n", running, total, last_pid());
}

/* The flags of CPUID leaf 1 that programs look for, by their Linux names */
static int cpu_flags(char *buf, size_t n, u32 ecx, u32 edx)
{
    static const struct { u8 reg, bit; const char *name; } f[] = {
        { 1, 0, "fpu" }, { 1, 4, "tsc" }, { 1, 5, "msr" }, { 1, 6, "pae" }, { 1, 8, "cx8" },
        { 1, 9, "apic" }, { 1, 15, "cmov" }, { 1, 23, "mmx" }, { 1, 24, "fxsr" }, { 1, 25, "sse" },
        { 1, 26, "sse2" }, { 0, 0, "pni" }, { 0, 9, "ssse3" }, { 0, 19, "sse4_1" }, { 0, 20, "sse4_2" },
        { 0, 23, "popcnt" }, { 0, 25, "aes" }, { 0, 28, "avx" }, { 0, 31, "hypervisor" },
    };
    int k = 0;
    for (size_t i = 0; i < ARRAY_SIZE(f); i++)
        if (((f[i].reg ? edx : ecx) >> f[i].bit) & 1) k += snprintf(buf + k, n - k, "%s%s", k ? " " : "", f[i].name);
    return k;
}

static int text_cpuinfo(char *buf, size_t n)
{
    u32 a, b, c, d, vendor[4] = { 0, 0, 0, 0 }, brand[13] = { 0 };
    cpuid(0, &a, &vendor[0], &vendor[2], &vendor[1]);
    for (u32 i = 0; i < 3; i++) cpuid(0x80000002 + i, &brand[4 * i], &brand[4 * i + 1], &brand[4 * i + 2], &brand[4 * i + 3]);
    cpuid(1, &a, &b, &c, &d);
    u32 family = (a >> 8) & 0xf, model = (a >> 4) & 0xf;
    if (family == 0xf) family += (a >> 20) & 0xff;
    if (family >= 6) model |= ((a >> 16) & 0xf) << 4;
    const char *name = (const char *)brand;
    while (*name == ' ') name++;
    char flags[256];
    cpu_flags(flags, sizeof flags, c, d);
    int k = 0;
    for (int i = 0; i < ncpus; i++)
        k += snprintf(buf + k, n - k,
                      "processor\t: %d\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\n"
                      "model name\t: %s\nstepping\t: %u\nphysical id\t: 0\nsiblings\t: %d\n"
                      "core id\t\t: %d\ncpu cores\t: %d\nflags\t\t: %s\n\n",
                      i, (const char *)vendor, family, model, name, a & 0xf, ncpus, i, ncpus, flags);
    return k;
}

static int text_of(struct pname *pn, char *buf, size_t n)
{
    u64 now = time_ns();
    const char *r = pn->rest;
    if (!pn->p) {
        if (!strcmp(r, "uptime"))
            return snprintf(buf, n, "%lu.%02lu 0.00\n", now / 1000000000UL, now / 10000000UL % 100);
        if (!strcmp(r, "meminfo"))
            return snprintf(buf, n, "MemTotal:%16lu kB\nMemFree:%17lu kB\nMemAvailable:%12lu kB\n"
                            "Buffers:%17lu kB\nCached:%18lu kB\nSwapTotal:%15lu kB\nSwapFree:%16lu kB\n",
                            pmm_total_pages() * 4, pmm_free_pages() * 4, pmm_free_pages() * 4, 0UL, 0UL, 0UL, 0UL);
        if (!strcmp(r, "mounts")) return text_mounts(buf, n);
        if (!strcmp(r, "stat")) return text_stat(buf, n);
        if (!strcmp(r, "loadavg")) return text_loadavg(buf, n);
        if (!strcmp(r, "cpuinfo")) return text_cpuinfo(buf, n);
        if (!strcmp(r, "version")) return snprintf(buf, n, "Linux version 6.1.0-osbox (osbox) #1 osbox guest kernel\n");
        return -ENOENT;
    }
    struct proc *p = pn->p, *l = p->leader;
    int ppid = l->parent ? l->parent->pid : 0;
    if (!strcmp(r, "stat"))
        return snprintf(buf, n, "%d (%s) %c %d %d %d 0 -1 0 0 0 0 0 0 0 0 0 20 0 %d 0 0 %lu 0\n",
                        p->pid, p->name, state_char(p), ppid, l->pid, l->pid, threads_of(l),
                        p->mm ? p->mm->brk - p->mm->brk_start : 0);
    if (!strcmp(r, "status"))
        return snprintf(buf, n, "Name:\t%s\nState:\t%c\nTgid:\t%d\nPid:\t%d\nPPid:\t%d\n"
                        "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nThreads:\t%d\n",
                        p->name, state_char(p), p->tgid, p->pid, ppid, threads_of(l));
    if (!strcmp(r, "comm")) return snprintf(buf, n, "%s\n", p->name);
    if (!strcmp(r, "mounts")) return text_mounts(buf, n);
    if (!strcmp(r, "cmdline")) {     /* argv is not kept: the program name */
        int k = snprintf(buf, n, "%s", p->name);
        return k + 1 <= (int)n ? k + 1 : k;
    }
    return -ENOENT;
}

/* ---- directories ---- */

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

static size_t add_names(char *buf, size_t n, size_t cap, u64 ino, u8 type, const char *const *names, size_t count)
{
    for (size_t i = 0; i < count; i++) n = add_dirent(buf, n, cap, ino + i, type, names[i]);
    return n;
}

/* The directory's records into buf; their length. */
static int dir_of(struct pname *pn, char *buf, size_t cap)
{
    size_t n = 0;
    n = add_dirent(buf, n, cap, 1, DT_DIR, ".");
    n = add_dirent(buf, n, cap, 1, DT_DIR, "..");
    if (!pn->p) {
        n = add_names(buf, n, cap, 2, DT_REG, root_files, ARRAY_SIZE(root_files));
        n = add_dirent(buf, n, cap, 20, DT_LNK, "self");
        for (int i = 0; i < nproc_hi; i++) {
            struct proc *q = &procs[i];
            if (q->state == P_UNUSED || q->state == P_DEAD || q->leader != q || !q->pid) continue;
            char name[16];
            snprintf(name, sizeof name, "%d", q->pid);
            n = add_dirent(buf, n, cap, 1000 + (u64)q->pid, DT_DIR, name);
        }
    } else if (!strcmp(pn->rest, "fd")) {
        static int fds[NR_OPEN];    /* under the kernel lock */
        int k = fd_list(pn->p, fds, ARRAY_SIZE(fds));
        for (int i = 0; i < k; i++) {
            char name[16];
            snprintf(name, sizeof name, "%d", fds[i]);
            n = add_dirent(buf, n, cap, 100 + (u64)fds[i], DT_LNK, name);
        }
    } else {
        n = add_names(buf, n, cap, 10, DT_REG, pid_files, ARRAY_SIZE(pid_files));
        n = add_names(buf, n, cap, 30, DT_LNK, pid_links, ARRAY_SIZE(pid_links));
        n = add_dirent(buf, n, cap, 40, DT_DIR, "fd");
    }
    return (int)n;
}

/* ---- the interface to the system calls ---- */

/* What an open descriptor is, as Linux's /proc/PID/fd/N shows it */
static int describe_file(struct file *f, char *buf, size_t n)
{
    if (f->path) return snprintf(buf, n, "%s", f->path);
    switch (f->type) {
    case FT_CONSOLE: return snprintf(buf, n, "/dev/console");
    case FT_NULL: return snprintf(buf, n, "/dev/null");
    case FT_ZERO: return snprintf(buf, n, "/dev/zero");
    case FT_PIPE: return snprintf(buf, n, "pipe:[%lu]", (u64)f->pipe / 64 % 1000000);
    case FT_SOCKET: return snprintf(buf, n, "socket:[%lu]", (u64)f->priv / 64 % 1000000);
    case FT_EPOLL: return snprintf(buf, n, "anon_inode:[eventpoll]");
    default: return snprintf(buf, n, "/proc");
    }
}

int proc_readlink(const char *path, char *buf, size_t n)
{
    char scratch[256];
    if (strncmp(path, "/proc", 5) || (path[5] && path[5] != '/')) return -EINVAL;
    struct pname pn = proc_lookup(path, scratch);
    if (pn.kind == PK_NONE) return -ENOENT;
    if (pn.kind != PK_LINK) return -EINVAL;
    int k;
    if (!pn.p) k = snprintf(buf, n, "%d", cur->tgid);                   /* self */
    else if (!strcmp(pn.rest, "exe")) k = snprintf(buf, n, "%s", pn.p->leader->exe);
    else if (!strcmp(pn.rest, "cwd")) k = snprintf(buf, n, "%s", pn.p->cwd_path);
    else k = describe_file(pn.p->files->fd[pn.fd].file, buf, n);
    return MIN(k, (int)n - 1);
}

/* path: "/proc", "/proc/" or "/proc/..."; links are followed by the caller */
int proc_open(const char *path, int flags, struct file **out)
{
    char scratch[256];
    struct pname pn = proc_lookup(path, scratch);
    if (pn.kind == PK_NONE) return -ENOENT;
    if (pn.kind == PK_LINK) return -ELOOP;      /* O_NOFOLLOW on a link */
    if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_CREAT)) return pn.kind == PK_DIR ? -EISDIR : -EACCES;
    bool dir = pn.kind == PK_DIR;
    if ((flags & O_DIRECTORY) && !dir) return -ENOTDIR;
    bool fd_dir = dir && pn.p && !strcmp(pn.rest, "fd");
    if (fd_dir) {
        struct file *f = file_alloc(FT_MEM, flags);
        if (!f) return -ENOMEM;
        f->mem_dir = true;
        f->fd_dir_pid = pn.p->pid;
        *out = f;
        return 0;
    }
    size_t cap = dir ? DIR_MAX : PROC_FILE_MAX;
    char *buf = kmalloc(cap);
    if (!buf) return -ENOMEM;
    int r = dir ? dir_of(&pn, buf, cap) : text_of(&pn, buf, cap);
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
    if (f->fd_dir_pid && !f->priv) {
        struct pname pn = { PK_DIR, proc_by_pid(f->fd_dir_pid), "fd", -1 };
        if (!pn.p) return -ENOENT;
        if (!(f->priv = kmalloc(DIR_MAX))) return -ENOMEM;
        f->mem_len = dir_of(&pn, f->priv, DIR_MAX);
    }
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
