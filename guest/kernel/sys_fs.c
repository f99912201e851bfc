/* File-system system calls: open, stat, directories, links, FIFOs, times, descriptors. */
#include "kernel.h"
#include "proc.h"
#include "fs.h"
#include "mm.h"
#include "blk.h"
#include "errno.h"
#include "syscall.h"

static u32 umask_val = 022;

/* cwd (256 bytes) becomes the absolute, normalised path of rel from cwd
 * ("." and ".." folded by name, not through symlinks, as the shell's pwd). */
static void path_join(char *cwd, const char *rel)
{
    char tmp[512];
    if (rel[0] == '/') strlcpy(tmp, rel, sizeof tmp);
    else snprintf(tmp, sizeof tmp, "%s/%s", cwd, rel);
    char out[256];
    size_t n = 0;
    out[0] = 0;
    for (char *p = tmp; *p;) {
        while (*p == '/') p++;
        char *e = p;
        while (*e && *e != '/') e++;
        size_t l = e - p;
        if (l == 0) break;
        if (l == 1 && p[0] == '.') { }
        else if (l == 2 && p[0] == '.' && p[1] == '.') { while (n && out[n - 1] != '/') n--; if (n) n--; }
        else if (n + l + 2 < sizeof out) { out[n++] = '/'; memcpy(out + n, p, l); n += l; }
        p = e;
    }
    if (!n) out[n++] = '/';
    out[n] = 0;
    strlcpy(cwd, out, 256);
}

static int get_path(u64 upath, char **out)
{
    char *p = kmalloc(4096);
    int r = strncpy_from_user(p, upath, 4096);
    if (r < 0) { kfree(p); return r; }
    *out = p;
    return 0;
}

/* /dev and /proc are not on the disk: their files come from dev_open()
 * by name.  True when path names one, absolutely or from a working
 * directory under them (top does chdir("/proc") and opens "PID/stat");
 * abs (256 bytes) gets the absolute name. */
static bool special_path(int dirfd, const char *path, char *abs)
{
    if (path[0] == '/') { strlcpy(abs, path, 256); return dev_path(path); }
    if (dirfd != AT_FDCWD || !dev_path(cur->cwd_path) || !path[0]) return false;
    strlcpy(abs, cur->cwd_path, 256);
    path_join(abs, path);
    return dev_path(abs);
}

#define SPECIAL_LINKS_MAX 8

/* A /proc link's target (256 bytes) as a path from / (self's is "PID"):
 * true when abs is one. */
static bool proc_link(const char *abs, char *target)
{
    char t[256];
    if (proc_readlink(abs, t, sizeof t) <= 0) return false;
    if (t[0] == '/') strlcpy(target, t, 256);
    else snprintf(target, 256, "/proc/%s", t);
    return true;
}     /* /proc links followed in a row (self/fd/N -> ...) */

static long open_path(int dirfd, const char *path, int flags, u32 mode, int depth)
{
    char abs[256];
    struct file *f = NULL;
    int r;
    if (special_path(dirfd, path, abs)) {
        char target[256];
        if (!(flags & O_NOFOLLOW) && proc_link(abs, target)) {
            if (depth >= SPECIAL_LINKS_MAX) return -ELOOP;
            return open_path(AT_FDCWD, target, flags, mode, depth + 1);
        }
        r = dev_open(abs, flags, &f);
        if (r) return r;
        r = fd_install(f, 0, flags & O_CLOEXEC);
        if (r < 0) file_put(f);
        return r;
    }
    struct inode *ip = NULL;
    r = namei(dirfd, path, !(flags & O_NOFOLLOW), &ip);
    if (r == -ENOENT && (flags & O_CREAT)) {
        struct inode *dir;
        char name[256];
        r = nameiparent(dirfd, path, &dir, name);
        if (!r) {
            r = ext2_create(dir, name, S_IFREG | (mode & 07777 & ~umask_val), &ip);
            iput(dir);
        }
    } else if (!r && (flags & O_CREAT) && (flags & O_EXCL)) {
        iput(ip);
        r = -EEXIST;
    }
    if (r) return r;
    if (S_ISLNK(ip->d.mode)) { iput(ip); return -ELOOP; }
    if ((flags & O_DIRECTORY) && !S_ISDIR(ip->d.mode)) { iput(ip); return -ENOTDIR; }
    if (S_ISDIR(ip->d.mode) && (flags & O_ACCMODE) != O_RDONLY) { iput(ip); return -EISDIR; }
    if (S_ISFIFO(ip->d.mode)) {
        u32 ino = ip->ino;
        iput(ip);
        if ((r = fifo_open(ino, flags, &f))) return r;
    } else {
        if ((flags & O_TRUNC) && S_ISREG(ip->d.mode) && (flags & O_ACCMODE) != O_RDONLY) {
            r = ext2_truncate(ip, 0);
            if (r) { iput(ip); return r; }
        }
        f = file_alloc(FT_INODE, flags);
        f->ip = ip;
        if (dirfd == AT_FDCWD || path[0] == '/') {     /* its name, for /proc/PID/fd */
            if (path[0] == '/') abs[0] = 0; else strlcpy(abs, cur->cwd_path, sizeof abs);
            path_join(abs, path);
            if ((f->path = kmalloc(strlen(abs) + 1))) strlcpy(f->path, abs, strlen(abs) + 1);
        }
    }
    r = fd_install(f, 0, flags & O_CLOEXEC);
    if (r < 0) file_put(f);
    return r;
}

static long do_open(int dirfd, u64 upath, int flags, u32 mode)
{
    char *path;
    int r = get_path(upath, &path);
    if (r) return r;
    long fd = open_path(dirfd, path, flags, mode, 0);
    kfree(path);
    return fd;
}

SYSCALL(sys_open) { UNUSED_ARGS; return do_open(AT_FDCWD, a0, a1, a2); }
SYSCALL(sys_openat) { UNUSED_ARGS; return do_open((int)a0, a1, a2, a3); }

SYSCALL(sys_close)
{
    UNUSED_ARGS;
    struct file *f = fd_remove((int)a0);
    if (!f) return -EBADF;
    file_put(f);
    return 0;
}

static long rw_user(struct file *f, u64 ubuf, size_t n, bool write, s64 pos)
{
    if (!f) return -EBADF;
    int acc = f->flags & O_ACCMODE;
    if (write ? acc == O_RDONLY && f->type == FT_INODE : acc == O_WRONLY) return -EBADF;
    long sr;
    if (pos < 0 && sock_rw_user(f, ubuf, n, write, &sr)) return sr;
    u8 *k = kmalloc(PAGE_SIZE);
    long total = 0;
    u64 saved = f->off;
    if (pos >= 0) f->off = pos;
    while (n) {
        size_t c = MIN(n, PAGE_SIZE);
        long r;
        if (write) {
            if (copy_from_user(k, ubuf, c)) { r = -EFAULT; goto done_err; }
            r = file_write(f, k, c);
        } else {
            r = file_read(f, k, c);
            if (r > 0 && copy_to_user(ubuf, k, r)) r = -EFAULT;
        }
    done_err:
        if (r < 0) { if (!total) total = r; break; }
        total += r;
        ubuf += r;
        n -= r;
        /* short transfer, or a read from a stream: return what we have */
        if ((size_t)r < c || (!write && (f->type == FT_PIPE || f->type == FT_CONSOLE || f->type == FT_SOCKET))) break;
    }
    if (pos >= 0) f->off = saved;
    kfree(k);
    return total;
}

SYSCALL(sys_read) { UNUSED_ARGS; return rw_user(fd_get(a0), a1, a2, false, -1); }
SYSCALL(sys_write) { UNUSED_ARGS; return rw_user(fd_get(a0), a1, a2, true, -1); }
SYSCALL(sys_pread64) { UNUSED_ARGS; return rw_user(fd_get(a0), a1, a2, false, (s64)a3); }
SYSCALL(sys_pwrite64) { UNUSED_ARGS; return rw_user(fd_get(a0), a1, a2, true, (s64)a3); }

static long rwv(u64 fd, u64 uiov, u64 cnt, bool write)
{
    struct file *f = fd_get(fd);
    if (!f) return -EBADF;
    if (cnt > 1024) return -EINVAL;
    long total = 0;
    for (u64 i = 0; i < cnt; i++) {
        u64 iov[2];
        if (copy_from_user(iov, uiov + 16 * i, 16)) return total ? total : -EFAULT;
        if (!iov[1]) continue;
        long r = rw_user(f, iov[0], iov[1], write, -1);
        if (r < 0) return total ? total : r;
        total += r;
        if ((u64)r < iov[1]) break;
    }
    return total;
}
SYSCALL(sys_readv) { UNUSED_ARGS; return rwv(a0, a1, a2, false); }
SYSCALL(sys_writev) { UNUSED_ARGS; return rwv(a0, a1, a2, true); }

SYSCALL(sys_lseek)
{
    UNUSED_ARGS;
    struct file *f = fd_get(a0);
    if (!f) return -EBADF;
    if (f->type == FT_PIPE || f->type == FT_CONSOLE || f->type == FT_SOCKET || f->type == FT_EPOLL) return -ESPIPE;
    s64 base = a2 == 0 ? 0 : a2 == 1 ? (s64)f->off : a2 == 2 && f->ip ? (s64)isize(f->ip) : -1;
    if (base < 0) return -EINVAL;
    s64 n = base + (s64)a1;
    if (n < 0) return -EINVAL;
    f->off = n;
    return n;
}

static void stat_file(struct file *f, struct stat_k *st)
{
    if (f->type == FT_INODE) { ext2_stat(f->ip, st); return; }
    memset(st, 0, sizeof *st);
    st->nlink = 1;
    st->blksize = 4096;
    if (f->type == FT_PIPE) st->mode = S_IFIFO | 0600;
    else if (f->type == FT_SOCKET) st->mode = S_IFSOCK | 0777;
    else if (f->type == FT_MEM && f->mem_dir) { st->mode = S_IFDIR | 0555; st->nlink = 2; }
    else if (f->type == FT_MEM) { st->mode = S_IFREG | 0444; st->size = f->mem_len; }
    else { st->mode = S_IFCHR | 0666; st->rdev = f->type == FT_CONSOLE ? 0x501 : f->type == FT_NULL ? 0x103 : 0x105; }
}

static int stat_kpath(int dirfd, const char *path, int flags, struct stat_k *st, int depth)
{
    char abs[256];
    int r;
    if (special_path(dirfd, path, abs)) {
        char target[256];
        bool link = proc_link(abs, target);
        if (link && !(flags & AT_SYMLINK_NOFOLLOW)) {
            if (depth >= SPECIAL_LINKS_MAX) return -ELOOP;
            return stat_kpath(AT_FDCWD, target, flags, st, depth + 1);
        }
        struct file *f;
        if (link) {
            memset(st, 0, sizeof *st);
            st->mode = S_IFLNK | 0777;
            st->nlink = 1;
            st->size = strlen(target);
            return 0;
        }
        if ((r = dev_open(abs, 0, &f))) return r;
        stat_file(f, st);
        file_put(f);
        return 0;
    }
    struct inode *ip;
    r = namei(dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), &ip);
    if (!r) { ext2_stat(ip, st); iput(ip); }
    return r;
}

static long stat_path(int dirfd, u64 upath, u64 ust, int flags)
{
    struct stat_k st;
    char *path;
    int r = get_path(upath, &path);
    if (r) return r;
    if (!path[0] && (flags & AT_EMPTY_PATH)) {
        kfree(path);
        struct file *f = fd_get(dirfd);
        if (!f) return -EBADF;
        stat_file(f, &st);
        return copy_to_user(ust, &st, sizeof st);
    }
    r = stat_kpath(dirfd, path, flags, &st, 0);
    kfree(path);
    return r ? r : copy_to_user(ust, &st, sizeof st);
}

SYSCALL(sys_stat) { UNUSED_ARGS; return stat_path(AT_FDCWD, a0, a1, 0); }
SYSCALL(sys_lstat) { UNUSED_ARGS; return stat_path(AT_FDCWD, a0, a1, AT_SYMLINK_NOFOLLOW); }
SYSCALL(sys_newfstatat) { UNUSED_ARGS; return stat_path(a0, a1, a2, a3); }
SYSCALL(sys_fstat)
{
    UNUSED_ARGS;
    struct file *f = fd_get(a0);
    if (!f) return -EBADF;
    struct stat_k st;
    stat_file(f, &st);
    return copy_to_user(a1, &st, sizeof st);
}

SYSCALL(sys_getdents64)
{
    UNUSED_ARGS;
    struct file *f = fd_get(a0);
    if (!f) return -EBADF;
    if (f->type == FT_MEM && f->mem_dir) return proc_getdents(f, a1, a2);
    if (f->type != FT_INODE || !S_ISDIR(f->ip->d.mode)) return -ENOTDIR;
    u64 ubuf = a1, cap = a2, used = 0;
    char name[256];
    u8 type;
    u32 ino;
    u8 rec[280];
    for (;;) {
        u64 next = ext2_readdir(f->ip, f->off, &ino, &type, name);
        if (!next) break;
        size_t nl = strlen(name), rl = ALIGN_UP(19 + nl + 1, 8);
        if (used + rl > cap) { if (!used) return -EINVAL; break; }
        memset(rec, 0, rl);
        *(u64 *)rec = ino;
        *(s64 *)(rec + 8) = next;
        *(u16 *)(rec + 16) = rl;
        rec[18] = type;
        memcpy(rec + 19, name, nl);
        if (copy_to_user(ubuf + used, rec, rl)) return -EFAULT;
        used += rl;
        f->off = next;
    }
    return used;
}

/* mkdir and mknod: a new inode of type mode & S_IFMT at path */
static long make_node(int dirfd, u64 upath, u32 mode)
{
    char *path;
    int r = get_path(upath, &path);
    if (r) return r;
    char abs[256];
    const char *c = path;
    while (*c == '/') c++;
    bool root = path[0] == '/' && !*c;
    if (root || special_path(dirfd, path, abs)) {
        kfree(path);            /* "/" (mkdir -p starts there), /dev, /proc: they exist */
        return -EEXIST;
    }
    struct inode *dir, *ip;
    char name[256];
    r = nameiparent(dirfd, path, &dir, name);
    kfree(path);
    if (r) return r;
    r = ext2_create(dir, name, (mode & S_IFMT) | (mode & 07777 & ~umask_val), &ip);
    iput(dir);
    if (!r) iput(ip);
    return r;
}
SYSCALL(sys_mkdir) { UNUSED_ARGS; return make_node(AT_FDCWD, a0, S_IFDIR | (a1 & 07777)); }
SYSCALL(sys_mkdirat) { UNUSED_ARGS; return make_node(a0, a1, S_IFDIR | (a2 & 07777)); }

/* mknod: FIFOs and plain files; device nodes have no meaning here, devices
 * are known by name (fs/file.c) */
static long mknod_at(int dirfd, u64 upath, u32 mode)
{
    u32 type = mode & S_IFMT;
    if (type == 0) mode |= S_IFREG;
    else if (type == S_IFCHR || type == S_IFBLK) return -EPERM;
    else if (type != S_IFREG && type != S_IFIFO && type != S_IFSOCK) return -EINVAL;
    return make_node(dirfd, upath, mode);
}
SYSCALL(sys_mknod) { UNUSED_ARGS; return mknod_at(AT_FDCWD, a0, a1); }
SYSCALL(sys_mknodat) { UNUSED_ARGS; return mknod_at(a0, a1, a2); }

static long unlink_at(int dirfd, u64 upath, int flags)
{
    char *path;
    int r = get_path(upath, &path);
    if (r) return r;
    struct inode *dir;
    char name[256];
    r = nameiparent(dirfd, path, &dir, name);
    kfree(path);
    if (r) return r;
    r = ext2_unlink(dir, name, flags & AT_REMOVEDIR);
    iput(dir);
    return r;
}
SYSCALL(sys_unlink) { UNUSED_ARGS; return unlink_at(AT_FDCWD, a0, 0); }
SYSCALL(sys_rmdir) { UNUSED_ARGS; return unlink_at(AT_FDCWD, a0, AT_REMOVEDIR); }
SYSCALL(sys_unlinkat) { UNUSED_ARGS; return unlink_at(a0, a1, a2); }

static long rename_at(int ofd, u64 uold, int nfd, u64 unew)
{
    char *op, *np;
    int r = get_path(uold, &op);
    if (r) return r;
    if ((r = get_path(unew, &np))) { kfree(op); return r; }
    struct inode *od, *nd;
    char on[256], nn[256];
    r = nameiparent(ofd, op, &od, on);
    if (!r) {
        r = nameiparent(nfd, np, &nd, nn);
        if (!r) { r = ext2_rename(od, on, nd, nn); iput(nd); }
        iput(od);
    }
    kfree(op); kfree(np);
    return r;
}
SYSCALL(sys_rename) { UNUSED_ARGS; return rename_at(AT_FDCWD, a0, AT_FDCWD, a1); }
SYSCALL(sys_renameat) { UNUSED_ARGS; return rename_at(a0, a1, a2, a3); }
SYSCALL(sys_renameat2) { UNUSED_ARGS; return a4 ? -EINVAL : rename_at(a0, a1, a2, a3); }

static long link_at(int ofd, u64 uold, int nfd, u64 unew)
{
    char *op, *np;
    int r = get_path(uold, &op);
    if (r) return r;
    if ((r = get_path(unew, &np))) { kfree(op); return r; }
    struct inode *ip, *nd;
    char nn[256];
    r = namei(ofd, op, false, &ip);
    if (!r) {
        if (S_ISDIR(ip->d.mode)) r = -EPERM;
        else if (!(r = nameiparent(nfd, np, &nd, nn))) { r = ext2_link(nd, nn, ip); iput(nd); }
        iput(ip);
    }
    kfree(op); kfree(np);
    return r;
}
SYSCALL(sys_link) { UNUSED_ARGS; return link_at(AT_FDCWD, a0, AT_FDCWD, a1); }
SYSCALL(sys_linkat) { UNUSED_ARGS; return link_at(a0, a1, a2, a3); }

static long symlink_at(u64 utarget, int nfd, u64 unew)
{
    char *t, *np;
    int r = get_path(utarget, &t);
    if (r) return r;
    if ((r = get_path(unew, &np))) { kfree(t); return r; }
    struct inode *nd, *ip;
    char nn[256];
    if (!(r = nameiparent(nfd, np, &nd, nn))) {
        if (!(r = ext2_create(nd, nn, S_IFLNK | 0777, &ip))) {
            ssize_t w = ext2_write(ip, t, 0, strlen(t));
            if (w < 0) r = w;
            iput(ip);
        }
        iput(nd);
    }
    kfree(t); kfree(np);
    return r;
}
SYSCALL(sys_symlink) { UNUSED_ARGS; return symlink_at(a0, AT_FDCWD, a1); }
SYSCALL(sys_symlinkat) { UNUSED_ARGS; return symlink_at(a0, a1, a2); }

static long readlink_at(int dirfd, u64 upath, u64 ubuf, u64 size)
{
    char *path;
    int r = get_path(upath, &path);
    if (r) return r;
    char *buf = kmalloc(4096), abs[256];
    if (special_path(dirfd, path, abs)) {
        r = proc_readlink(abs, buf, 4096);
    } else {
        struct inode *ip;
        r = namei(dirfd, path, false, &ip);
        if (!r && !S_ISLNK(ip->d.mode)) { iput(ip); r = -EINVAL; }
        else if (!r) { r = readlink_inode(ip, buf, 4096); iput(ip); }
    }
    kfree(path);
    if ((s64)size <= 0 && r >= 0) r = -EINVAL;
    if (r > 0) { if ((u64)r > size) r = size; if (copy_to_user(ubuf, buf, r)) r = -EFAULT; }
    kfree(buf);
    return r;
}
SYSCALL(sys_readlink) { UNUSED_ARGS; return readlink_at(AT_FDCWD, a0, a1, a2); }
SYSCALL(sys_readlinkat) { UNUSED_ARGS; return readlink_at(a0, a1, a2, a3); }

static long access_at(int dirfd, u64 upath)
{
    char *path;
    int r = get_path(upath, &path);
    if (r) return r;
    struct stat_k st;
    r = stat_kpath(dirfd, path, 0, &st, 0);     /* root may do anything to what exists */
    kfree(path);
    return r;
}
SYSCALL(sys_access) { UNUSED_ARGS; return access_at(AT_FDCWD, a0); }
SYSCALL(sys_faccessat) { UNUSED_ARGS; return access_at(a0, a1); }

static long chmod_at(int dirfd, u64 upath, u32 mode)
{
    char *path;
    int r = get_path(upath, &path);
    if (r) return r;
    struct inode *ip;
    r = namei(dirfd, path, true, &ip);
    kfree(path);
    if (r) return r;
    ip->d.mode = (ip->d.mode & S_IFMT) | (mode & 07777);
    iupdate(ip);
    iput(ip);
    return 0;
}
SYSCALL(sys_chmod) { UNUSED_ARGS; return chmod_at(AT_FDCWD, a0, a1); }
SYSCALL(sys_fchmodat) { UNUSED_ARGS; return chmod_at(a0, a1, a2); }
SYSCALL(sys_fchmod)
{
    UNUSED_ARGS;
    struct file *f = fd_get(a0);
    if (!f) return -EBADF;
    if (f->type != FT_INODE) return 0;
    f->ip->d.mode = (f->ip->d.mode & S_IFMT) | (a1 & 07777);
    iupdate(f->ip);
    return 0;
}
/* utimensat(dirfd, path, times[2], flags): times NULL is now; a tv_nsec of
 * UTIME_NOW / UTIME_OMIT sets now / leaves that one.  path NULL: dirfd's
 * file (futimens).  ext2 keeps seconds. */
#define UTIME_NOW ((1L << 30) - 1)
#define UTIME_OMIT ((1L << 30) - 2)
SYSCALL(sys_utimensat)
{
    UNUSED_ARGS;
    s64 ts[4];
    u32 now = (u32)((time_ns() + time_realtime_base_ns()) / 1000000000UL);
    if (a2 && copy_from_user(ts, a2, sizeof ts)) return -EFAULT;
    if (!a2) ts[1] = ts[3] = UTIME_NOW;
    for (int i = 1; i < 4; i += 2)
        if (ts[i] != UTIME_NOW && ts[i] != UTIME_OMIT && (ts[i] < 0 || ts[i] >= 1000000000L)) return -EINVAL;
    struct inode *ip;
    int r;
    if (!a1) {
        struct file *f = fd_get((int)a0);
        if (!f) return -EBADF;
        if (f->type != FT_INODE) return 0;
        ip = idup(f->ip);
    } else {
        char *path;
        if ((r = get_path(a1, &path))) return r;
        char abs[256];
        r = special_path((int)a0, path, abs) ? -EPERM : namei((int)a0, path, !(a3 & AT_SYMLINK_NOFOLLOW), &ip);
        kfree(path);
        if (r) return r;
    }
    if (ext2_readonly()) { iput(ip); return -EROFS; }
    if (ts[1] != UTIME_OMIT) ip->d.atime = ts[1] == UTIME_NOW ? now : (u32)ts[0];
    if (ts[3] != UTIME_OMIT) ip->d.mtime = ts[3] == UTIME_NOW ? now : (u32)ts[2];
    ip->d.ctime = now;
    iupdate(ip);
    iput(ip);
    return 0;
}

/* statfs/fstatfs: the ext2 root, or /proc and /dev (no blocks) */
static void statfs_special(struct statfs_k *st, bool proc)
{
    memset(st, 0, sizeof *st);
    st->type = proc ? 0x9fa0 : 0x01021994;     /* PROC_SUPER_MAGIC, TMPFS_MAGIC */
    st->bsize = st->frsize = 4096;
    st->namelen = 255;
}
SYSCALL(sys_statfs)
{
    UNUSED_ARGS;
    char *path, abs[256];
    int r = get_path(a0, &path);
    if (r) return r;
    struct statfs_k st;
    struct inode *ip;
    if (special_path(AT_FDCWD, path, abs)) statfs_special(&st, !strncmp(abs, "/proc", 5));
    else if (!(r = namei(AT_FDCWD, path, true, &ip))) { iput(ip); ext2_statfs(&st); }
    kfree(path);
    return r ? r : copy_to_user(a1, &st, sizeof st);
}
SYSCALL(sys_fstatfs)
{
    UNUSED_ARGS;
    struct file *f = fd_get((int)a0);
    if (!f) return -EBADF;
    struct statfs_k st;
    if (f->type == FT_INODE) ext2_statfs(&st);
    else statfs_special(&st, f->type == FT_MEM);
    return copy_to_user(a1, &st, sizeof st);
}

SYSCALL(sys_umask) { UNUSED_ARGS; u32 o = umask_val; umask_val = a0 & 0777; return o; }

SYSCALL(sys_ftruncate)
{
    UNUSED_ARGS;
    struct file *f = fd_get(a0);
    if (!f) return -EBADF;
    if (f->type != FT_INODE || !S_ISREG(f->ip->d.mode)) return -EINVAL;
    if ((s64)a1 < 0) return -EINVAL;
    if (a1 > isize(f->ip)) {
        /* extend: sparse, just the size */
        u8 z = 0;
        ssize_t r = ext2_write(f->ip, &z, a1 - 1, 1);
        return r < 0 ? r : 0;
    }
    return ext2_truncate(f->ip, a1);
}

SYSCALL(sys_fsync) { UNUSED_ARGS; if (!fd_get(a0)) return -EBADF; return bcache_sync(); }
SYSCALL(sys_sync) { UNUSED_ARGS; bcache_sync(); return 0; }

SYSCALL(sys_dup)
{
    UNUSED_ARGS;
    struct file *f = fd_get(a0);
    if (!f) return -EBADF;
    int r = fd_install(file_dup(f), 0, false);
    if (r < 0) file_put(f);
    return r;
}

static long dup_to(u64 oldfd, u64 newfd, bool cloexec)
{
    struct file *f = fd_get(oldfd);
    if (!f) return -EBADF;
    if (oldfd == newfd) return newfd;
    int r = fd_assign((int)newfd, file_dup(f), cloexec);
    if (r) file_put(f);
    return r ? r : (long)newfd;
}
SYSCALL(sys_dup2) { UNUSED_ARGS; return dup_to(a0, a1, false); }
SYSCALL(sys_dup3) { UNUSED_ARGS; if (a0 == a1) return -EINVAL; return dup_to(a0, a1, a2 & O_CLOEXEC); }

SYSCALL(sys_fcntl)
{
    UNUSED_ARGS;
    struct file *f = fd_get(a0);
    if (!f) return -EBADF;
    switch (a1) {
    case 0: case 1030: {    /* F_DUPFD, F_DUPFD_CLOEXEC */
        int r = fd_install(file_dup(f), a2, a1 == 1030);
        if (r < 0) file_put(f);
        return r;
    }
    case 1: return fd_cloexec((int)a0);    /* F_GETFD */
    case 2: fd_set_cloexec((int)a0, a2 & 1); return 0;      /* F_SETFD */
    case 3: return f->flags;
    case 4: f->flags = (f->flags & ~(O_APPEND | O_NONBLOCK)) | (a2 & (O_APPEND | O_NONBLOCK)); return 0;
    }
    return -EINVAL;
}

SYSCALL(sys_pipe2)
{
    UNUSED_ARGS;
    struct file *r, *w;
    int e = pipe_create(&r, &w);
    if (e) return e;
    r->flags |= a1 & O_NONBLOCK;
    w->flags |= a1 & O_NONBLOCK;
    int fds[2];
    fds[0] = fd_install(r, 0, a1 & O_CLOEXEC);
    fds[1] = fds[0] < 0 ? -EMFILE : fd_install(w, 0, a1 & O_CLOEXEC);
    if (fds[1] < 0) {
        if (fds[0] >= 0) fd_remove(fds[0]);
        file_put(r); file_put(w);
        return -EMFILE;
    }
    if (copy_to_user(a0, fds, sizeof fds)) return -EFAULT;
    return 0;
}
SYSCALL(sys_pipe) { (void)a1; return sys_pipe2(a0, 0, a2, a3, a4, a5, tf); }

SYSCALL(sys_ioctl)
{
    UNUSED_ARGS;
    struct file *f = fd_get(a0);
    if (!f) return -EBADF;
    if (f->type == FT_SOCKET) return sock_ioctl(f, a1, a2);
    if (f->type != FT_CONSOLE) return -ENOTTY;
    switch (a1) {
    case 0x5401: {          /* TCGETS */
        /* kernel struct termios: 4 flags, c_line, c_cc[19] = 36 bytes */
        u32 t[9] = { 0x500, 0x5, 0xbf, 0x8a3b, 0, 0, 0, 0, 0 };
        return copy_to_user(a2, t, 36);
    }
    case 0x5402: case 0x5403: case 0x5404: return 0;   /* TCSETS* */
    case 0x5413: {          /* TIOCGWINSZ */
        u16 ws[4] = { 24, 80, 0, 0 };
        return copy_to_user(a2, ws, 8);
    }
    case 0x540f: { int pg = cur->tgid; return copy_to_user(a2, &pg, 4); }   /* TIOCGPGRP */
    case 0x5410: return 0;  /* TIOCSPGRP */
    }
    return -ENOTTY;
}

SYSCALL(sys_chdir)
{
    UNUSED_ARGS;
    char *path;
    int r = get_path(a0, &path);
    if (r) return r;
    struct inode *ip;
    r = namei(AT_FDCWD, path, true, &ip);
    if (!r && !S_ISDIR(ip->d.mode)) { iput(ip); r = -ENOTDIR; }
    if (!r) { iput(cur->cwd); cur->cwd = ip; path_join(cur->cwd_path, path); }
    kfree(path);
    return r;
}

SYSCALL(sys_getcwd)
{
    UNUSED_ARGS;
    size_t n = strlen(cur->cwd_path) + 1;
    if (a1 < n) return -ERANGE;
    if (copy_to_user(a0, cur->cwd_path, n)) return -EFAULT;
    return n;
}

SYSCALL(sys_poll)
{
    UNUSED_ARGS;
    u64 nfds = a1;
    s64 timeout = (s64)(int)a2;
    if (nfds > 64) return -EINVAL;
    struct { int fd; short ev, rev; } pf[64];
    if (copy_from_user(pf, a0, nfds * 8)) return -EFAULT;
    u64 deadline = timeout > 0 ? time_ns() + timeout * 1000000UL : 0;
    for (;;) {
        int n = 0;
        for (u64 i = 0; i < nfds; i++) {
            pf[i].rev = 0;
            if (pf[i].fd < 0) continue;
            struct file *f = fd_get(pf[i].fd);
            int m;
            if (!f) m = 0x20;                           /* POLLNVAL */
            else if (f->type == FT_PIPE) m = pipe_poll(f->pipe, f->pipe_write);
            else if (f->type == FT_CONSOLE) m = 0x4 | (tty_readable() ? 1 : 0);
            else if (f->type == FT_SOCKET || f->type == FT_EPOLL) m = net_file_poll(f);
            else m = 0x5;
            pf[i].rev = m & (pf[i].ev | 0x38);
            if (pf[i].rev) n++;
        }
        if (n || timeout == 0 || (deadline && time_ns() >= deadline)) {
            if (copy_to_user(a0, pf, nfds * 8)) return -EFAULT;
            return n;
        }
        sleep_on_timeout(&cur->wake_at_ns, time_ns() + 10000000UL);
        if (signal_pending(cur)) return -EINTR;
    }
}
