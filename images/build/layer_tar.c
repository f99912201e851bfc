/* Writing a layer tar with libarchive (pax, numeric owners), hashed while it
 * is written so the digest (the layer's diff_id, and its blob digest: layers
 * are stored uncompressed) costs no second read. Entries are written in
 * sorted order and mtimes can be clamped, so the same files give the same
 * bytes. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "dl_archive.h"
#include "images/build/build.h"
#include "util.h"

static la_ssize_t write_cb(struct archive *a, void *ctx, const void *buf, size_t len)
{
    struct layer_writer *w = ctx;

    (void)a;
    if (osbox_write_all(w->fd, buf, len) < 0) {
        w->failed = true;
        return -1;
    }
    images_hash_update(&w->hash, buf, len);
    return (la_ssize_t)len;
}

int layer_writer_open(struct layer_writer *w, const char *path, int64_t clamp,
                      struct osbox_err *err)
{
    memset(w, 0, sizeof *w);
    w->fd = -1;
    if (lazy_archive_load(err) < 0)
        return -1;
    w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (w->fd < 0)
        return osbox_error(err, errno, "create %s", path);
    if (images_hash_init(&w->hash, err) < 0) {
        close(w->fd);
        w->fd = -1;
        return -1;
    }
    w->clamp = clamp;
    w->mode = -1;
    w->links = json_object();
    w->a = archive_write_new();
    archive_write_set_format_pax_restricted(w->a);
    if (archive_write_open(w->a, w, NULL, write_cb, NULL) != ARCHIVE_OK) {
        osbox_error(err, 0, "tar: %s", archive_error_string(w->a));
        layer_writer_abort(w);
        return -1;
    }
    return 0;
}

static int64_t clamp_time(const struct layer_writer *w, int64_t t)
{
    return w->clamp >= 0 && t > w->clamp ? w->clamp : t;
}

static int write_header(struct layer_writer *w, struct archive_entry *e, const char *name,
                        struct osbox_err *err)
{
    if (archive_write_header(w->a, e) < ARCHIVE_WARN)
        return osbox_error(err, w->failed ? EIO : 0, "tar entry '%s': %s", name,
                           archive_error_string(w->a));
    return 0;
}

/* overlayfs keeps its own state in trusted.overlay.*: never part of a layer. */
static void add_xattrs(struct archive_entry *e, const char *path)
{
    char names[4096], val[4096];
    ssize_t n = llistxattr(path, names, sizeof names);

    for (ssize_t off = 0; n > 0 && off < n; off += (ssize_t)strlen(names + off) + 1) {
        const char *k = names + off;
        if (strncmp(k, "user.", 5) && strncmp(k, "security.", 9) && strncmp(k, "trusted.", 8))
            continue;
        if (!strncmp(k, "trusted.overlay.", 16) || !strcmp(k, "security.selinux"))
            continue;
        ssize_t len = lgetxattr(path, k, val, sizeof val);
        if (len >= 0)
            archive_entry_xattr_add_entry(e, k, val, (size_t)len);
    }
}

static int copy_data(struct layer_writer *w, const char *path, const char *name,
                     struct osbox_err *err)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    char buf[1 << 16];
    ssize_t n;

    if (fd < 0)
        return osbox_error(err, errno, "open %s", path);
    while ((n = read(fd, buf, sizeof buf)) > 0)
        if (archive_write_data(w->a, buf, (size_t)n) != n)
            return osbox_error(err, w->failed ? EIO : 0, "tar entry '%s': %s", name,
                               archive_error_string(w->a));
    if (n < 0)
        return osbox_error(err, errno, "read %s", path);
    return 0;
}

int layer_writer_add_file(struct layer_writer *w, const char *name, const char *host_path,
                          long uid, long gid, struct osbox_err *err)
{
    struct archive_entry *e;
    struct stat st;
    char key[64], target[4096];
    int rc = -1;

    if (lstat(host_path, &st) < 0)
        return osbox_error(err, errno, "%s", host_path);
    e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_uid(e, uid >= 0 ? uid : st.st_uid);
    archive_entry_set_gid(e, gid >= 0 ? gid : st.st_gid);
    archive_entry_set_mtime(e, clamp_time(w, st.st_mtim.tv_sec),
                            w->clamp >= 0 && st.st_mtim.tv_sec >= w->clamp ? 0 : st.st_mtim.tv_nsec);
    archive_entry_set_perm(e, w->mode >= 0 && !S_ISLNK(st.st_mode) ? (mode_t)w->mode : st.st_mode & 07777);
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
        snprintf(key, sizeof key, "%llu:%llu", (unsigned long long)st.st_dev,
                 (unsigned long long)st.st_ino);
        json_t *first = json_object_get(w->links, key);
        if (first) {
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_hardlink(e, json_string_value(first));
            archive_entry_set_size(e, 0);
            rc = write_header(w, e, name, err);
            goto out;
        }
        json_object_set_new(w->links, key, json_string(name));
    }
    add_xattrs(e, host_path);
    if (S_ISREG(st.st_mode)) {
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, st.st_size);
        if (write_header(w, e, name, err) < 0 || copy_data(w, host_path, name, err) < 0)
            goto out;
    } else if (S_ISLNK(st.st_mode)) {
        ssize_t n = readlink(host_path, target, sizeof target - 1);
        if (n < 0) {
            osbox_error(err, errno, "readlink %s", host_path);
            goto out;
        }
        target[n] = 0;
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_set_symlink(e, target);
        if (write_header(w, e, name, err) < 0)
            goto out;
    } else {
        archive_entry_set_filetype(e, S_ISDIR(st.st_mode) ? AE_IFDIR : S_ISFIFO(st.st_mode) ? AE_IFIFO
                                   : S_ISCHR(st.st_mode) ? AE_IFCHR : S_ISBLK(st.st_mode) ? AE_IFBLK
                                   : 0);
        if (!archive_entry_filetype(e)) { /* a socket: not in a layer */
            rc = 0;
            goto out;
        }
        if (write_header(w, e, name, err) < 0)
            goto out;
    }
    rc = 0;
out:
    archive_entry_free(e);
    return rc;
}

int layer_writer_add_dir(struct layer_writer *w, const char *name, mode_t mode, uid_t uid,
                         gid_t gid, int64_t mtime, struct osbox_err *err)
{
    struct archive_entry *e = archive_entry_new();
    int rc;

    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFDIR);
    archive_entry_set_perm(e, mode & 07777);
    archive_entry_set_uid(e, uid);
    archive_entry_set_gid(e, gid);
    archive_entry_set_mtime(e, clamp_time(w, mtime), 0);
    rc = write_header(w, e, name, err);
    archive_entry_free(e);
    return rc;
}

int layer_writer_add_whiteout(struct layer_writer *w, const char *name, bool opaque,
                              struct osbox_err *err)
{
    _cleanup_free_ char *dup = osbox_xstrdup(name), *wh = NULL;
    char *slash = strrchr(dup, '/');
    struct archive_entry *e;
    int rc;

    if (opaque)
        wh = osbox_strdup_printf("%s/.wh..wh..opq", name);
    else if (slash) {
        *slash = 0;
        wh = osbox_strdup_printf("%s/.wh.%s", dup, slash + 1);
    } else
        wh = osbox_strdup_printf(".wh.%s", dup);
    e = archive_entry_new();
    archive_entry_set_pathname(e, wh);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0);
    archive_entry_set_size(e, 0);
    archive_entry_set_mtime(e, clamp_time(w, 0), 0);
    rc = write_header(w, e, wh, err);
    archive_entry_free(e);
    return rc;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of dir, sorted (a strv). */
static char **sorted_entries(const char *dir)
{
    char **v = osbox_xcalloc(1, sizeof *v);
    DIR *d = opendir(dir);
    struct dirent *de;

    if (!d)
        return v;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            osbox_strv_push(&v, de->d_name);
    closedir(d);
    qsort(v, osbox_strv_len(v), sizeof *v, by_name);
    return v;
}

static bool in_lowers(char *const *lowers, const char *rel)
{
    struct stat st;

    for (size_t i = 0; lowers && lowers[i]; i++) {
        _cleanup_free_ char *p = osbox_strdup_printf("%s/%s", lowers[i], rel);
        if (lstat(p, &st) == 0)
            return true;
    }
    return false;
}

/* Made by the runtime as a mount point only (an empty file or directory for
 * /proc, /etc/hosts, ... the image lacked): Docker leaves them out too. */
static bool mount_placeholder(const char *rel, const struct stat *st, const char *path,
                              char *const *lowers)
{
    static const char *const points[] = {
        "proc", "sys", "dev", "dev/pts", "dev/shm", "dev/mqueue", "etc/hosts", "etc/hostname",
        "etc/resolv.conf", NULL,
    };
    bool known = false;

    for (size_t i = 0; points[i]; i++)
        known |= !strcmp(points[i], rel);
    if (!known || in_lowers(lowers, rel))
        return false;
    if (S_ISREG(st->st_mode))
        return st->st_size == 0;
    if (S_ISDIR(st->st_mode)) {
        char **v = sorted_entries(path);
        bool empty = !v[0];
        osbox_strv_free(v);
        return empty;
    }
    return false;
}

static int add_tree(struct layer_writer *w, const char *upper, const char *rel,
                    char *const *lowers, unsigned depth, struct osbox_err *err)
{
    _cleanup_free_ char *dir = *rel ? osbox_strdup_printf("%s/%s", upper, rel) : osbox_xstrdup(upper);
    char **names;
    int rc = 0;

    if (depth > 256)
        return osbox_error(err, ELOOP, "%s: directories nested too deeply", dir);
    names = sorted_entries(dir);
    for (size_t i = 0; rc == 0 && names[i]; i++) {
        _cleanup_free_ char *r = *rel ? osbox_strdup_printf("%s/%s", rel, names[i])
                                      : osbox_xstrdup(names[i]);
        _cleanup_free_ char *p = osbox_strdup_printf("%s/%s", upper, r);
        struct stat st;
        char opq[4] = "";

        if (lstat(p, &st) < 0) {
            rc = osbox_error(err, errno, "%s", p);
            break;
        }
        if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
            rc = layer_writer_add_whiteout(w, r, false, err);
            continue;
        }
        if (mount_placeholder(r, &st, p, lowers))
            continue;
        rc = layer_writer_add_file(w, r, p, -1, -1, err);
        if (rc == 0 && S_ISDIR(st.st_mode)) {
            if (lgetxattr(p, "trusted.overlay.opaque", opq, sizeof opq) > 0 && opq[0] == 'y')
                rc = layer_writer_add_whiteout(w, r, true, err);
            if (rc == 0)
                rc = add_tree(w, upper, r, lowers, depth + 1, err);
        }
    }
    osbox_strv_free(names);
    return rc;
}

int layer_writer_add_upper(struct layer_writer *w, const char *upper, char *const *lowers,
                           struct osbox_err *err)
{
    return add_tree(w, upper, "", lowers, 0, err);
}

int layer_writer_close(struct layer_writer *w, char digest[72], int64_t *size,
                       struct osbox_err *err)
{
    int rc = 0;

    if (archive_write_close(w->a) != ARCHIVE_OK || w->failed)
        rc = osbox_error(err, w->failed ? EIO : 0, "tar: %s",
                         archive_error_string(w->a) ? archive_error_string(w->a) : "write failed");
    archive_write_free(w->a);
    w->a = NULL;
    if (size)
        *size = (int64_t)w->hash.bytes;
    images_hash_final(&w->hash, digest);
    if (rc == 0 && fsync(w->fd) < 0)
        rc = osbox_error(err, errno, "fsync layer tar");
    close(w->fd);
    w->fd = -1;
    json_decref(w->links);
    w->links = NULL;
    return rc;
}

void layer_writer_abort(struct layer_writer *w)
{
    if (w->a)
        archive_write_free(w->a);
    w->a = NULL;
    if (w->hash.ctx)
        images_hash_free(&w->hash);
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
    json_decref(w->links);
    w->links = NULL;
}
