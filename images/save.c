/* `osbox save -o FILE IMAGE...`: an OCI archive (a tarred OCI image layout)
 * that `osbox load -i`, skopeo (oci-archive:) and docker load read back.
 * Every blob is re-hashed while it is written, so a corrupt store is noticed
 * instead of exported. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dl_archive.h"
#include "internal.h"
#include "util.h"

static int add_header(struct archive *a, const char *path, mode_t type, int64_t size,
                      struct osbox_err *err)
{
    struct archive_entry *e = archive_entry_new();
    int r;

    archive_entry_set_pathname(e, path);
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
    archive_entry_set_size(e, type == AE_IFDIR ? 0 : size);
    archive_entry_set_mtime(e, 0, 0);
    r = archive_write_header(a, e);
    archive_entry_free(e);
    if (r != ARCHIVE_OK)
        return osbox_error(err, 0, "write %s: %s", path, archive_error_string(a));
    return 0;
}

static int add_buf(struct archive *a, const char *path, const char *buf, size_t len,
                   struct osbox_err *err)
{
    if (add_header(a, path, AE_IFREG, (int64_t)len, err) < 0)
        return -1;
    if (archive_write_data(a, buf, len) != (la_ssize_t)len)
        return osbox_error(err, 0, "write %s: %s", path, archive_error_string(a));
    return 0;
}

static int add_blob(struct archive *a, const struct images_store *s, const char *digest,
                    json_t *done, struct osbox_err *err)
{
    _cleanup_free_ char *src = images_blob_path(s, digest);
    _cleanup_free_ char *name = osbox_strdup_printf("blobs/sha256/%s", images_digest_hex(digest));
    _cleanup_free_ char *buf = NULL;
    _cleanup_close_ int fd = -1;
    struct images_hash h;
    struct stat st;
    char got[72];

    if (json_object_get(done, digest))
        return 0;
    fd = open(src, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0)
        return osbox_error(err, errno, "blob %s", digest);
    if (add_header(a, name, AE_IFREG, st.st_size, err) < 0 || images_hash_init(&h, err) < 0)
        return -1;
    buf = malloc(1 << 20);
    for (;;) {
        ssize_t n = read(fd, buf, 1 << 20);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            images_hash_free(&h);
            return osbox_error(err, errno, "read blob %s", digest);
        }
        if (n == 0)
            break;
        images_hash_update(&h, buf, (size_t)n);
        if (archive_write_data(a, buf, (size_t)n) != n) {
            images_hash_free(&h);
            return osbox_error(err, 0, "write: %s", archive_error_string(a));
        }
    }
    images_hash_final(&h, got);
    if (strcmp(got, digest))
        return osbox_error(err, 0, "blob %s in the store is corrupt (content hashes to %s)",
                           digest, got);
    json_object_set_new(done, digest, json_true());
    return 0;
}

static int save_image(struct archive *a, const struct images_store *s, json_t *index,
                      const char *ref, json_t *manifests, json_t *done, struct osbox_err *err)
{
    const char *name, *digest;
    struct images_manifest m;
    struct images_config c;
    struct stat st;
    int rc = -1;

    if (images_lookup(index, s, ref, &name, &digest, err) < 0 ||
        images_open_image(s, digest, &m, &c, err) < 0)
        return -1;
    _cleanup_free_ char *mp = images_blob_path(s, digest);
    if (stat(mp, &st) < 0) {
        osbox_error(err, errno, "manifest %s", digest);
        goto out;
    }
    if (add_blob(a, s, digest, done, err) < 0 || add_blob(a, s, m.config.digest, done, err) < 0)
        goto out;
    for (size_t i = 0; i < m.n_layers; i++)
        if (add_blob(a, s, m.layers[i].digest, done, err) < 0)
            goto out;
    json_t *desc = json_pack("{s:s,s:s,s:I}", "mediaType", "application/vnd.oci.image.manifest.v1+json",
                             "digest", digest, "size", (json_int_t)st.st_size);
    if (!images_digest_valid(name)) /* an image without a name is saved without one */
        json_object_set_new(desc, "annotations",
                            json_pack("{s:s,s:s}", "org.opencontainers.image.ref.name", name,
                                      "io.containerd.image.name", name));
    json_array_append_new(manifests, desc);
    rc = 0;
out:
    images_manifest_clear(&m);
    images_config_clear(&c);
    return rc;
}

static int save_all(char *const *refs, const char *out, struct osbox_err *err)
{
    struct images_store s;
    json_t *index = NULL, *manifests = json_array(), *done = json_object(), *oci = NULL;
    _cleanup_free_ char *tmp = osbox_strdup_printf("%s.tmp.%d", out, (int)getpid());
    _cleanup_free_ char *text = NULL;
    struct archive *a = archive_write_new();
    int rc = -1;

    images_store_open_ro(&s);
    archive_write_set_format_pax_restricted(a);
    if (images_index_load(&s, &index, err) < 0)
        goto out;
    if (archive_write_open_filename(a, tmp) != ARCHIVE_OK) {
        osbox_error(err, 0, "create %s: %s", tmp, archive_error_string(a));
        goto out;
    }
    if (add_buf(a, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30, err) < 0 ||
        add_header(a, "blobs", AE_IFDIR, 0, err) < 0 ||
        add_header(a, "blobs/sha256", AE_IFDIR, 0, err) < 0)
        goto out;
    for (size_t i = 0; refs[i]; i++)
        if (save_image(a, &s, index, refs[i], manifests, done, err) < 0)
            goto out;
    oci = json_pack("{s:i,s:s,s:O}", "schemaVersion", 2, "mediaType",
                    "application/vnd.oci.image.index.v1+json", "manifests", manifests);
    text = json_dumps(oci, JSON_COMPACT);
    if (add_buf(a, "index.json", text, strlen(text), err) < 0)
        goto out;
    if (archive_write_close(a) != ARCHIVE_OK) {
        osbox_error(err, 0, "write %s: %s", tmp, archive_error_string(a));
        goto out;
    }
    if (images_fsync_path(tmp) < 0 || rename(tmp, out) < 0) {
        osbox_error(err, errno, "save %s", out);
        goto out;
    }
    rc = 0;
out:
    archive_write_free(a);
    if (rc < 0)
        unlink(tmp);
    json_decref(oci);
    json_decref(index);
    json_decref(manifests);
    json_decref(done);
    images_store_close(&s);
    return rc;
}

int images_save(char *const *refs, const char *out, struct osbox_err *err)
{
    if (lazy_archive_load(err) < 0)
        return -1;
    return save_all(refs, out, err);
}
