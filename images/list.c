/* `osbox images` and `osbox inspect IMAGE`: describing what the store holds. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "util.h"

static int64_t image_size(const struct images_manifest *m)
{
    int64_t n = m->config.size;
    for (size_t i = 0; i < m->n_layers; i++)
        n += m->layers[i].size;
    return n;
}

static json_t *str_or_null(json_t *v)
{
    return json_is_string(v) ? json_incref(v) : json_null();
}

/* row + the image's id, created and size (or the error reading it). */
static json_t *describe(const struct images_store *s, const char *digest, json_t *row)
{
    struct images_manifest m;
    struct images_config c;
    struct osbox_err e2;

    if (images_open_image(s, digest, &m, &c, &e2) == 0) {
        json_object_set_new(row, "id", json_string(m.config.digest));
        json_object_set_new(row, "created", str_or_null(json_object_get(c.json, "created")));
        json_object_set_new(row, "size", json_integer(image_size(&m)));
        images_manifest_clear(&m);
        images_config_clear(&c);
    } else {
        json_object_set_new(row, "error", json_string(e2.msg));
    }
    return row;
}

int images_list_json(json_t **out, struct osbox_err *err)
{
    struct images_store s;
    json_t *index = NULL, *arr = json_array(), *v;
    const char *k;

    images_store_open_ro(&s);
    if (images_index_load(&s, &index, err) < 0) {
        images_store_close(&s);
        json_decref(arr);
        return -1;
    }
    json_object_foreach(images_index_refs(index), k, v) {
        const char *digest = json_string_value(v);
        /* "name:tag", or "name@sha256:..." for an image pulled by digest (no tag). */
        const char *at = strchr(k, '@');
        const char *colon = at ? at : strrchr(k, ':');
        json_t *row = json_object();

        json_object_set_new(row, "ref", json_string(k));
        json_object_set_new(row, "name", json_stringn(k, colon ? (size_t)(colon - k) : strlen(k)));
        json_object_set_new(row, "tag", json_string(colon && !at ? colon + 1 : ""));
        json_object_set_new(row, "digest", json_string(digest));
        json_array_append_new(arr, describe(&s, digest, row));
    }
    /* Images without a name, as Docker lists them. */
    json_object_foreach(images_index_untagged(index), k, v)
        json_array_append_new(arr, describe(&s, k, json_pack("{s:s, s:s, s:s, s:s}", "ref", "", "name",
                                                             "<none>", "tag", "<none>", "digest", k)));
    json_decref(index);
    images_store_close(&s);
    *out = arr;
    return 0;
}

int images_inspect_json(const char *ref, json_t **out, struct osbox_err *err)
{
    struct images_store s;
    json_t *index = NULL, *o = NULL, *names, *layers, *v;
    const char *name, *digest, *k;
    struct images_manifest m;
    struct images_config c;
    int rc = -1;

    images_store_open_ro(&s);
    if (images_index_load(&s, &index, err) < 0 ||
        images_lookup(index, &s, ref, &name, &digest, err) < 0)
        goto out;
    if (images_open_image(&s, digest, &m, &c, err) < 0) {
        osbox_error_prefix(err, "image '%s'", ref);
        goto out;
    }
    o = json_object();
    json_object_set_new(o, "type", json_string("image"));
    json_object_set_new(o, "id", json_string(m.config.digest));
    json_object_set_new(o, "digest", json_string(digest));
    names = json_array();
    json_object_foreach(images_index_refs(index), k, v)
        if (!strcmp(json_string_value(v), digest))
            json_array_append_new(names, json_string(k));
    json_object_set_new(o, "names", names);
    json_object_set_new(o, "created", str_or_null(json_object_get(c.json, "created")));
    json_object_set_new(o, "architecture", str_or_null(json_object_get(c.json, "architecture")));
    json_object_set_new(o, "os", str_or_null(json_object_get(c.json, "os")));
    json_object_set_new(o, "size", json_integer(image_size(&m)));
    layers = json_array();
    for (size_t i = 0; i < m.n_layers; i++) {
        _cleanup_free_ char *path = images_layer_path(&s, c.diff_ids[i]);
        json_array_append_new(layers,
                              json_pack("{s:s, s:s, s:s, s:I, s:s}", "digest", m.layers[i].digest,
                                        "diff_id", c.diff_ids[i], "media_type",
                                        m.layers[i].media_type, "size",
                                        (json_int_t)m.layers[i].size, "path", path));
    }
    json_object_set_new(o, "layers", layers);
    v = json_object_get(c.json, "config");
    json_object_set_new(o, "config", json_is_object(v) ? json_incref(v) : json_object());
    images_manifest_clear(&m);
    images_config_clear(&c);
    *out = o;
    rc = 0;
out:
    json_decref(index);
    images_store_close(&s);
    return rc;
}
