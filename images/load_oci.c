/* Importing an image whose blobs sit in a directory named by digest (an OCI
 * layout's blobs/sha256, or an unpacked OCI archive): manifest, config and
 * layers are each verified against their digests before use. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "util.h"

#define MAX_JSON_BLOB (8 << 20)

static int stage_from_dir(struct images_pending *p, int blobs_dirfd, const char *digest,
                          int64_t size, const char *what, const char *referrer,
                          struct osbox_err *err)
{
    _cleanup_close_ int fd = -1;

    if (!images_digest_valid(digest))
        return osbox_error(err, 0, "%s has an invalid digest '%s'", what, digest);
    if (images_blob_exists(p->store, digest))
        return 0;
    fd = openat(blobs_dirfd, images_digest_hex(digest), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return osbox_error(err, 0, "%s points to %s %s, which is missing from the archive",
                               referrer, what, digest);
        return osbox_error(err, errno, "open %s %s", what, digest);
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        return osbox_error(err, 0, "%s %s is not a regular file", what, digest);
    return images_pending_add_blob_fd(p, fd, digest, size, what, err);
}

static int read_staged(struct images_pending *p, const char *digest, int64_t max, char **out,
                       size_t *len, struct osbox_err *err)
{
    _cleanup_free_ char *path = images_pending_blob_path(p, digest);
    struct stat st;

    if (stat(path, &st) < 0)
        return osbox_error(err, errno, "blob %s", digest);
    if (st.st_size > max)
        return osbox_error(err, 0, "blob %s is too large (%lld bytes) for a JSON document", digest,
                           (long long)st.st_size);
    return osbox_read_file(path, out, len, err);
}

int images_stage_manifest(struct images_pending *p, int blobs_dirfd, const char *manifest_digest,
                          int64_t manifest_size, struct osbox_err *err)
{
    _cleanup_free_ char *mtext = NULL, *ctext = NULL;
    struct images_manifest m;
    struct images_config c;
    size_t mlen, clen;
    int rc = -1;

    if (manifest_size > MAX_JSON_BLOB)
        return osbox_error(err, 0, "manifest %s declares an absurd size %lld", manifest_digest,
                           (long long)manifest_size);
    if (stage_from_dir(p, blobs_dirfd, manifest_digest, manifest_size, "manifest", "the index",
                       err) < 0 ||
        read_staged(p, manifest_digest, MAX_JSON_BLOB, &mtext, &mlen, err) < 0)
        return -1;
    if (images_manifest_parse(mtext, mlen, &m, err) < 0)
        return osbox_error_prefix(err, "manifest %s", manifest_digest);
    if (m.config.size > MAX_JSON_BLOB) {
        osbox_error(err, 0, "config %s declares an absurd size %lld", m.config.digest,
                    (long long)m.config.size);
        goto out_m;
    }
    if (stage_from_dir(p, blobs_dirfd, m.config.digest, m.config.size, "config", "the manifest",
                       err) < 0 ||
        read_staged(p, m.config.digest, MAX_JSON_BLOB, &ctext, &clen, err) < 0)
        goto out_m;
    if (images_config_parse(ctext, clen, &c, err) < 0) {
        osbox_error_prefix(err, "image config %s", m.config.digest);
        goto out_m;
    }
    if (c.n_diff_ids != m.n_layers) {
        osbox_error(err, 0, "image config %s lists %zu diff_ids but the manifest has %zu layers",
                    m.config.digest, c.n_diff_ids, m.n_layers);
        goto out_c;
    }
    rc = images_stage_layers(p, blobs_dirfd, &m, &c, err);
out_c:
    images_config_clear(&c);
out_m:
    images_manifest_clear(&m);
    return rc;
}
