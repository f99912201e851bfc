/* Staging an import and committing it.
 *
 * Everything an import writes goes to tmp/<id>/{blobs,layers} first; nothing
 * there is ever read by other commands. Commit renames blobs and layers into
 * place (content-addressed, so a name that already exists holds the same
 * content) and only then rewrites index.json, so a name never points at
 * something incomplete. A killed import leaves only tmp/<id>, which gc removes. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "util.h"

void images_pending_init(struct images_pending *p, struct images_store *s)
{
    memset(p, 0, sizeof *p);
    p->store = s;
    p->refs = json_object();
}

static bool strv_has(char **v, const char *s)
{
    for (size_t i = 0; v && v[i]; i++)
        if (!strcmp(v[i], s))
            return true;
    return false;
}

static int ensure_staging(struct images_pending *p, struct osbox_err *err)
{
    if (p->staging)
        return 0;
    if (images_staging_create(p->store, &p->staging, err) < 0)
        return -1;
    _cleanup_free_ char *b = osbox_strdup_printf("%s/blobs", p->staging);
    _cleanup_free_ char *l = osbox_strdup_printf("%s/layers", p->staging);
    if (mkdir(b, 0700) < 0 || mkdir(l, 0700) < 0)
        return osbox_error(err, errno, "mkdir %s", b);
    return 0;
}

int images_pending_scratch(struct images_pending *p, const char *name, char **out,
                           struct osbox_err *err)
{
    char *dir;

    if (ensure_staging(p, err) < 0)
        return -1;
    dir = osbox_strdup_printf("%s/%s", p->staging, name);
    if (mkdir(dir, 0700) < 0) {
        int e = errno;
        free(dir);
        return osbox_error(err, e, "mkdir %s", name);
    }
    *out = dir;
    return 0;
}

static char *staged_blob(struct images_pending *p, const char *digest)
{
    return osbox_strdup_printf("%s/blobs/%s", p->staging, images_digest_hex(digest));
}

char *images_pending_blob_path(struct images_pending *p, const char *digest)
{
    if (strv_has(p->blob_digests, digest))
        return staged_blob(p, digest);
    return images_blob_path(p->store, digest);
}

int images_pending_add_blob_fd(struct images_pending *p, int fd, const char *digest,
                               int64_t size, const char *what, struct osbox_err *err)
{
    _cleanup_free_ char *dst = NULL;

    if (!images_digest_valid(digest))
        return osbox_error(err, 0, "%s has an invalid digest '%s'", what, digest);
    if (strv_has(p->blob_digests, digest) || images_blob_exists(p->store, digest))
        return 0;
    if (ensure_staging(p, err) < 0)
        return -1;
    dst = staged_blob(p, digest);
    if (images_copy_verified(fd, dst, digest, size, what, NULL, err) < 0) {
        unlink(dst);
        return -1;
    }
    osbox_strv_push(&p->blob_digests, digest);
    return 0;
}

bool images_pending_has_blob(struct images_pending *p, const char *digest)
{
    return strv_has(p->blob_digests, digest) || images_blob_exists(p->store, digest);
}

int images_pending_blob_open(struct images_pending *p, const char *digest, int *fd,
                             char **path_out, struct osbox_err *err)
{
    _cleanup_free_ char *part = NULL;

    if (!images_digest_valid(digest))
        return osbox_error(err, 0, "invalid digest '%s'", digest);
    if (ensure_staging(p, err) < 0)
        return -1;
    part = osbox_strdup_printf("%s/blobs/%s.part", p->staging, images_digest_hex(digest));
    *fd = open(part, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (*fd < 0)
        return osbox_error(err, errno, "create %s", part);
    if (path_out) {
        *path_out = part;
        part = NULL;
    }
    return 0;
}

int images_pending_layer_claim(struct images_pending *p, const char *diff_id, char **dir,
                               struct osbox_err *err)
{
    _cleanup_free_ char *stored = images_layer_path(p->store, diff_id);
    char *d;

    *dir = NULL;
    if (strv_has(p->layer_ids, diff_id) || access(stored, F_OK) == 0)
        return 0;
    if (ensure_staging(p, err) < 0)
        return -1;
    d = osbox_strdup_printf("%s/layers/%s", p->staging, images_digest_hex(diff_id));
    if (mkdir(d, 0755) < 0) {
        int e = errno;
        free(d);
        return e == EEXIST ? 0 : osbox_error(err, e, "mkdir staged layer %s", diff_id);
    }
    *dir = d;
    return 0;
}

void images_pending_layer_adopt(struct images_pending *p, const char *diff_id)
{
    osbox_strv_push(&p->layer_ids, diff_id);
}

int images_pending_blob_adopt(struct images_pending *p, const char *digest, struct osbox_err *err)
{
    _cleanup_free_ char *part = osbox_strdup_printf("%s/blobs/%s.part", p->staging,
                                                    images_digest_hex(digest));
    _cleanup_free_ char *dst = staged_blob(p, digest);

    if (rename(part, dst) < 0)
        return osbox_error(err, errno, "rename %s", part);
    osbox_strv_push(&p->blob_digests, digest);
    return 0;
}

int images_pending_add_blob_buf(struct images_pending *p, const void *buf, size_t len,
                                char digest[72], struct osbox_err *err)
{
    _cleanup_free_ char *dst = NULL;

    images_sha256_buf(buf, len, digest);
    if (strv_has(p->blob_digests, digest) || images_blob_exists(p->store, digest))
        return 0;
    if (ensure_staging(p, err) < 0)
        return -1;
    dst = staged_blob(p, digest);
    if (osbox_write_file(dst, buf, len, 0600, err) < 0) { /* synced at commit */
        unlink(dst);
        return -1;
    }
    osbox_strv_push(&p->blob_digests, digest);
    return 0;
}

int images_pending_add_layer(struct images_pending *p, const char *blob_digest,
                             const char *diff_id, struct osbox_err *err)
{
    _cleanup_free_ char *stored = images_layer_path(p->store, diff_id);
    _cleanup_free_ char *dir = NULL, *blob = NULL;
    char got[72];

    if (strv_has(p->layer_ids, diff_id) || access(stored, F_OK) == 0)
        return 0; /* unpacked once, shared */
    if (ensure_staging(p, err) < 0)
        return -1;
    dir = osbox_strdup_printf("%s/layers/%s", p->staging, images_digest_hex(diff_id));
    blob = images_pending_blob_path(p, blob_digest);
    if (mkdir(dir, 0755) < 0)
        return osbox_error(err, errno, "mkdir %s", dir);
    if (images_extract_layer(blob, dir, got, NULL, err) < 0)
        return osbox_error_prefix(err, "layer %s", blob_digest);
    if (strcmp(got, diff_id) != 0)
        return osbox_error(err, 0,
                           "layer %s: uncompressed content hashes to %s, but the image config "
                           "declares diff_id %s",
                           blob_digest, got, diff_id);
    osbox_strv_push(&p->layer_ids, diff_id);
    return 0;
}

int images_pending_add_blob_any(struct images_pending *p, int fd, char digest[72],
                                struct osbox_err *err)
{
    _cleanup_free_ char *tmp = NULL, *dst = NULL;

    if (ensure_staging(p, err) < 0)
        return -1;
    tmp = osbox_strdup_printf("%s/blobs/incoming", p->staging);
    unlink(tmp);
    if (images_copy_verified(fd, tmp, NULL, -1, "blob", digest, err) < 0) {
        unlink(tmp);
        return -1;
    }
    if (strv_has(p->blob_digests, digest) || images_blob_exists(p->store, digest)) {
        unlink(tmp);
        return 0;
    }
    dst = staged_blob(p, digest);
    if (rename(tmp, dst) < 0)
        return osbox_error(err, errno, "rename %s", tmp);
    osbox_strv_push(&p->blob_digests, digest);
    return 0;
}

int images_pending_add_layer_any(struct images_pending *p, const char *blob_digest,
                                 char diff_id[72], struct osbox_err *err)
{
    _cleanup_free_ char *dir = NULL, *blob = NULL, *final = NULL, *stored = NULL;
    struct osbox_err ignored;

    if (ensure_staging(p, err) < 0)
        return -1;
    dir = osbox_strdup_printf("%s/layers/incoming", p->staging);
    blob = images_pending_blob_path(p, blob_digest);
    osbox_rm_rf(dir, &ignored);
    if (mkdir(dir, 0755) < 0)
        return osbox_error(err, errno, "mkdir %s", dir);
    if (images_extract_layer(blob, dir, diff_id, NULL, err) < 0)
        return osbox_error_prefix(err, "layer %s", blob_digest);
    stored = images_layer_path(p->store, diff_id);
    if (strv_has(p->layer_ids, diff_id) || access(stored, F_OK) == 0)
        return osbox_rm_rf(dir, err); /* already have it */
    final = osbox_strdup_printf("%s/layers/%s", p->staging, images_digest_hex(diff_id));
    if (rename(dir, final) < 0)
        return osbox_error(err, errno, "rename %s", dir);
    osbox_strv_push(&p->layer_ids, diff_id);
    return 0;
}

void images_pending_set_ref(struct images_pending *p, const char *name, const char *digest)
{
    json_object_set_new(p->refs, name, json_string(digest));
}

static int rename_into(const char *from, const char *to, bool is_dir, struct osbox_err *err)
{
    if (rename(from, to) == 0)
        return 0;
    /* Someone stored the same content first: identical by address, keep theirs. */
    if (is_dir && (errno == EEXIST || errno == ENOTEMPTY))
        return 0;
    return osbox_error(err, errno, "rename %s to %s", from, to);
}

int images_pending_commit(struct images_pending *p, struct osbox_err *err)
{
    _cleanup_free_ char *blobs = osbox_strdup_printf("%s/blobs/sha256", p->store->root);
    _cleanup_free_ char *layers = osbox_strdup_printf("%s/layers", p->store->root);
    json_t *index = NULL, *refs;
    const char *name;
    json_t *val;
    int rc = -1;

    if (p->staging) {
        /* Staged blobs and unpacked files were written without fsync: one
         * syncfs flushes them all before they become visible under their
         * final names. */
        _cleanup_close_ int fd = open(p->staging, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || syncfs(fd) < 0)
            return osbox_error(err, errno, "sync %s", p->staging);
    }
    for (size_t i = 0; p->layer_ids && p->layer_ids[i]; i++) {
        const char *hex = images_digest_hex(p->layer_ids[i]);
        _cleanup_free_ char *from = osbox_strdup_printf("%s/layers/%s", p->staging, hex);
        _cleanup_free_ char *to = osbox_strdup_printf("%s/%s", layers, hex);
        if (rename_into(from, to, true, err) < 0)
            return -1;
    }
    for (size_t i = 0; p->blob_digests && p->blob_digests[i]; i++) {
        const char *hex = images_digest_hex(p->blob_digests[i]);
        _cleanup_free_ char *from = osbox_strdup_printf("%s/blobs/%s", p->staging, hex);
        _cleanup_free_ char *to = osbox_strdup_printf("%s/%s", blobs, hex);
        if (rename_into(from, to, false, err) < 0)
            return -1;
    }
    images_fsync_path(blobs);
    images_fsync_path(layers);
    if (images_index_load(p->store, &index, err) < 0)
        return -1;
    refs = images_index_refs(index);
    json_object_foreach(p->refs, name, val)
        json_object_set(refs, name, val);
    rc = images_index_save(p->store, index, err);
    json_decref(index);
    return rc;
}

void images_pending_free(struct images_pending *p)
{
    struct osbox_err ignored;

    if (p->staging)
        osbox_rm_rf(p->staging, &ignored);
    free(p->staging);
    p->staging = NULL;
    osbox_strv_free(p->blob_digests);
    osbox_strv_free(p->layer_ids);
    p->blob_digests = p->layer_ids = NULL;
    json_decref(p->refs);
    p->refs = NULL;
}
