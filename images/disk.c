/* An image's root filesystem as an ext2 disk, for `vm run`: the layers are
 * merged top-down the way overlayfs would show them (whiteouts hide, opaque
 * directories cut off what is below) and written straight into a new ext2
 * filesystem with libext2fs, no temporary copy. Disks are cached under
 * images/disks/<manifest hex>.ext2 and removed with the image. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "dl_ext2fs.h"
#include "internal.h"
#include "util.h"

#define DISK_BLOCK 4096

struct hardlink {
    dev_t dev;
    ino_t ino;
    ext2_ino_t e2;
};

struct disk {
    ext2_filsys fs;        /* NULL in the sizing pass */
    uint64_t bytes, inodes; /* sizing pass totals */
    struct hardlink *links;
    size_t n_links, cap_links;
    struct osbox_err *err;
};

/* libext2fs codes are errno values or its own table's (which lives in
 * libcom_err, not linked here): name the errno ones, number the rest. */
static int e2err(struct disk *d, errcode_t rc, const char *what, const char *path)
{
    if (rc > 0 && rc < 4096)
        return osbox_error(d->err, (int)rc, "ext2 disk: %s %s", what, path);
    if (rc == EXT2_ET_DIR_NO_SPACE || rc == EXT2_ET_BLOCK_ALLOC_FAIL ||
        rc == EXT2_ET_INODE_ALLOC_FAIL)
        return osbox_error(d->err, ENOSPC, "ext2 disk: %s %s", what, path);
    return osbox_error(d->err, 0, "ext2 disk: %s %s: libext2fs error %ld", what, path, (long)rc);
}

struct name {
    char *name;
    size_t layer; /* index of the topmost layer holding it */
};

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct name *)a)->name, ((const struct name *)b)->name);
}

/* The names of one merged directory; the topmost layer decides each. */
static struct name *list_names(const int *fds, size_t n, size_t *count)
{
    struct name *v = NULL;
    size_t len = 0, cap = 0;

    for (size_t l = 0; l < n; l++) {
        int fd = openat(fds[l], ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *e;

        if (!dir) {
            if (fd >= 0)
                close(fd);
            continue;
        }
        while ((e = readdir(dir))) {
            bool seen = false;
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            for (size_t i = 0; i < len && !seen; i++)
                seen = !strcmp(v[i].name, e->d_name);
            if (seen)
                continue;
            if (len == cap) {
                cap = cap ? cap * 2 : 32;
                v = realloc(v, cap * sizeof *v);
                if (!v)
                    abort();
            }
            v[len].name = osbox_xstrdup(e->d_name);
            v[len++].layer = l;
        }
        closedir(dir);
    }
    if (len)
        qsort(v, len, sizeof *v, by_name);
    *count = len;
    return v;
}

static bool is_whiteout(const struct stat *st)
{
    return S_ISCHR(st->st_mode) && st->st_rdev == 0;
}

static bool is_opaque(int fd)
{
    char v = 0;
    return fgetxattr(fd, "trusted.overlay.opaque", &v, 1) == 1 && v == 'y';
}

static void set_meta(struct ext2_inode *in, const struct stat *st, unsigned type)
{
    in->i_mode = (__u16)(type | (st->st_mode & 07777));
    in->i_uid = (__u16)st->st_uid;
    ext2fs_set_i_uid_high(*in, st->st_uid >> 16);
    in->i_gid = (__u16)st->st_gid;
    ext2fs_set_i_gid_high(*in, st->st_gid >> 16);
    in->i_atime = in->i_ctime = in->i_mtime = (__u32)st->st_mtime;
}

/* Link ino into parent under name, growing the directory when it is full. */
static errcode_t link_into(ext2_filsys fs, ext2_ino_t parent, const char *name, ext2_ino_t ino,
                           int ftype)
{
    errcode_t rc = ext2fs_link(fs, parent, name, ino, ftype);
    if (rc == EXT2_ET_DIR_NO_SPACE) {
        rc = ext2fs_expand_dir(fs, parent);
        if (!rc)
            rc = ext2fs_link(fs, parent, name, ino, ftype);
    }
    return rc;
}

static int new_inode(struct disk *d, ext2_ino_t parent, const char *name, const struct stat *st,
                     unsigned type, int ftype, ext2_ino_t *out)
{
    struct ext2_inode in;
    errcode_t rc;
    ext2_ino_t ino;

    rc = ext2fs_new_inode(d->fs, parent, (int)type, NULL, &ino);
    if (!rc)
        rc = link_into(d->fs, parent, name, ino, ftype);
    if (rc)
        return e2err(d, rc, "create", name);
    ext2fs_inode_alloc_stats2(d->fs, ino, +1, 0);
    memset(&in, 0, sizeof in);
    set_meta(&in, st, type);
    in.i_links_count = 1;
    rc = ext2fs_write_new_inode(d->fs, ino, &in);
    if (rc)
        return e2err(d, rc, "write inode", name);
    *out = ino;
    return 0;
}

static int copy_file(struct disk *d, int dirfd, const char *name, ext2_ino_t ino,
                     const struct stat *st)
{
    _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    _cleanup_free_ char *buf = malloc(1 << 16);
    ext2_file_t f;
    errcode_t rc;

    if (fd < 0 || !buf)
        return osbox_error(d->err, errno, "ext2 disk: open %s", name);
    rc = ext2fs_file_open(d->fs, ino, EXT2_FILE_WRITE, &f);
    if (rc)
        return e2err(d, rc, "open", name);
    for (;;) {
        ssize_t n = read(fd, buf, 1 << 16);
        unsigned int done = 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n < 0) {
                ext2fs_file_close(f);
                return osbox_error(d->err, errno, "ext2 disk: read %s", name);
            }
            break;
        }
        while (done < (unsigned)n) {
            unsigned int w;
            rc = ext2fs_file_write(f, buf + done, (unsigned)n - done, &w);
            if (rc) {
                ext2fs_file_close(f);
                return e2err(d, rc, "write", name);
            }
            done += w;
        }
    }
    rc = ext2fs_file_set_size2(f, (ext2_off64_t)st->st_size);
    if (!rc)
        rc = ext2fs_file_close(f);
    else
        ext2fs_file_close(f);
    return rc ? e2err(d, rc, "close", name) : 0;
}

static int add_hardlink(struct disk *d, ext2_ino_t parent, const char *name, const struct stat *st,
                        bool *done)
{
    struct ext2_inode in;
    errcode_t rc;

    *done = false;
    if (st->st_nlink < 2)
        return 0;
    for (size_t i = 0; i < d->n_links; i++) {
        if (d->links[i].dev != st->st_dev || d->links[i].ino != st->st_ino)
            continue;
        rc = link_into(d->fs, parent, name, d->links[i].e2, EXT2_FT_REG_FILE);
        if (!rc)
            rc = ext2fs_read_inode(d->fs, d->links[i].e2, &in);
        if (!rc) {
            in.i_links_count++;
            rc = ext2fs_write_inode(d->fs, d->links[i].e2, &in);
        }
        if (rc)
            return e2err(d, rc, "hardlink", name);
        *done = true;
        return 0;
    }
    return 0;
}

static void remember_link(struct disk *d, const struct stat *st, ext2_ino_t ino)
{
    if (st->st_nlink < 2)
        return;
    if (d->n_links == d->cap_links) {
        d->cap_links = d->cap_links ? d->cap_links * 2 : 16;
        d->links = realloc(d->links, d->cap_links * sizeof *d->links);
        if (!d->links)
            abort();
    }
    d->links[d->n_links++] = (struct hardlink){ st->st_dev, st->st_ino, ino };
}

static int merge_dir(struct disk *d, const int *fds, size_t n, ext2_ino_t parent, int depth);

static int add_entry(struct disk *d, const int *fds, size_t n, const struct name *e,
                     ext2_ino_t parent, int depth)
{
    int top = fds[e->layer];
    struct stat st;
    ext2_ino_t ino = 0;
    errcode_t rc;

    if (fstatat(top, e->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return osbox_error(d->err, errno, "ext2 disk: stat %s", e->name);
    if (is_whiteout(&st))
        return 0; /* deleted by an upper layer */
    d->inodes++;
    if (S_ISDIR(st.st_mode)) {
        /* The same directory in lower layers shows through until a layer has
         * something else there, or this one is opaque. */
        int sub[64];
        size_t m = 0;
        int rcode = 0;
        for (size_t l = e->layer; l < n && m < 64; l++) {
            struct stat ls;
            if (fstatat(fds[l], e->name, &ls, AT_SYMLINK_NOFOLLOW) < 0)
                continue;
            if (!S_ISDIR(ls.st_mode))
                break;
            sub[m] = openat(fds[l], e->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub[m] < 0)
                break;
            if (is_opaque(sub[m++]))
                break;
        }
        d->bytes += DISK_BLOCK;
        if (d->fs) {
            rc = ext2fs_mkdir(d->fs, parent, 0, e->name);
            if (rc == EXT2_ET_DIR_NO_SPACE && !(rc = ext2fs_expand_dir(d->fs, parent)))
                rc = ext2fs_mkdir(d->fs, parent, 0, e->name);
            if (!rc)
                rc = ext2fs_lookup(d->fs, parent, e->name, (int)strlen(e->name), NULL, &ino);
            if (!rc) {
                struct ext2_inode in;
                rc = ext2fs_read_inode(d->fs, ino, &in);
                if (!rc) {
                    set_meta(&in, &st, LINUX_S_IFDIR);
                    rc = ext2fs_write_inode(d->fs, ino, &in);
                }
            }
            if (rc)
                rcode = e2err(d, rc, "mkdir", e->name);
        }
        if (rcode == 0)
            rcode = depth > 256 ? osbox_error(d->err, 0, "ext2 disk: directories nest too deep")
                                : merge_dir(d, sub, m, ino, depth + 1);
        for (size_t i = 0; i < m; i++)
            close(sub[i]);
        return rcode;
    }
    if (S_ISREG(st.st_mode)) {
        bool linked;
        d->bytes += ((uint64_t)st.st_size + DISK_BLOCK - 1) / DISK_BLOCK * DISK_BLOCK +
                    (uint64_t)st.st_size / 256; /* indirect blocks */
        if (!d->fs)
            return 0;
        if (add_hardlink(d, parent, e->name, &st, &linked) < 0 || linked)
            return linked ? 0 : -1;
        if (new_inode(d, parent, e->name, &st, LINUX_S_IFREG, EXT2_FT_REG_FILE, &ino) < 0 ||
            copy_file(d, top, e->name, ino, &st) < 0)
            return -1;
        remember_link(d, &st, ino);
        return 0;
    }
    if (S_ISLNK(st.st_mode)) {
        char target[4096];
        ssize_t len = readlinkat(top, e->name, target, sizeof target - 1);
        if (len < 0)
            return osbox_error(d->err, errno, "ext2 disk: readlink %s", e->name);
        target[len] = '\0';
        d->bytes += len > 59 ? DISK_BLOCK : 0;
        if (!d->fs)
            return 0;
        rc = ext2fs_symlink(d->fs, parent, 0, e->name, target);
        if (rc == EXT2_ET_DIR_NO_SPACE && !(rc = ext2fs_expand_dir(d->fs, parent)))
            rc = ext2fs_symlink(d->fs, parent, 0, e->name, target);
        if (!rc)
            rc = ext2fs_lookup(d->fs, parent, e->name, (int)strlen(e->name), NULL, &ino);
        if (!rc) {
            struct ext2_inode in;
            rc = ext2fs_read_inode(d->fs, ino, &in);
            if (!rc) {
                ext2fs_set_i_uid_high(in, st.st_uid >> 16);
                in.i_uid = (__u16)st.st_uid;
                in.i_gid = (__u16)st.st_gid;
                ext2fs_set_i_gid_high(in, st.st_gid >> 16);
                rc = ext2fs_write_inode(d->fs, ino, &in);
            }
        }
        return rc ? e2err(d, rc, "symlink", e->name) : 0;
    }
    if (S_ISFIFO(st.st_mode))
        return d->fs ? new_inode(d, parent, e->name, &st, LINUX_S_IFIFO, EXT2_FT_FIFO, &ino) : 0;
    d->inodes--; /* sockets, devices: not part of an image */
    return 0;
}

static int merge_dir(struct disk *d, const int *fds, size_t n, ext2_ino_t parent, int depth)
{
    size_t count = 0;
    struct name *names = list_names(fds, n, &count);
    int rc = 0;

    for (size_t i = 0; i < count; i++) {
        if (rc == 0)
            rc = add_entry(d, fds, n, &names[i], parent, depth);
        free(names[i].name);
    }
    free(names);
    return rc;
}

static int mkfs(struct disk *d, const char *path, uint64_t bytes, uint64_t inodes)
{
    struct ext2_super_block param;
    errcode_t rc;

    memset(&param, 0, sizeof param);
    param.s_rev_level = EXT2_DYNAMIC_REV;
    param.s_log_block_size = 2; /* 1024 << 2 = 4096 */
    ext2fs_blocks_count_set(&param, bytes / DISK_BLOCK);
    param.s_inodes_count = (__u32)inodes;
    param.s_feature_incompat = EXT2_FEATURE_INCOMPAT_FILETYPE;
    param.s_feature_ro_compat = EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER |
                                EXT2_FEATURE_RO_COMPAT_LARGE_FILE;
    rc = ext2fs_initialize(path, EXT2_FLAG_64BITS, &param, unix_io_manager, &d->fs);
    if (rc)
        return e2err(d, rc, "initialize", path);
    rc = ext2fs_allocate_tables(d->fs);
    for (dgrp_t g = 0; !rc && g < d->fs->group_desc_count; g++)
        rc = ext2fs_zero_blocks2(d->fs, ext2fs_inode_table_loc(d->fs, g),
                                 (int)d->fs->inode_blocks_per_group, NULL, NULL);
    if (!rc)
        rc = ext2fs_mkdir(d->fs, EXT2_ROOT_INO, EXT2_ROOT_INO, 0);
    if (!rc)
        rc = ext2fs_mkdir(d->fs, EXT2_ROOT_INO, 0, "lost+found");
    if (rc)
        return e2err(d, rc, "format", path);
    for (ext2_ino_t i = EXT2_ROOT_INO + 1; i < EXT2_FIRST_INODE(d->fs->super); i++)
        ext2fs_inode_alloc_stats2(d->fs, i, +1, 0);
    ext2fs_mark_ib_dirty(d->fs);
    ext2fs_mark_inode_bitmap2(d->fs->inode_map, EXT2_BAD_INO);
    ext2fs_inode_alloc_stats2(d->fs, EXT2_BAD_INO, +1, 0);
    rc = ext2fs_update_bb_inode(d->fs, NULL);
    return rc ? e2err(d, rc, "bad block inode", path) : 0;
}

static int build(const struct osbox_image *img, const char *path, uint64_t extra,
                 struct osbox_err *err)
{
    struct disk d = { .err = err };
    size_t n = osbox_strv_len(img->layers);
    int fds[64];
    size_t m = 0;
    uint64_t bytes, inodes;
    int rc = -1;

    if (n > 64)
        return osbox_error(err, 0, "ext2 disk: more than 64 layers");
    if (lazy_ext2fs_load(err) < 0)
        return -1;
    /* Top layer first, cut at an opaque root. */
    for (size_t i = n; i-- > 0;) {
        fds[m] = open(img->layers[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fds[m] < 0) {
            osbox_error(err, errno, "open layer %s", img->layers[i]);
            goto out;
        }
        m++;
    }
    if (merge_dir(&d, fds, m, EXT2_ROOT_INO, 0) < 0) /* sizing pass */
        goto out;
    bytes = (d.bytes + d.bytes / 4 + extra + (16 << 20)) / DISK_BLOCK * DISK_BLOCK;
    inodes = d.inodes * 2 + 4096;
    {
        _cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 || ftruncate(fd, (off_t)bytes) < 0) {
            osbox_error(err, errno, "create %s", path);
            goto out;
        }
    }
    if (mkfs(&d, path, bytes, inodes) < 0 || merge_dir(&d, fds, m, EXT2_ROOT_INO, 0) < 0)
        goto out;
    errcode_t erc = ext2fs_close_free(&d.fs);
    if (erc) {
        e2err(&d, erc, "close", path);
        goto out;
    }
    rc = images_fsync_path(path) < 0 ? osbox_error(err, errno, "fsync %s", path) : 0;
out:
    if (d.fs)
        ext2fs_free(d.fs);
    free(d.links);
    for (size_t i = 0; i < m; i++)
        close(fds[i]);
    return rc;
}

int images_ext2_disk(const char *ref, unsigned long long extra_bytes, char **path_out,
                     struct osbox_err *err)
{
    struct osbox_image *img = NULL;
    struct images_store s;
    _cleanup_free_ char *dir = NULL, *final = NULL, *tmp = NULL;
    char id[65];
    int rc = -1;

    if (images_resolve(ref, &img, err) < 0)
        return -1;
    if (images_store_open(&s, err) < 0) {
        images_image_free(img);
        return -1;
    }
    dir = osbox_strdup_printf("%s/disks", s.root);
    final = osbox_strdup_printf("%s/%s.ext2", dir, images_digest_hex(img->digest));
    if (access(final, F_OK) == 0) /* cached */
        goto done;
    /* The lock keeps gc and rmi away while the disk is built. */
    if (images_store_lock(&s, err) < 0 || osbox_mkdir_p(dir, 0700, err) < 0 ||
        osbox_random_id(id, err) < 0)
        goto out;
    if (access(final, F_OK) == 0)
        goto done;
    id[16] = '\0';
    tmp = osbox_strdup_printf("%s/tmp/disk-%s.ext2", s.root, id);
    if (build(img, tmp, extra_bytes, err) < 0) {
        unlink(tmp);
        osbox_error_prefix(err, "image '%s'", ref);
        goto out;
    }
    if (rename(tmp, final) < 0) {
        osbox_error(err, errno, "rename %s", tmp);
        unlink(tmp);
        goto out;
    }
    images_fsync_path(dir);
done:
    *path_out = OSBOX_STEAL(final);
    rc = 0;
out:
    images_image_free(img);
    images_store_close(&s);
    return rc;
}
