/* Path resolution: absolute or relative to a directory fd / cwd, with
 * symlinks followed (bounded). */
#include "kernel.h"
#include "fs.h"
#include "proc.h"
#include "mm.h"
#include "errno.h"

static int start_dir(int dirfd, const char *path, struct inode **out)
{
    if (path[0] == '/') { *out = idup(root_inode); return 0; }
    if (dirfd == AT_FDCWD) { *out = idup(cur->cwd ? cur->cwd : root_inode); return 0; }
    struct file *f = fd_get(dirfd);
    if (!f) return -EBADF;
    if (f->type != FT_INODE || !S_ISDIR(f->ip->d.mode)) return -ENOTDIR;
    *out = idup(f->ip);
    return 0;
}

static int read_link(struct inode *ip, char *buf, size_t max)
{
    u64 n = isize(ip);
    if (n >= max) return -ENAMETOOLONG;
    if (ip->d.blocks == 0 || (ip->d.file_acl && ip->d.blocks == ext2_block_size / 512 && n < 60))
        memcpy(buf, ip->d.block, n);
    else if (ext2_read(ip, buf, 0, n) != (ssize_t)n) return -EIO;
    buf[n] = 0;
    return (int)n;
}

int readlink_inode(struct inode *ip, char *buf, size_t max) { return read_link(ip, buf, max); }

static int walk(struct inode *dir, const char *path, bool follow, int depth, struct inode **out)
{
    if (depth > 8) { iput(dir); return -ELOOP; }
    struct inode *ip = dir;
    const char *p = path;
    while (*p) {
        while (*p == '/') p++;
        if (!*p) break;
        const char *e = p;
        while (*e && *e != '/') e++;
        size_t len = e - p;
        if (!S_ISDIR(ip->d.mode)) { iput(ip); return -ENOTDIR; }
        u32 ino;
        int r = ext2_lookup(ip, p, len, &ino);
        if (r) { iput(ip); return r; }
        struct inode *next = iget(ino);
        if (!next) { iput(ip); return -ENFILE; }
        const char *rest = e;
        while (*rest == '/') rest++;
        if (S_ISLNK(next->d.mode) && (follow || *rest || *e == '/')) {
            char *target = kmalloc(4096);
            r = read_link(next, target, 4096);
            iput(next);
            if (r < 0) { kfree(target); iput(ip); return r; }
            struct inode *base = ip;
            if (target[0] == '/') { iput(ip); base = idup(root_inode); }
            struct inode *res;
            r = walk(base, target, true, depth + 1, &res);
            kfree(target);
            if (r) return r;
            ip = res;
        } else {
            iput(ip);
            ip = next;
        }
        p = e;
    }
    *out = ip;
    return 0;
}

int namei(int dirfd, const char *path, bool follow, struct inode **out)
{
    struct inode *d;
    if (!*path) return -ENOENT;
    int r = start_dir(dirfd, path, &d);
    if (r) return r;
    return walk(d, path, follow, 0, out);
}

/* Resolve all but the last component; name gets the last one. */
int nameiparent(int dirfd, const char *path, struct inode **dir, char *name)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/') n--;
    size_t s = n;
    while (s > 0 && path[s - 1] != '/') s--;
    if (n - s == 0 || n - s > 255) return n - s ? -ENAMETOOLONG : -EINVAL;
    memcpy(name, path + s, n - s);
    name[n - s] = 0;
    char *head = kmalloc(s + 2);
    memcpy(head, path, s);
    head[s] = 0;
    if (s == 0) { head[0] = '.'; head[1] = 0; }
    struct inode *d;
    int r = start_dir(dirfd, path[0] == '/' ? "/" : head, &d);
    if (!r) r = walk(d, head, true, 0, dir);
    kfree(head);
    if (!r && !S_ISDIR((*dir)->d.mode)) { iput(*dir); return -ENOTDIR; }
    return r;
}

/* Drop the last component of an absolute path ("/a/b" -> "/a", "/a" -> "") */
static void path_pop(char *p)
{
    char *s = p + strlen(p);
    while (s > p && *--s != '/') { }
    *s = 0;
}

/* The absolute path of PATH with ".", ".." and every symlink resolved, as
 * realpath(3): for /proc/PID/exe, which names the file a program runs from
 * (/bin/busybox for /bin/ls).  0 or -errno; out holds n bytes. */
int namei_realpath(const char *path, char *out, size_t n)
{
    char *todo = kmalloc(4096), *target = kmalloc(4096);
    int links = 0, r = 0;
    if (path[0] == '/') strlcpy(todo, path, 4096);
    else snprintf(todo, 4096, "%s/%s", cur->cwd_path, path);
    out[0] = 0;
    const char *p = todo;
    while (*p && !r) {
        while (*p == '/') p++;
        const char *e = p;
        while (*e && *e != '/') e++;
        size_t len = e - p, have = strlen(out);
        if (!len || (len == 1 && p[0] == '.')) { p = e; continue; }
        if (len == 2 && p[0] == '.' && p[1] == '.') { path_pop(out); p = e; continue; }
        if (have + 1 + len >= n) { r = -ENAMETOOLONG; break; }
        out[have] = '/';
        memcpy(out + have + 1, p, len);
        out[have + 1 + len] = 0;
        struct inode *ip;
        if ((r = namei(AT_FDCWD, out, false, &ip))) break;
        if (S_ISLNK(ip->d.mode)) {
            r = ++links > 40 ? -ELOOP : read_link(ip, target, 4096);
            if (r >= 0) {
                r = 0;
                out[have] = 0;                      /* the link's own name goes */
                if (target[0] == '/') out[0] = 0;
                size_t tl = strlen(target);         /* then: the target, then the rest */
                if (tl + 1 + strlen(e) >= 4096) r = -ENAMETOOLONG;
                else { memmove(todo + tl + 1, e, strlen(e) + 1); memcpy(todo, target, tl); todo[tl] = '/'; e = todo; }
            }
        }
        iput(ip);
        p = e;
    }
    if (!r && !out[0]) strlcpy(out, "/", n);
    kfree(todo);
    kfree(target);
    return r;
}
