/* VFS: inodes (ext2-backed), open files, pipes, device files. */
#ifndef GUEST_FS_H
#define GUEST_FS_H
#include "types.h"

#define S_IFMT 0170000
#define S_IFSOCK 0140000
#define S_IFLNK 0120000
#define S_IFREG 0100000
#define S_IFBLK 0060000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFIFO 0010000
#define S_ISDIR(m) (((m) & S_IFMT) == S_IFDIR)
#define S_ISREG(m) (((m) & S_IFMT) == S_IFREG)
#define S_ISLNK(m) (((m) & S_IFMT) == S_IFLNK)
#define S_ISFIFO(m) (((m) & S_IFMT) == S_IFIFO)

#define O_ACCMODE 3
#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_CREAT 0100
#define O_EXCL 0200
#define O_NOCTTY 0400
#define O_TRUNC 01000
#define O_APPEND 02000
#define O_NONBLOCK 04000
#define O_DIRECTORY 0200000
#define O_NOFOLLOW 0400000
#define O_CLOEXEC 02000000
#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define AT_EMPTY_PATH 0x1000

struct ext2_dinode {
    u16 mode, uid;
    u32 size, atime, ctime, mtime, dtime;
    u16 gid, links;
    u32 blocks, flags, osd1;
    u32 block[15];
    u32 generation, file_acl, size_high, faddr;
    u8 osd2[12];
};

struct inode {
    u32 ino;
    int refs;
    struct inode *hnext;        /* in-use: the hash chain; unused: the free list */
    struct ext2_dinode d;
};

struct stat_k {     /* Linux x86-64 struct stat */
    u64 dev, ino, nlink;
    u32 mode, uid, gid, pad0;
    u64 rdev;
    s64 size, blksize, blocks;
    u64 atime, atime_ns, mtime, mtime_ns, ctime, ctime_ns;
    s64 unused[3];
};

struct statfs_k {   /* Linux x86-64 struct statfs */
    s64 type, bsize;
    u64 blocks, bfree, bavail, files, ffree;
    s32 fsid[2];
    s64 namelen, frsize, flags, spare[4];
};

/* fs/ext2.c */
int ext2_mount(void);
struct inode *iget(u32 ino);
struct inode *idup(struct inode *ip);
void iput(struct inode *ip);
u64 isize(struct inode *ip);
ssize_t ext2_read(struct inode *ip, void *buf, u64 off, size_t n);
ssize_t ext2_write(struct inode *ip, const void *buf, u64 off, size_t n);
int ext2_truncate(struct inode *ip, u64 size);
int ext2_lookup(struct inode *dir, const char *name, size_t len, u32 *ino);
int ext2_create(struct inode *dir, const char *name, u16 mode, struct inode **out);
int ext2_link(struct inode *dir, const char *name, struct inode *ip);
int ext2_unlink(struct inode *dir, const char *name, bool rmdir);
int ext2_rename(struct inode *odir, const char *oname, struct inode *ndir, const char *nname);
/* iterate: returns next offset, 0 at end; fills ino/type/name */
u64 ext2_readdir(struct inode *dir, u64 off, u32 *ino, u8 *type, char *name);
void ext2_stat(struct inode *ip, struct stat_k *st);
void iupdate(struct inode *ip);
void ext2_statfs(struct statfs_k *st);
bool ext2_readonly(void);
extern struct inode *root_inode;
extern u32 ext2_block_size;

/* fs/namei.c */
int namei(int dirfd, const char *path, bool follow, struct inode **out);
int nameiparent(int dirfd, const char *path, struct inode **dir, char *name);
int readlink_inode(struct inode *ip, char *buf, size_t max);
int namei_realpath(const char *path, char *out, size_t n);

/* open files */
enum ftype { FT_INODE, FT_PIPE, FT_CONSOLE, FT_NULL, FT_ZERO, FT_SOCKET, FT_EPOLL, FT_MEM };
struct pipe;
struct file {
    int refs;
    enum ftype type;
    int flags;
    u64 off;
    struct inode *ip;
    struct pipe *pipe;
    bool pipe_write;
    void *priv;         /* FT_SOCKET: struct socket, FT_EPOLL: struct epoll, FT_MEM: bytes */
    u64 mem_len;        /* FT_MEM: a /proc file's text, read-only */
    bool mem_dir;       /* FT_MEM: a /proc directory (priv holds dirent64 records) */
    int fd_dir_pid;     /* FT_MEM: /proc/PID/fd, listed at the first getdents (so it
                           shows its own descriptor, as on Linux) */
    char *path;         /* FT_INODE: the absolute name it was opened by, for /proc/PID/fd */
};
struct file *file_alloc(enum ftype type, int flags);
struct file *file_dup(struct file *f);
void file_put(struct file *f);
ssize_t file_read(struct file *f, void *kbuf, size_t n);
ssize_t file_write(struct file *f, const void *kbuf, size_t n);
int dev_open(const char *path, int flags, struct file **out);
bool dev_path(const char *path);    /* /dev/..., /proc or /proc/...: dev_open, not ext2 */

/* fs/procfs.c */
int proc_open(const char *path, int flags, struct file **out);
long proc_getdents(struct file *f, u64 ubuf, size_t cap);
int proc_readlink(const char *path, char *buf, size_t n);  /* -EINVAL: not a link */

/* fs/pipe.c */
int pipe_create(struct file **r, struct file **w);
ssize_t pipe_read(struct pipe *p, void *buf, size_t n, bool nonblock);
ssize_t pipe_write(struct pipe *p, const void *buf, size_t n);
void pipe_close(struct pipe *p, bool writer);
int pipe_poll(struct pipe *p, bool writer);
int fifo_open(u32 ino, int flags, struct file **out);

/* net/socket.c: sockets and epoll instances as files */
ssize_t sock_read(struct file *f, void *kbuf, size_t n);
ssize_t sock_write(struct file *f, const void *kbuf, size_t n);
bool sock_rw_user(struct file *f, u64 ubuf, size_t n, bool write, long *r);     /* TCP: no bounce */
long sock_ioctl(struct file *f, u64 req, u64 arg);
int net_file_poll(struct file *f);
void net_file_release(struct file *f);

/* drivers/tty.c */
ssize_t tty_read(void *buf, size_t n);
int tty_readable(void);
#endif
