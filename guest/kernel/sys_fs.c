/* File-system system calls. */
#include "kernel.h"
#include "proc.h"
#include "fs.h"
#include "mm.h"
#include "blk.h"
#include "errno.h"
#include "syscall.h"

int readlink_inode(struct inode *ip, char *buf, size_t max);
static u32 umask_val = 022;

struct file *fd_get(int fd)
{
    if (fd < 0 || fd >= MAXFD) return NULL;
    return cur->files->fd[fd];
}

int fd_install(struct file *f, int min, bool cloexec)
{
    for (int i = min < 0 ? 0 : min; i < MAXFD; i++)
        if (!cur->files->fd[i]) {
            cur->files->fd[i] = f;
            if (cloexec) cur->files->cloexec |= 1UL << i;
            else cur->files->cloexec &= ~(1UL << i);
            return i;
        }
    return -EMFILE;
}

static int get_path(u64 upath, char **out)
{
    char *p = kmalloc(4096);
    int r = strncpy_from_user(p, upath, 4096);
    if (r < 0) { kfree(p); return r; }
    *out = p;
    return 0;
}

static long do_open(int dirfd, u64 upath, int flags, u32 mode)
{
    char *path;
    int r = get_path(upath, &path);
    if (r) return r;
    struct file *f = NULL;
    if (dev_path(path)) {
        r = dev_open(path, flags, &f);
        kfree(path);
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
    kfree(path);
    if (r) return r;
    if (S_ISLNK(ip->d.mode)) { iput(ip); return -ELOOP; }
    if ((flags & O_DIRECTORY) && !S_ISDIR(ip->d.mode)) { iput(ip); return -ENOTDIR; }
    if (S_ISDIR(ip->d.mode) && (flags & O_ACCMODE) != O_RDONLY) { iput(ip); return -EISDIR; }
    if ((flags & O_TRUNC) && S_ISREG(ip->d.mode) && (flags & O_ACCMODE) != O_RDONLY) {
        r = ext2_truncate(ip, 0);
        if (r) { iput(ip); return r; }
    }
    f = file_alloc(FT_INODE, flags);
    f->ip = ip;
    r = fd_install(f, 0, flags & O_CLOEXEC);
    if (r < 0) file_put(f);
    return r;
}

SYSCALL(sys_open) { UNUSED_ARGS; return do_open(AT_FDCWD, a0, a1, a2); }
SYSCALL(sys_openat) { UNUSED_ARGS; return do_open((int)a0, a1, a2, a3); }

SYSCALL(sys_close)
{
    UNUSED_ARGS;
    struct file *f = fd_get(a0);
    if (!f) return -EBADF;
    cur->files->fd[a0] = NULL;
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
    if (dev_path(path)) {
        struct file *f;
        r = dev_open(path, 0, &f);
        if (!r) { stat_file(f, &st); file_put(f); }
    } else {
        struct inode *ip;
        r = namei(dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), &ip);
        if (!r) { ext2_stat(ip, &st); iput(ip); }
    }
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

static long mkdir_at(int dirfd, u64 upath, u32 mode)
{
    char *path;
    int r = get_path(upath, &path);
    if (r) return r;
    struct inode *dir, *ip;
    char name[256];
    r = nameiparent(dirfd, path, &dir, name);
    kfree(path);
    if (r) return r;
    r = ext2_create(dir, name, S_IFDIR | (mode & 07777 & ~umask_val), &ip);
    iput(dir);
    if (!r) iput(ip);
    return r;
}
SYSCALL(sys_mkdir) { UNUSED_ARGS; return mkdir_at(AT_FDCWD, a0, a1); }
SYSCALL(sys_mkdirat) { UNUSED_ARGS; return mkdir_at(a0, a1, a2); }

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
    struct inode *ip;
    r = namei(dirfd, path, false, &ip);
    kfree(path);
    if (r) return r;
    if (!S_ISLNK(ip->d.mode)) { iput(ip); return -EINVAL; }
    char *buf = kmalloc(4096);
    r = readlink_inode(ip, buf, 4096);
    iput(ip);
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
    if (dev_path(path)) {
        struct file *f;
        r = dev_open(path, 0, &f);
        if (!r) file_put(f);
    } else {
        struct inode *ip;
        r = namei(dirfd, path, true, &ip);
        if (!r) iput(ip);
    }
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
    if (!f || newfd >= MAXFD) return -EBADF;
    if (oldfd == newfd) return newfd;
    struct file *old = cur->files->fd[newfd];
    cur->files->fd[newfd] = file_dup(f);
    if (cloexec) cur->files->cloexec |= 1UL << newfd;
    else cur->files->cloexec &= ~(1UL << newfd);
    file_put(old);
    return newfd;
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
    case 1: return (cur->files->cloexec >> a0) & 1;
    case 2:
        if (a2 & 1) cur->files->cloexec |= 1UL << a0;
        else cur->files->cloexec &= ~(1UL << a0);
        return 0;
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
        if (fds[0] >= 0) cur->files->fd[fds[0]] = NULL;
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
