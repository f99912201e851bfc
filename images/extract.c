/* Safe unpacking of one layer tar into a directory.
 *
 * Every entry is placed by walking its parent path one component at a time
 * from the layer's root with O_NOFOLLOW, so no symlink (from this layer or an
 * earlier entry) is ever followed and nothing lands outside the directory.
 * ".." components are rejected; absolute names are taken relative to the root.
 * OCI whiteouts become overlayfs whiteouts: ".wh.NAME" a 0/0 character device,
 * ".wh..wh..opq" the trusted.overlay.opaque=y xattr on its directory. Device
 * nodes other than whiteouts are skipped.
 *
 * The layer is read through two libarchive readers: the outer one only
 * decompresses (format "raw"), the inner one parses tar from the outer's
 * output; in between we hash the uncompressed stream, which is the diff_id. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "dl_archive.h"
#include "internal.h"
#include "util.h"

#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"

int images_path_clean(const char *in, char *out, size_t outsz)
{
    size_t n = 0;
    const char *p = in;

    while (*p) {
        const char *e = strchrnul(p, '/');
        size_t len = (size_t)(e - p);
        if (len == 2 && p[0] == '.' && p[1] == '.')
            return -1;
        if (len > 0 && !(len == 1 && p[0] == '.')) {
            if (n + len + 2 > outsz)
                return -1;
            if (n)
                out[n++] = '/';
            memcpy(out + n, p, len);
            n += len;
        }
        p = *e ? e + 1 : e;
    }
    out[n] = '\0';
    return 0;
}

struct feed {
    struct archive *outer;
    struct images_hash hash;
    uint64_t total; /* size of the (compressed) blob, for progress */
    char outer_err[256];
};

/* The compressed side of the one pass: each block read from the blob is
 * hashed (the blob digest) and, when tee_fd is set, written to the store's
 * copy before the decompressor sees it; the blob is never read twice. */
struct source {
    int fd;
    int tee_fd;
    struct images_hash hash;
    char *buf;
    int errnum;
    const char *failed; /* "read" or "write" when errnum is set */
};

#define SOURCE_BLOCK (1 << 20)

static ssize_t source_next(struct source *s)
{
    ssize_t r;

    do
        r = read(s->fd, s->buf, SOURCE_BLOCK);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
        s->errnum = errno;
        s->failed = "read";
        return -1;
    }
    images_hash_update(&s->hash, s->buf, (size_t)r);
    for (ssize_t w = 0; s->tee_fd >= 0 && w < r;) {
        ssize_t n = write(s->tee_fd, s->buf + w, (size_t)(r - w));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            s->errnum = errno;
            s->failed = "write";
            return -1;
        }
        w += n;
    }
    return r;
}

static la_ssize_t source_read(struct archive *a, void *client, const void **buf)
{
    struct source *s = client;
    ssize_t r = source_next(s);

    (void)a;
    if (r < 0)
        return -1; /* reported from s->errnum by the caller */
    *buf = s->buf;
    return (la_ssize_t)r;
}

/* What the decompressor left unread (padding after the stream) still belongs
 * to the blob: hash and copy it too. */
static int source_drain(struct source *s)
{
    ssize_t r;

    while ((r = source_next(s)) > 0)
        ;
    return r < 0 ? -1 : 0;
}

/* The entry's owner. EINVAL: the id does not exist in our user namespace
 * (rootless osbox maps one id): the file stays the extracting user's. */
static int own(int dirfd, const char *path, struct archive_entry *e, int flags)
{
    if (fchownat(dirfd, path, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e), flags) < 0 &&
        errno != EINVAL)
        return -1;
    return 0;
}

static la_ssize_t feed_read(struct archive *a, void *client, const void **buf)
{
    struct feed *f = client;
    size_t size;
    la_int64_t off;
    int r;

    (void)a;
    r = archive_read_data_block(f->outer, buf, &size, &off);
    if (r == ARCHIVE_EOF)
        return 0;
    if (r < ARCHIVE_WARN) {
        snprintf(f->outer_err, sizeof f->outer_err, "%s",
                 archive_error_string(f->outer) ? archive_error_string(f->outer)
                                                : "decompression failed");
        return -1;
    }
    images_hash_update(&f->hash, *buf, size);
    images_progress_bytes("unpack", (uint64_t)archive_filter_bytes(f->outer, -1), f->total, false);
    return (la_ssize_t)size;
}

/* Layer-root-relative directory handles, the last one cached: tars list
 * entries directory by directory. */
struct walker {
    int root;
    int cached;
    char cached_path[4096];
};

/* Open (creating missing components when create) the directory path below
 * root without following any symlink. Returns an O_PATH fd owned by w. */
static int open_dir(struct walker *w, const char *path, bool create, const char *entry,
                    struct osbox_err *err)
{
    char buf[4096];
    int cur;

    if (w->cached >= 0 && !strcmp(w->cached_path, path))
        return w->cached;
    if (strlen(path) >= sizeof buf)
        return osbox_error(err, ENAMETOOLONG, "entry '%s'", entry);
    strcpy(buf, path);
    cur = dup(w->root);
    if (cur < 0)
        return osbox_error(err, errno, "dup");
    for (char *c = buf, *next; c && *c; c = next) {
        int fd;
        next = strchr(c, '/');
        if (next)
            *next++ = '\0';
        fd = openat(cur, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT && create) {
            if (mkdirat(cur, c, 0755) < 0 && errno != EEXIST) {
                int e = errno;
                close(cur);
                return osbox_error(err, e, "entry '%s': mkdir", entry);
            }
            fd = openat(cur, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (fd < 0) {
            int e = errno;
            close(cur);
            if (e == ENOTDIR || e == ELOOP)
                return osbox_error(err, 0,
                                   "entry '%s' goes through '%s', which is a symlink or "
                                   "not a directory: refusing to follow it",
                                   entry, c);
            return osbox_error(err, e, "entry '%s'", entry);
        }
        close(cur);
        cur = fd;
    }
    if (w->cached >= 0)
        close(w->cached);
    w->cached = cur;
    snprintf(w->cached_path, sizeof w->cached_path, "%s", path);
    return cur;
}

static void split(char *path, const char **dir, const char **base)
{
    char *slash = strrchr(path, '/');
    if (slash) {
        *slash = '\0';
        *dir = path;
        *base = slash + 1;
    } else {
        *dir = "";
        *base = path;
    }
}

/* Make room for a new entry: a later entry replaces an earlier one, but an
 * existing directory stays when the new entry is a directory too. */
static int clear_slot(int dirfd, const char *base, bool keep_dir, const char *entry,
                      struct osbox_err *err)
{
    struct stat st;

    if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : osbox_error(err, errno, "entry '%s'", entry);
    if (S_ISDIR(st.st_mode)) {
        if (keep_dir)
            return 1;
        if (unlinkat(dirfd, base, AT_REMOVEDIR) < 0)
            return osbox_error(err, errno, "entry '%s' replaces a directory", entry);
        return 0;
    }
    if (unlinkat(dirfd, base, 0) < 0)
        return osbox_error(err, errno, "entry '%s'", entry);
    return 0;
}

static int apply_xattrs(int fd, struct archive_entry *e, const char *entry, struct osbox_err *err)
{
    const char *name;
    const void *val;
    size_t size;

    archive_entry_xattr_reset(e);
    while (archive_entry_xattr_next(e, &name, &val, &size) == ARCHIVE_OK) {
        /* Only the namespaces an image may carry; trusted.* would let a layer
         * forge overlayfs metadata. */
        if (strncmp(name, "user.", 5) && strncmp(name, "security.", 9))
            continue;
        if (fsetxattr(fd, name, val, size, 0) < 0 && errno != ENOTSUP)
            return osbox_error(err, errno, "entry '%s': set xattr %s", entry, name);
    }
    return 0;
}

static int write_file(struct archive *a, int dirfd, const char *base, struct archive_entry *e,
                      const char *entry, struct images_extract_stats *st, struct osbox_err *err)
{
    _cleanup_close_ int fd = -1;
    const void *buf;
    size_t size;
    la_int64_t off;
    int r;

    fd = openat(dirfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return osbox_error(err, errno, "entry '%s': create", entry);
    while ((r = archive_read_data_block(a, &buf, &size, &off)) == ARCHIVE_OK) {
        const char *p = buf;
        while (size) {
            ssize_t w = pwrite(fd, p, size, off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                return osbox_error(err, errno, "entry '%s': write", entry);
            p += w;
            off += w;
            size -= (size_t)w;
            st->bytes += (uint64_t)w;
        }
    }
    if (r != ARCHIVE_EOF)
        return osbox_error(err, 0, "entry '%s': %s", entry,
                           archive_error_string(a) ? archive_error_string(a) : "read failed");
    if (archive_entry_size_is_set(e) && ftruncate(fd, archive_entry_size(e)) < 0)
        return osbox_error(err, errno, "entry '%s': truncate", entry);
    /* Start writing back now, so the syncfs() before commit has little left
     * to wait for: disk writes overlap with decompression and hashing. */
    sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    if (own(fd, "", e, AT_EMPTY_PATH) < 0)
        return osbox_error(err, errno, "entry '%s': chown", entry);
    /* After chown, which clears setuid: mode bits exactly as the tar says. */
    if (fchmod(fd, archive_entry_mode(e) & 07777) < 0)
        return osbox_error(err, errno, "entry '%s': chmod", entry);
    if (apply_xattrs(fd, e, entry, err) < 0)
        return -1;
    struct timespec ts[2] = {
        { .tv_sec = archive_entry_mtime(e), .tv_nsec = archive_entry_mtime_nsec(e) },
        { .tv_sec = archive_entry_mtime(e), .tv_nsec = archive_entry_mtime_nsec(e) },
    };
    futimens(fd, ts);
    return 0;
}

static int make_dir(int dirfd, const char *base, struct archive_entry *e, const char *entry,
                    struct osbox_err *err)
{
    _cleanup_close_ int fd = -1;
    int r = clear_slot(dirfd, base, true, entry, err);

    if (r < 0)
        return -1;
    if (r == 0 && mkdirat(dirfd, base, 0700) < 0)
        return osbox_error(err, errno, "entry '%s': mkdir", entry);
    fd = openat(dirfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return osbox_error(err, errno, "entry '%s'", entry);
    if (own(fd, "", e, AT_EMPTY_PATH) < 0 || fchmod(fd, archive_entry_mode(e) & 07777) < 0)
        return osbox_error(err, errno, "entry '%s': chown/chmod", entry);
    return apply_xattrs(fd, e, entry, err);
}

static int whiteout(int dirfd, const char *base, const char *entry, struct osbox_err *err)
{
    const char *name = base + strlen(WHITEOUT_PREFIX);

    if (!strcmp(base, WHITEOUT_OPAQUE)) {
        _cleanup_close_ int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fsetxattr(fd, "trusted.overlay.opaque", "y", 1, 0) < 0)
            return osbox_error(err, errno, "entry '%s': mark directory opaque", entry);
        return 0;
    }
    if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
        return osbox_error(err, 0, "entry '%s': invalid whiteout", entry);
    if (clear_slot(dirfd, name, false, entry, err) < 0)
        return -1;
    if (mknodat(dirfd, name, S_IFCHR | 0, makedev(0, 0)) < 0)
        return osbox_error(err, errno, "entry '%s': whiteout", entry);
    return 0;
}

static int hardlink(struct walker *w, int dirfd, const char *base, const char *target,
                    const char *entry, struct osbox_err *err)
{
    char clean[4096];
    const char *tdir, *tbase;
    int tfd;

    if (target[0] == '/' || images_path_clean(target, clean, sizeof clean) < 0 || !*clean)
        return osbox_error(err, 0, "entry '%s': hardlink target '%s' is outside the layer",
                           entry, target);
    /* dirfd belongs to the walker's cache; keep it alive while we open the target. */
    int keep = dup(dirfd);
    if (keep < 0)
        return osbox_error(err, errno, "dup");
    split(clean, &tdir, &tbase);
    tfd = open_dir(w, tdir, false, entry, err);
    if (tfd < 0) {
        close(keep);
        if (err->errnum == ENOENT)
            return osbox_error(err, 0,
                               "entry '%s': hardlink target '%s' is not in the layer",
                               entry, target);
        return -1;
    }
    if (linkat(tfd, tbase, keep, base, 0) < 0) {
        int e = errno;
        close(keep);
        if (e == ENOENT)
            return osbox_error(err, 0, "entry '%s': hardlink target '%s' is not in the layer",
                               entry, target);
        return osbox_error(err, e, "entry '%s': hardlink to '%s'", entry, target);
    }
    close(keep);
    return 0;
}

static int extract_entry(struct archive *a, struct walker *w, struct archive_entry *e,
                         struct images_extract_stats *st, struct osbox_err *err)
{
    const char *raw = archive_entry_pathname(e);
    char clean[4096];
    const char *dir, *base;
    const char *hl = archive_entry_hardlink(e);
    mode_t type = archive_entry_filetype(e);
    int dirfd;

    if (!raw)
        return osbox_error(err, 0, "entry without a name");
    if (images_path_clean(raw, clean, sizeof clean) < 0)
        return osbox_error(err, 0, "entry '%s' points outside the layer (..)", raw);
    st->entries++;
    if (!*clean)
        return 0; /* the root itself */
    /* Defensive: never keep a handle to a directory this entry may replace. */
    size_t cl = strlen(clean);
    if (w->cached >= 0 && !strncmp(w->cached_path, clean, cl) &&
        (w->cached_path[cl] == '/' || w->cached_path[cl] == '\0')) {
        close(w->cached);
        w->cached = -1;
    }
    split(clean, &dir, &base);
    dirfd = open_dir(w, dir, true, raw, err);
    if (dirfd < 0)
        return -1;
    if (!strncmp(base, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)))
        return whiteout(dirfd, base, raw, err);
    if (hl) {
        if (clear_slot(dirfd, base, false, raw, err) < 0)
            return -1;
        return hardlink(w, dirfd, base, hl, raw, err);
    }
    switch (type) {
    case AE_IFDIR:
        return make_dir(dirfd, base, e, raw, err);
    case AE_IFREG:
        if (clear_slot(dirfd, base, false, raw, err) < 0)
            return -1;
        return write_file(a, dirfd, base, e, raw, st, err);
    case AE_IFLNK: {
        const char *target = archive_entry_symlink(e);
        if (!target || !*target)
            return osbox_error(err, 0, "entry '%s': symlink without target", raw);
        if (clear_slot(dirfd, base, false, raw, err) < 0)
            return -1;
        /* Never followed here; inside the container it resolves in its root. */
        if (symlinkat(target, dirfd, base) < 0)
            return osbox_error(err, errno, "entry '%s': symlink", raw);
        if (own(dirfd, base, e, AT_SYMLINK_NOFOLLOW) < 0)
            return osbox_error(err, errno, "entry '%s': chown", raw);
        return 0;
    }
    case AE_IFCHR:
        if (archive_entry_rdev(e) == 0) /* already an overlayfs-style whiteout */
            return whiteout(dirfd, base, raw, err) < 0 ? -1 : 0;
        st->skipped_devices++;
        return 0;
    case AE_IFBLK:
    case AE_IFSOCK:
        st->skipped_devices++;
        return 0;
    case AE_IFIFO:
        if (clear_slot(dirfd, base, false, raw, err) < 0)
            return -1;
        if (mknodat(dirfd, base, S_IFIFO | (archive_entry_mode(e) & 0777), 0) < 0)
            return osbox_error(err, errno, "entry '%s': mkfifo", raw);
        return 0;
    default:
        return osbox_error(err, 0, "entry '%s': unsupported file type 0%o", raw,
                           (unsigned)type);
    }
}

/* Why the outer reader failed: our own read/write, or libarchive's message. */
static const char *outer_error(struct source *src, struct feed *f, char *buf, size_t len)
{
    if (src->errnum) {
        snprintf(buf, len, "%s of the blob failed: %s", src->failed, strerror(src->errnum));
        return buf;
    }
    return f->outer_err[0] ? f->outer_err : NULL;
}

int images_extract_layer_fd(int fd, int tee_fd, const char *dir, char blob_digest[72],
                            char diff_id[72], struct images_extract_stats *stats,
                            struct osbox_err *err)
{
    struct feed f = { 0 };
    struct source src = { .fd = fd, .tee_fd = tee_fd };
    char why[320];
    struct walker w = { .root = -1, .cached = -1 };
    struct archive *in = NULL;
    struct archive_entry *e;
    struct images_extract_stats st = { 0 };
    int rc = -1, r;

    if (lazy_archive_load(err) < 0)
        return -1;
    f.outer = archive_read_new();
    in = archive_read_new();
    if (!f.outer || !in) {
        osbox_error(err, ENOMEM, "libarchive");
        goto out;
    }
    archive_read_support_filter_gzip(f.outer);
    archive_read_support_filter_zstd(f.outer);
    archive_read_support_filter_xz(f.outer);
    archive_read_support_filter_bzip2(f.outer);
    archive_read_support_format_raw(f.outer);
        archive_read_support_format_tar(in);
    archive_read_support_format_empty(in);
    src.buf = malloc(SOURCE_BLOCK);
    if (!src.buf) {
        osbox_error(err, ENOMEM, "read buffer");
        goto out;
    }
    if (images_hash_init(&f.hash, err) < 0 || images_hash_init(&src.hash, err) < 0)
        goto out;
    w.root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (w.root < 0) {
        osbox_error(err, errno, "open %s", dir);
        goto out;
    }
    struct stat bst;
    if (fstat(fd, &bst) == 0)
        f.total = (uint64_t)bst.st_size;
    if (archive_read_open(f.outer, &src, NULL, source_read, NULL) != ARCHIVE_OK) {
        const char *e = outer_error(&src, &f, why, sizeof why);
        osbox_error(err, 0, "open: %s", e ? e : archive_error_string(f.outer));
        goto out;
    }
    r = archive_read_next_header(f.outer, &e);
    if (r == ARCHIVE_EOF) {
        osbox_error(err, 0, "the layer is empty (0 bytes), not a tar archive");
        goto out;
    }
    if (r != ARCHIVE_OK) {
        const char *e = outer_error(&src, &f, why, sizeof why);
        osbox_error(err, 0, "%s", e ? e : archive_error_string(f.outer));
        goto out;
    }
    if (archive_read_open(in, &f, NULL, feed_read, NULL) != ARCHIVE_OK) {
        const char *e = outer_error(&src, &f, why, sizeof why);
        osbox_error(err, 0, "%s", e ? e : archive_error_string(in));
        goto out;
    }
    while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
        if (extract_entry(in, &w, e, &st, err) < 0)
            goto out;
    }
    if (r != ARCHIVE_EOF) {
        const char *e = outer_error(&src, &f, why, sizeof why);
        osbox_error(err, 0, "%s",
                    e ? e : archive_error_string(in) ? archive_error_string(in) : "corrupt tar");
        goto out;
    }
    /* The tar reader stops at the end marker; the diff_id covers every byte. */
    for (;;) {
        const void *buf;
        la_ssize_t n = feed_read(NULL, &f, &buf);
        if (n < 0) {
            const char *e = outer_error(&src, &f, why, sizeof why);
            osbox_error(err, 0, "%s", e ? e : "decompression failed");
            goto out;
        }
        if (n == 0)
            break;
    }
    if (source_drain(&src) < 0) {
        osbox_error(err, src.errnum, "%s of the blob", src.failed);
        goto out;
    }
    images_progress_bytes("unpack", f.total, f.total, true);
    images_hash_final(&f.hash, diff_id);
    if (blob_digest)
        images_hash_final(&src.hash, blob_digest);
    if (stats)
        *stats = st;
    rc = 0;
out:
    if (rc < 0 && blob_digest) {
        /* A blob that fails to unpack may simply not be the one declared:
         * finish its digest so the caller can say so instead. */
        if (src.hash.ctx && source_drain(&src) == 0)
            images_hash_final(&src.hash, blob_digest);
        else
            blob_digest[0] = '\0';
    }
    if (f.hash.ctx)
        images_hash_free(&f.hash);
    if (src.hash.ctx)
        images_hash_free(&src.hash);
    free(src.buf);
    if (w.cached >= 0)
        close(w.cached);
    if (w.root >= 0)
        close(w.root);
    if (in)
        archive_read_free(in);
    if (f.outer)
        archive_read_free(f.outer);
    return rc;
}

int images_extract_layer(const char *blob_path, const char *dir, char diff_id[72],
                         struct images_extract_stats *stats, struct osbox_err *err)
{
    _cleanup_close_ int fd = open(blob_path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return osbox_error(err, errno, "open %s", blob_path);
    return images_extract_layer_fd(fd, -1, dir, NULL, diff_id, stats, err);
}
