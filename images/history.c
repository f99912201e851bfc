/* osbox history: the steps that built an image (its config's "history"),
 * each matched with the layer it made: the non-empty steps and the
 * manifest's layers come in the same order. */
#include <jansson.h>

#include "internal.h"
#include "util.h"

static json_t *row(json_t *h, bool empty, const struct images_manifest *m, size_t li)
{
    bool have = !empty && li < m->n_layers;
    return json_pack("{s:O?, s:O?, s:O?, s:b, s:I, s:s?}", "created", json_object_get(h, "created"),
                     "created_by", json_object_get(h, "created_by"), "comment", json_object_get(h, "comment"),
                     "empty_layer", empty, "size", (json_int_t)(have ? m->layers[li].size : 0), "layer",
                     have ? m->layers[li].digest : NULL);
}

int images_history_json(const char *ref, json_t **out, struct osbox_err *err)
{
    struct images_store s;
    json_t *index = NULL, *arr, *hist, *h;
    const char *name, *digest;
    struct images_manifest m;
    struct images_config c;
    size_t i, li = 0;
    int rc = -1;

    images_store_open_ro(&s);
    if (images_index_load(&s, &index, err) < 0 || images_lookup(index, &s, ref, &name, &digest, err) < 0)
        goto out;
    if (images_open_image(&s, digest, &m, &c, err) < 0) {
        osbox_error_prefix(err, "image '%s'", ref);
        goto out;
    }
    arr = json_array();
    hist = json_object_get(c.json, "history");
    json_array_foreach(hist, i, h) {
        bool empty = json_is_true(json_object_get(h, "empty_layer"));
        json_t *r = row(h, empty, &m, li);
        li += !empty;
        if (r)
            json_array_insert_new(arr, 0, r);
    }
    /* No history (a plain rootfs import): one row per layer. */
    for (; json_array_size(hist) == 0 && li < m.n_layers; li++)
        json_array_insert_new(arr, 0, row(NULL, false, &m, li));
    images_manifest_clear(&m);
    images_config_clear(&c);
    *out = arr;
    rc = 0;
out:
    json_decref(index);
    images_store_close(&s);
    return rc;
}
