/* Downloading manifests and blobs. Nothing fetched is trusted before its
 * sha256 and size match what refers to it: a manifest asked for by digest must
 * hash to it (by tag: to the registry's Docker-Content-Digest, if sent), a
 * blob to its descriptor. Manifests are capped at REG_MAX_MANIFEST. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registry.h"
#include "util.h"

#define MANIFEST_ACCEPT                                                                   \
    REG_MT_OCI_MANIFEST ", " REG_MT_OCI_INDEX ", " REG_MT_DOCKER_MANIFEST ", " REG_MT_DOCKER_LIST

static bool manifest_or_index_type(const char *t)
{
    return !strcmp(t, REG_MT_OCI_MANIFEST) || !strcmp(t, REG_MT_OCI_INDEX) ||
           !strcmp(t, REG_MT_DOCKER_MANIFEST) || !strcmp(t, REG_MT_DOCKER_LIST);
}

/* The media type: the Content-Type without parameters, or (for registries
 * that answer application/json) the document's own mediaType. */
static char *media_type_of(const struct reg_resp *r)
{
    const char *ct = r->content_type;

    if (ct && *ct && strncmp(ct, "application/json", 16) && strncmp(ct, "text/plain", 10))
        return strndup(ct, strcspn(ct, "; "));
    json_t *j = json_loadb(r->body ? r->body : "", r->len, 0, NULL);
    const char *mt = json_string_value(json_object_get(j, "mediaType"));
    char *out = mt ? osbox_xstrdup(mt) : NULL;
    json_decref(j);
    return out;
}

int reg_fetch_manifest(struct reg_client *c, const char *repo, const char *ref, char **body,
                       size_t *len, char **media_type, char digest[72], struct osbox_err *err)
{
    _cleanup_free_ char *path = osbox_strdup_printf("/v2/%s/manifests/%s", repo, ref);
    _cleanup_free_ char *what = osbox_strdup_printf("%s/%s%s%s", c->domain, repo,
                                                    strchr(ref, ':') ? "@" : ":", ref);
    struct reg_resp resp = { .content_length = -1 };
    char *mt;

    if (reg_call(c, "GET", path, MANIFEST_ACCEPT, NULL, NULL, REG_MAX_MANIFEST, &resp, err) < 0)
        return osbox_error_prefix(err, "manifest of %s", what);
    if (resp.status != 200) {
        reg_status_error(c, &resp, what, err);
        reg_resp_clear(&resp);
        return -1;
    }
    mt = media_type_of(&resp);
    if (!mt || !manifest_or_index_type(mt)) {
        osbox_error(err, 0, "%s: unsupported manifest media type '%s'", what, mt ? mt : "(none)");
        free(mt);
        reg_resp_clear(&resp);
        return -1;
    }
    images_sha256_buf(resp.body ? resp.body : "", resp.len, digest);
    const char *want = images_digest_valid(ref) ? ref : resp.docker_digest;
    if (want && strncmp(want, "sha256:", 7) == 0 && strcmp(want, digest)) {
        osbox_error(err, 0, "%s: manifest digest mismatch (the registry says %s, content hashes to %s)",
                    what, want, digest);
        free(mt);
        reg_resp_clear(&resp);
        return -1;
    }
    *body = resp.body ? resp.body : osbox_xstrdup("");
    *len = resp.len;
    resp.body = NULL;
    *media_type = mt;
    reg_resp_clear(&resp);
    return 0;
}

int reg_fetch_blob_buf(struct reg_client *c, const char *repo, const struct images_descriptor *d,
                       size_t max, char **out, size_t *len, struct osbox_err *err)
{
    _cleanup_free_ char *path = osbox_strdup_printf("/v2/%s/blobs/%s", repo, d->digest);
    struct reg_resp resp = { .content_length = -1 };
    char got[72];

    if (d->size < 0 || (uint64_t)d->size > max)
        return osbox_error(err, 0, "blob %s declares %lld bytes, more than the %zu allowed",
                           d->digest, (long long)d->size, max);
    if (reg_call(c, "GET", path, NULL, NULL, NULL, (size_t)d->size, &resp, err) < 0)
        return osbox_error_prefix(err, "blob %s", d->digest);
    if (resp.status != 200) {
        _cleanup_free_ char *what = osbox_strdup_printf("%s/%s blob %s", c->domain, repo, d->digest);
        reg_status_error(c, &resp, what, err);
        reg_resp_clear(&resp);
        return -1;
    }
    images_sha256_buf(resp.body ? resp.body : "", resp.len, got);
    if ((int64_t)resp.len != d->size || strcmp(got, d->digest)) {
        osbox_error(err, 0, "blob %s from %s: %s", d->digest, c->domain,
                    (int64_t)resp.len != d->size ? "size differs from the descriptor"
                                                 : "digest mismatch");
        reg_resp_clear(&resp);
        return -1;
    }
    *out = resp.body ? resp.body : osbox_xstrdup("");
    *len = resp.len;
    resp.body = NULL;
    reg_resp_clear(&resp);
    return 0;
}

/* A blob streamed into a file, hashed on the way. */
struct file_sink {
    int fd;
    struct images_hash hash;
    bool hashing;
    uint64_t bytes, size;
    const bool *cancel;
    const char *digest;
    struct osbox_err *err;
};

static bool fs_write(void *ctx, const char *buf, size_t n)
{
    struct file_sink *s = ctx;

    if (s->cancel && __atomic_load_n(s->cancel, __ATOMIC_RELAXED)) {
        osbox_error(s->err, ECANCELED, "blob %s", s->digest);
        return false;
    }
    if (s->bytes + n > s->size) {
        osbox_error(s->err, 0, "blob %s is larger than its declared %llu bytes", s->digest,
                    (unsigned long long)s->size);
        return false;
    }
    if (osbox_write_all(s->fd, buf, n) < 0) {
        osbox_error(s->err, errno, "write blob %s", s->digest);
        return false;
    }
    images_hash_update(&s->hash, buf, n);
    s->bytes += n;
    images_progress_bytes("pull", s->bytes, s->size, false);
    return true;
}

static bool fs_rewind(void *ctx, uint64_t from)
{
    struct file_sink *s = ctx;

    if (from != 0 || ftruncate(s->fd, 0) < 0 || lseek(s->fd, 0, SEEK_SET) < 0)
        return false;
    images_hash_free(&s->hash);
    s->hashing = false;
    if (images_hash_init(&s->hash, s->err) < 0)
        return false;
    s->hashing = true;
    s->bytes = 0;
    return true;
}

static uint64_t fs_received(void *ctx)
{
    return ((struct file_sink *)ctx)->bytes;
}

int reg_fetch_blob_fd(struct reg_client *c, const char *repo, const struct images_descriptor *d,
                      int fd, struct osbox_err *err)
{
    _cleanup_free_ char *path = osbox_strdup_printf("/v2/%s/blobs/%s", repo, d->digest);
    struct file_sink fs = { .fd = fd, .size = (uint64_t)d->size, .digest = d->digest, .err = err,
                            .cancel = c->cancel };
    struct reg_sink sink = { fs_write, fs_rewind, fs_received, &fs };
    struct reg_resp resp = { .content_length = -1 };
    char got[72];
    int rc = -1;

    if (images_hash_init(&fs.hash, err) < 0)
        return -1;
    fs.hashing = true;
    err->msg[0] = '\0';
    if (reg_call(c, "GET", path, NULL, NULL, &sink, 0, &resp, err) < 0) {
        if (!err->msg[0])
            osbox_error(err, 0, "blob %s: download failed", d->digest);
        goto out;
    }
    if (resp.status != 200 && resp.status != 206) {
        _cleanup_free_ char *what = osbox_strdup_printf("%s/%s blob %s", c->domain, repo, d->digest);
        reg_status_error(c, &resp, what, err);
        goto out;
    }
    if (fs.bytes != fs.size) {
        osbox_error(err, 0, "blob %s from %s is truncated: %llu of %llu bytes", d->digest,
                    c->domain, (unsigned long long)fs.bytes, (unsigned long long)fs.size);
        goto out;
    }
    images_progress_bytes("pull", fs.bytes, fs.size, true);
    images_hash_final(&fs.hash, got);
    fs.hashing = false;
    if (strcmp(got, d->digest)) {
        osbox_error(err, 0, "blob %s from %s: digest mismatch (content hashes to %s)", d->digest,
                    c->domain, got);
        goto out;
    }
    if (fsync(fd) < 0) {
        osbox_error(err, errno, "fsync blob %s", d->digest);
        goto out;
    }
    rc = 0;
out:
    if (fs.hashing)
        images_hash_free(&fs.hash);
    reg_resp_clear(&resp);
    return rc;
}
