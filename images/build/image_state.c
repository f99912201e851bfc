/* An image being made (by commit, or by a build stage): its config and layer
 * list in memory, layers stored as they are made, then config + manifest
 * written and named in one staged commit (images/commit.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "images/build/build.h"
#include "util.h"

#define LAYER_TAR "application/vnd.oci.image.layer.v1.tar"

int build_image_open(struct images_store *s, const char *ref, struct build_image *img,
                     struct osbox_err *err)
{
    json_t *index = NULL;
    const char *name, *digest;
    struct images_manifest m;
    struct images_config c;

    memset(img, 0, sizeof *img);
    img->layer_dirs = osbox_xcalloc(1, sizeof(char *));
    img->layers = json_array();
    if (!strcmp(ref, "scratch")) {
        img->config = json_pack("{s:s, s:s, s:{}, s:{s:s, s:[]}, s:[]}", "architecture", "amd64",
                                "os", "linux", "config", "rootfs", "type", "layers", "diff_ids",
                                "history");
        return 0;
    }
    if (images_index_load(s, &index, err) < 0)
        return -1;
    /* A manifest digest needs no name (a container's image may have lost its own). */
    if (images_digest_valid(ref) && images_blob_exists(s, ref))
        digest = ref;
    else if (images_lookup(index, s, ref, &name, &digest, err) < 0) {
        json_decref(index);
        build_image_clear(img);
        return -1;
    }
    if (
        images_open_image(s, digest, &m, &c, err) < 0) {
        json_decref(index);
        build_image_clear(img);
        return -1;
    }
    img->digest = osbox_xstrdup(digest);
    json_decref(index);
    (void)name;
    img->config = json_deep_copy(c.json);
    for (size_t i = 0; i < m.n_layers; i++) {
        _cleanup_free_ char *dir = images_layer_path(s, c.diff_ids[i]);
        json_array_append_new(img->layers,
                              json_pack("{s:s, s:s, s:I}", "mediaType", m.layers[i].media_type,
                                        "digest", m.layers[i].digest, "size",
                                        (json_int_t)m.layers[i].size));
        osbox_strv_push(&img->layer_dirs, dir);
    }
    if (!json_is_object(json_object_get(img->config, "config")))
        json_object_set_new(img->config, "config", json_object());
    if (!json_is_array(json_object_get(img->config, "history")))
        json_object_set_new(img->config, "history", json_array());
    images_manifest_clear(&m);
    images_config_clear(&c);
    return 0;
}

void build_image_copy(struct build_image *dst, const struct build_image *src)
{
    dst->config = json_deep_copy(src->config);
    dst->layers = json_deep_copy(src->layers);
    dst->layer_dirs = osbox_strv_dup(src->layer_dirs);
    dst->digest = src->digest ? osbox_xstrdup(src->digest) : NULL;
}

void build_image_clear(struct build_image *img)
{
    json_decref(img->config);
    json_decref(img->layers);
    osbox_strv_free(img->layer_dirs);
    free(img->digest);
    memset(img, 0, sizeof *img);
}

json_t *build_image_cfg(struct build_image *img)
{
    json_t *c = json_object_get(img->config, "config");

    if (!json_is_object(c)) {
        c = json_object();
        json_object_set_new(img->config, "config", c);
    }
    return c;
}

void build_image_history(struct build_image *img, const char *created, const char *by,
                         const char *comment, bool empty)
{
    json_t *h = json_object_get(img->config, "history");
    json_t *e = json_pack("{s:s, s:s}", "created", created, "created_by", by);

    if (comment && *comment)
        json_object_set_new(e, "comment", json_string(comment));
    if (empty)
        json_object_set_new(e, "empty_layer", json_true());
    json_array_append_new(h, e);
    json_object_set_new(img->config, "created", json_string(created));
}

int build_image_add_layer(struct images_store *s, struct build_image *img, const char *blob,
                          const char *diff_id, int64_t size, struct osbox_err *err)
{
    json_t *rootfs = json_object_get(img->config, "rootfs"), *ids;
    _cleanup_free_ char *dir = images_layer_path(s, diff_id);

    (void)err;
    if (!json_is_object(rootfs)) {
        rootfs = json_pack("{s:s, s:[]}", "type", "layers", "diff_ids");
        json_object_set_new(img->config, "rootfs", rootfs);
    }
    ids = json_object_get(rootfs, "diff_ids");
    json_array_append_new(ids, json_string(diff_id));
    json_array_append_new(img->layers, json_pack("{s:s, s:s, s:I}", "mediaType", LAYER_TAR,
                                                 "digest", blob, "size", (json_int_t)size));
    osbox_strv_push(&img->layer_dirs, dir);
    free(img->digest);
    img->digest = NULL;
    return 0;
}

int build_layer_store(const char *tar_path, struct build_image *img, char diff_id[72],
                      struct osbox_err *err)
{
    _cleanup_close_ int fd = open(tar_path, O_RDONLY | O_CLOEXEC);
    struct images_store s;
    struct images_pending p;
    char blob[72];
    off_t size;
    int rc = -1;

    if (fd < 0)
        return osbox_error(err, errno, "open %s", tar_path);
    if (images_store_open_locked(&s, err) < 0)
        return -1;
    images_pending_init(&p, &s);
    if (images_pending_add_blob_any(&p, fd, blob, err) < 0 ||
        images_pending_add_layer_any(&p, blob, diff_id, err) < 0 ||
        images_pending_commit(&p, err) < 0)
        goto out;
    size = lseek(fd, 0, SEEK_END);
    rc = build_image_add_layer(&s, img, blob, diff_id, size, err);
out:
    images_pending_free(&p);
    images_store_close(&s);
    return rc;
}

int build_image_commit(struct build_image *img, const char *name, char id_out[72],
                       char digest_out[72], struct osbox_err *err)
{
    _cleanup_free_ char *norm = NULL, *ctext = NULL, *mtext = NULL;
    struct images_store s;
    struct images_pending p;
    json_t *manifest;
    int rc = -1;

    if (name && images_ref_normalize(name, &norm, err) < 0)
        return -1;
    ctext = json_dumps(img->config, JSON_COMPACT | JSON_SORT_KEYS);
    if (!ctext)
        return osbox_error(err, ENOMEM, "image config");
    if (images_store_open_locked(&s, err) < 0)
        return -1;
    images_pending_init(&p, &s);
    if (images_pending_add_blob_buf(&p, ctext, strlen(ctext), id_out, err) < 0)
        goto out;
    manifest = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:O}", "schemaVersion", 2, "mediaType",
                         "application/vnd.oci.image.manifest.v1+json", "config", "mediaType",
                         "application/vnd.oci.image.config.v1+json", "digest", id_out, "size",
                         (json_int_t)strlen(ctext), "layers", img->layers);
    mtext = json_dumps(manifest, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(manifest);
    if (!mtext || images_pending_add_blob_buf(&p, mtext, strlen(mtext), digest_out, err) < 0)
        goto out;
    if (norm)
        images_pending_set_ref(&p, norm, digest_out);
    if (images_pending_commit(&p, err) < 0)
        goto out;
    if (!norm) {
        /* No name: list it as untagged (<none>), reachable by id, kept by gc. */
        json_t *index = NULL;
        bool named = false;
        const char *k;
        json_t *v;
        if (images_index_load(&s, &index, err) < 0)
            goto out;
        json_object_foreach(images_index_refs(index), k, v)
            named |= !strcmp(json_string_value(v), digest_out);
        if (!named)
            json_object_set_new(images_index_untagged(index), digest_out, json_true());
        int r = named ? 0 : images_index_save(&s, index, err);
        json_decref(index);
        if (r < 0)
            goto out;
    }
    rc = 0;
out:
    images_pending_free(&p);
    images_store_close(&s);
    return rc;
}
