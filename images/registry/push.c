/* images_push(): a stored image -> a registry. The config and every layer
 * blob first (each only if the registry lacks it), the manifest last, so the
 * tag never names an image whose blobs are missing. The manifest goes up byte
 * for byte as stored, so its digest stays the same. */
#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "util.h"

void images_push_result_clear(struct images_push_result *r)
{
    free(r->dest);
    free(r->digest);
    memset(r, 0, sizeof *r);
}

/* Another repository of the same registry that (by the store's names) holds
 * blob: a candidate for a cross-repository mount. NULL if none is known. */
static char *mount_source(const struct images_store *s, json_t *index, const struct reg_ref *dst,
                          const char *blob)
{
    const char *name;
    json_t *v;

    json_object_foreach(images_index_refs(index), name, v) {
        struct reg_ref r;
        struct osbox_err ignored;
        _cleanup_free_ char *mtext = NULL;
        struct images_manifest m;
        size_t len;
        bool has = false;

        if (reg_ref_parse(name, &r, &ignored) < 0)
            continue;
        if (strcmp(r.domain, dst->domain) || !strcmp(r.path, dst->path) ||
            images_blob_read(s, json_string_value(v), &mtext, &len, &ignored) < 0 ||
            images_manifest_parse(mtext, len, &m, &ignored) < 0) {
            reg_ref_clear(&r);
            continue;
        }
        has = !strcmp(m.config.digest, blob);
        for (size_t i = 0; !has && i < m.n_layers; i++)
            has = !strcmp(m.layers[i].digest, blob);
        images_manifest_clear(&m);
        if (has) {
            char *from = osbox_xstrdup(r.path);
            reg_ref_clear(&r);
            return from;
        }
        reg_ref_clear(&r);
    }
    return NULL;
}

static int push_blob(struct reg_client *c, const struct images_store *s, json_t *index,
                     const struct reg_ref *dst, const struct images_descriptor *d, uint64_t chunk,
                     struct images_push_result *res, struct osbox_err *err)
{
    _cleanup_free_ char *path = images_blob_path(s, d->digest);
    _cleanup_free_ char *from = mount_source(s, index, dst, d->digest);
    enum reg_upload_outcome how;

    if (reg_upload_blob(c, dst->path, d, path, from, chunk, &how, err) < 0)
        return -1;
    res->blobs++;
    if (how == REG_BLOB_MOUNTED)
        res->mounted++;
    if (how == REG_BLOB_SENT) {
        res->uploaded++;
        res->bytes_sent += (unsigned long long)d->size;
    }
    return 0;
}

static int put_manifest(struct reg_client *c, const struct reg_ref *dst, const char *text,
                        size_t len, const char *digest, struct osbox_err *err)
{
    _cleanup_free_ char *path = osbox_strdup_printf("/v2/%s/manifests/%s", dst->path,
                                                    dst->tag ? dst->tag : dst->digest);
    _cleanup_free_ char *what = reg_ref_string(dst);
    json_t *j = json_loadb(text, len, 0, NULL);
    const char *mt = json_string_value(json_object_get(j, "mediaType"));
    struct reg_body b = { .buf = text, .fd = -1, .len = len,
                          .content_type = mt ? mt : REG_MT_OCI_MANIFEST };
    struct reg_resp resp = { .content_length = -1 };
    int rc = -1;

    if (reg_call(c, "PUT", path, NULL, &b, NULL, 1 << 16, &resp, err) < 0)
        goto out;
    if (resp.status != 201) {
        reg_status_error(c, &resp, what, err);
        goto out;
    }
    if (resp.docker_digest && strcmp(resp.docker_digest, digest)) {
        osbox_error(err, 0, "%s: the registry stored the manifest as %s, not %s", what,
                    resp.docker_digest, digest);
        goto out;
    }
    rc = 0;
out:
    json_decref(j);
    reg_resp_clear(&resp);
    return rc;
}

int images_push(const char *image, const char *dest, unsigned long long chunk,
                struct images_push_result *res, struct osbox_err *err)
{
    struct images_store s;
    json_t *index = NULL;
    const char *name, *mdigest;
    _cleanup_free_ char *mtext = NULL, *digest = NULL;
    struct images_manifest m = { 0 };
    struct reg_ref dst = { 0 };
    struct reg_client c = { 0 };
    size_t mlen;
    int rc = -1;

    memset(res, 0, sizeof *res);
    images_store_open_ro(&s);
    if (images_index_load(&s, &index, err) < 0 ||
        images_lookup(index, &s, image, &name, &mdigest, err) < 0)
        goto out;
    digest = osbox_xstrdup(mdigest);
    if (reg_ref_parse(dest ? dest : name, &dst, err) < 0)
        goto out;
    if (!dst.tag) {
        osbox_error(err, 0, "push %s: give a tag to push to (a digest names what is there already)",
                    dest ? dest : name);
        goto out;
    }
    if (images_blob_read(&s, digest, &mtext, &mlen, err) < 0 ||
        images_manifest_parse(mtext, mlen, &m, err) < 0)
        goto out;
    if (reg_client_open(&c, dst.domain, NULL, NULL, err) < 0)
        goto out;
    if (push_blob(&c, &s, index, &dst, &m.config, chunk, res, err) < 0)
        goto out;
    for (size_t i = 0; i < m.n_layers; i++)
        if (push_blob(&c, &s, index, &dst, &m.layers[i], chunk, res, err) < 0)
            goto out;
    if (put_manifest(&c, &dst, mtext, mlen, digest, err) < 0)
        goto out;
    res->dest = reg_ref_string(&dst);
    res->digest = osbox_xstrdup(digest);
    rc = 0;
out:
    if (rc < 0 && dst.domain) {
        _cleanup_free_ char *what = reg_ref_string(&dst);
        if (!strstr(err->msg, what))
            osbox_error_prefix(err, "push %s", what);
    }
    reg_client_close(&c);
    reg_ref_clear(&dst);
    images_manifest_clear(&m);
    json_decref(index);
    images_store_close(&s);
    return rc;
}
