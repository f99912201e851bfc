/* Parsing OCI and Docker image manifests and configs (jansson). Only the fields
 * the store needs are extracted; the config JSON is kept whole for inspect. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "util.h"

/* Sizes beyond this are rejected before anything is read (1 TiB). */
#define IMAGES_MAX_BLOB_SIZE (1LL << 40)

static const char *const manifest_types[] = {
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
};

static const struct {
    const char *type;
    int compression;
} layer_types[] = {
    { "application/vnd.oci.image.layer.v1.tar", 0 },
    { "application/vnd.oci.image.layer.v1.tar+gzip", 1 },
    { "application/vnd.oci.image.layer.v1.tar+zstd", 2 },
    { "application/vnd.docker.image.rootfs.diff.tar", 0 },
    { "application/vnd.docker.image.rootfs.diff.tar.gzip", 1 },
    { "application/vnd.oci.image.layer.nondistributable.v1.tar", 0 },
    { "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", 1 },
    { "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", 2 },
};

static const char *const config_types[] = {
    "application/vnd.oci.image.config.v1+json",
    "application/vnd.docker.container.image.v1+json",
};

bool images_manifest_type_ok(const char *t)
{
    for (size_t i = 0; i < sizeof manifest_types / sizeof manifest_types[0]; i++)
        if (t && !strcmp(t, manifest_types[i]))
            return true;
    return false;
}

int images_layer_compression(const char *t)
{
    for (size_t i = 0; i < sizeof layer_types / sizeof layer_types[0]; i++)
        if (t && !strcmp(t, layer_types[i].type))
            return layer_types[i].compression;
    return -1;
}

static bool config_type_ok(const char *t)
{
    for (size_t i = 0; i < sizeof config_types / sizeof config_types[0]; i++)
        if (t && !strcmp(t, config_types[i]))
            return true;
    return false;
}

static int parse_descriptor(json_t *j, struct images_descriptor *d, const char *what,
                            struct osbox_err *err)
{
    json_t *mt = json_object_get(j, "mediaType"), *dg = json_object_get(j, "digest"),
           *sz = json_object_get(j, "size");

    if (!json_is_object(j) || !json_is_string(mt) || !json_is_string(dg) || !json_is_integer(sz))
        return osbox_error(err, 0, "%s descriptor needs mediaType, digest and size",
                           what);
    if (!images_digest_valid(json_string_value(dg)))
        return osbox_error(err, 0, "%s has an invalid digest '%s'", what,
                           json_string_value(dg));
    if (json_integer_value(sz) < 0 || json_integer_value(sz) > IMAGES_MAX_BLOB_SIZE)
        return osbox_error(err, 0, "%s %s declares an absurd size %lld", what,
                           json_string_value(dg), (long long)json_integer_value(sz));
    d->media_type = osbox_xstrdup(json_string_value(mt));
    d->digest = osbox_xstrdup(json_string_value(dg));
    d->size = json_integer_value(sz);
    return 0;
}

int images_manifest_parse(const char *text, size_t len, struct images_manifest *m,
                          struct osbox_err *err)
{
    json_error_t jerr;
    json_t *root = json_loadb(text, len, 0, &jerr), *layers, *mt;
    int rc = -1;
    size_t i;

    memset(m, 0, sizeof *m);
    if (!root)
        return osbox_error(err, 0, "malformed JSON: %s (line %d)", jerr.text, jerr.line);
    mt = json_object_get(root, "mediaType");
    if (!json_is_object(root) || json_integer_value(json_object_get(root, "schemaVersion")) != 2) {
        osbox_error(err, 0, "not an image manifest (schemaVersion 2)");
        goto out;
    }
    if (mt && !images_manifest_type_ok(json_string_value(mt))) {
        osbox_error(err, 0, "unknown media type '%s'",
                    json_is_string(mt) ? json_string_value(mt) : "?");
        goto out;
    }
    if (parse_descriptor(json_object_get(root, "config"), &m->config, "config", err) < 0)
        goto out;
    if (!config_type_ok(m->config.media_type)) {
        osbox_error(err, 0, "unknown config media type '%s'", m->config.media_type);
        goto out;
    }
    layers = json_object_get(root, "layers");
    if (!json_is_array(layers)) {
        osbox_error(err, 0, "no layers array");
        goto out;
    }
    m->n_layers = json_array_size(layers);
    m->layers = osbox_xcalloc(m->n_layers, sizeof *m->layers);
    for (i = 0; i < m->n_layers; i++) {
        struct images_descriptor *d = &m->layers[i];
        if (parse_descriptor(json_array_get(layers, i), d, "layer", err) < 0)
            goto out;
        if (images_layer_compression(d->media_type) < 0) {
            osbox_error(err, 0, "layer %s has unknown media type '%s'", d->digest,
                        d->media_type);
            goto out;
        }
    }
    rc = 0;
out:
    json_decref(root);
    if (rc < 0)
        images_manifest_clear(m);
    return rc;
}

void images_manifest_clear(struct images_manifest *m)
{
    free(m->config.media_type);
    free(m->config.digest);
    for (size_t i = 0; i < m->n_layers && m->layers; i++) {
        free(m->layers[i].media_type);
        free(m->layers[i].digest);
    }
    free(m->layers);
    memset(m, 0, sizeof *m);
}

int images_config_parse(const char *text, size_t len, struct images_config *c,
                        struct osbox_err *err)
{
    json_error_t jerr;
    json_t *ids;

    memset(c, 0, sizeof *c);
    c->json = json_loadb(text, len, 0, &jerr);
    if (!c->json)
        return osbox_error(err, 0, "malformed JSON: %s (line %d)", jerr.text,
                           jerr.line);
    ids = json_object_get(json_object_get(c->json, "rootfs"), "diff_ids");
    if (!json_is_object(c->json) || !json_is_array(ids)) {
        images_config_clear(c);
        return osbox_error(err, 0, "no rootfs.diff_ids");
    }
    c->n_diff_ids = json_array_size(ids);
    c->diff_ids = osbox_xcalloc(c->n_diff_ids + 1, sizeof *c->diff_ids);
    for (size_t i = 0; i < c->n_diff_ids; i++) {
        const char *d = json_string_value(json_array_get(ids, i));
        if (!images_digest_valid(d)) {
            /* d lives in c->json: the message first, then the free. */
            osbox_error(err, 0, "invalid diff_id '%s'", d ? d : "?");
            images_config_clear(c);
            return -1;
        }
        c->diff_ids[i] = osbox_xstrdup(d);
    }
    return 0;
}

void images_config_clear(struct images_config *c)
{
    osbox_strv_free(c->diff_ids);
    json_decref(c->json);
    memset(c, 0, sizeof *c);
}
