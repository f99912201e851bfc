/* The store's on-disk skeleton under $OSBOX_ROOT/images:
 *   blobs/sha256/<hex>   content-addressed blobs
 *   layers/<hex>/        unpacked layers keyed by diff_id
 *   index.json           names -> manifest digests
 *   tmp/<id>/            staging of imports in progress; a killed import's
 *                        leftovers are never read and are removed by gc
 *   lock                 flock'd by writers */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "util.h"

int images_store_open(struct images_store *s, struct osbox_err *err)
{
    static const char *const sub[] = { "blobs/sha256", "layers", "tmp" };

    s->lock_fd = -1;
    s->root = osbox_strdup_printf("%s/images", osbox_root_dir());
    for (size_t i = 0; i < sizeof sub / sizeof sub[0]; i++) {
        _cleanup_free_ char *p = osbox_strdup_printf("%s/%s", s->root, sub[i]);
        if (osbox_mkdir_p(p, 0700, err) < 0) {
            images_store_close(s);
            return osbox_error_prefix(err, "image store");
        }
    }
    return 0;
}

void images_store_close(struct images_store *s)
{
    if (s->lock_fd >= 0)
        close(s->lock_fd); /* releases the flock */
    s->lock_fd = -1;
    free(s->root);
    s->root = NULL;
}

int images_store_open_locked(struct images_store *s, struct osbox_err *err)
{
    if (images_store_open(s, err) < 0)
        return -1;
    if (images_store_lock(s, err) < 0) {
        images_store_close(s);
        return -1;
    }
    return 0;
}

int images_store_lock(struct images_store *s, struct osbox_err *err)
{
    _cleanup_free_ char *p = osbox_strdup_printf("%s/lock", s->root);

    if (s->lock_fd >= 0)
        return 0;
    s->lock_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (s->lock_fd < 0)
        return osbox_error(err, errno, "open %s", p);
    while (flock(s->lock_fd, LOCK_EX) < 0) {
        if (errno != EINTR) {
            int e = errno;
            close(s->lock_fd);
            s->lock_fd = -1;
            return osbox_error(err, e, "lock %s", p);
        }
    }
    return 0;
}

char *images_blob_path(const struct images_store *s, const char *digest)
{
    return osbox_strdup_printf("%s/blobs/sha256/%s", s->root, images_digest_hex(digest));
}

char *images_layer_path(const struct images_store *s, const char *diff_id)
{
    return osbox_strdup_printf("%s/layers/%s", s->root, images_digest_hex(diff_id));
}

bool images_blob_exists(const struct images_store *s, const char *digest)
{
    _cleanup_free_ char *p = images_blob_path(s, digest);
    return access(p, F_OK) == 0;
}

int images_staging_create(const struct images_store *s, char **out, struct osbox_err *err)
{
    char id[65];
    char *p;

    if (osbox_random_id(id, err) < 0)
        return -1;
    id[16] = '\0';
    p = osbox_strdup_printf("%s/tmp/%s", s->root, id);
    if (mkdir(p, 0700) < 0) {
        int e = errno;
        free(p);
        return osbox_error(err, e, "mkdir staging dir");
    }
    *out = p;
    return 0;
}

int images_blob_read(const struct images_store *s, const char *digest, char **out, size_t *len,
                     struct osbox_err *err)
{
    _cleanup_free_ char *p = NULL;
    char *buf;
    size_t n;

    /* Not hashed again: a blob is verified before it is renamed into the
     * store, and re-hashing here would put libcrypto on every `osbox run`. */
    if (!images_digest_valid(digest))
        return osbox_error(err, 0, "invalid digest '%s'", digest ? digest : "");
    p = images_blob_path(s, digest);
    if (osbox_read_file(p, &buf, &n, err) < 0)
        return osbox_error(err, errno == ENOENT ? ENOENT : 0, "blob %s is missing from the store",
                           digest);
    *out = buf;
    if (len)
        *len = n;
    return 0;
}

int images_fsync_path(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int rc;

    if (fd < 0)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

int images_copy_verified(int src_fd, const char *dst_path, const char *want_digest,
                         int64_t want_size, const char *what, char *got_out,
                         struct osbox_err *err)
{
    _cleanup_close_ int out = -1;
    struct images_hash h;
    _cleanup_free_ char *buf = malloc(1 << 20);
    char got[72];
    struct stat st;

    if (!want_digest)
        want_digest = "";
    if (!buf)
        return osbox_error(err, ENOMEM, "copy %s", what);
    if (fstat(src_fd, &st) == 0 && S_ISREG(st.st_mode) && want_size >= 0 &&
        st.st_size != want_size)
        return osbox_error(err, 0, "%s %s: size is %lld bytes, but %lld were declared", what,
                           want_digest, (long long)st.st_size, (long long)want_size);
    out = open(dst_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0)
        return osbox_error(err, errno, "create %s", dst_path);
    if (images_hash_init(&h, err) < 0)
        return -1;
    for (;;) {
        ssize_t r = read(src_fd, buf, 1 << 20), w = 0;
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            images_hash_free(&h);
            return osbox_error(err, e, "read %s %s", what, want_digest);
        }
        if (r == 0)
            break;
        if (want_size >= 0 && h.bytes + (uint64_t)r > (uint64_t)want_size) {
            images_hash_free(&h);
            return osbox_error(err, 0, "%s %s is larger than its declared size %lld", what,
                               want_digest, (long long)want_size);
        }
        images_hash_update(&h, buf, (size_t)r);
        images_progress_bytes("copy", h.bytes, want_size > 0 ? (uint64_t)want_size : 0, false);
        while (w < r) {
            ssize_t n = write(out, buf + w, (size_t)(r - w));
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                int e = errno;
                images_hash_free(&h);
                return osbox_error(err, e, "write %s", dst_path);
            }
            w += n;
        }
    }
    if (want_size >= 0 && h.bytes != (uint64_t)want_size) {
        images_hash_free(&h);
        return osbox_error(err, 0, "%s %s is truncated: %llu of %lld bytes", what, want_digest,
                           (unsigned long long)h.bytes, (long long)want_size);
    }
    images_hash_final(&h, got);
    if (got_out)
        memcpy(got_out, got, sizeof got);
    if (*want_digest && strcmp(got, want_digest) != 0)
        return osbox_error(err, 0, "%s %s: digest mismatch (content hashes to %s)", what,
                           want_digest, got);
    /* Not fsynced here: every copy lands in a staging dir, and the commit
     * syncs the whole store filesystem once before anything is renamed. */
    return 0;
}

void images_store_open_ro(struct images_store *s)
{
    s->lock_fd = -1;
    s->root = osbox_strdup_printf("%s/images", osbox_root_dir());
}
