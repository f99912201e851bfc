/* What is in use: the blobs and layers reachable from the names in the index
 * and from the images containers use (as the container runtime answers,
 * through the caller's images_users_fn). rmi and gc never delete anything in
 * these sets. */

#include "internal.h"
#include "util.h"

json_t *images_containers_using(images_users_fn users)
{
    json_t *u = users ? users() : NULL;
    return u ? u : json_object();
}

int images_mark_image(const struct images_store *s, const char *digest, json_t *blobs,
                      json_t *layers, struct osbox_err *err)
{
    struct images_manifest m;
    struct images_config c;

    json_object_set_new(blobs, digest, json_true());
    if (images_open_image(s, digest, &m, &c, err) < 0)
        return -1;
    json_object_set_new(blobs, m.config.digest, json_true());
    for (size_t i = 0; i < m.n_layers; i++) {
        json_object_set_new(blobs, m.layers[i].digest, json_true());
        json_object_set_new(layers, c.diff_ids[i], json_true());
    }
    images_manifest_clear(&m);
    images_config_clear(&c);
    return 0;
}

int images_mark_in_use(const struct images_store *s, json_t *index, images_users_fn using,
                       json_t *blobs, json_t *layers, struct osbox_err *err)
{
    json_t *users = images_containers_using(using), *v;
    const char *k;
    struct osbox_err ignored;

    json_object_foreach(images_index_refs(index), k, v) {
        if (images_mark_image(s, json_string_value(v), blobs, layers, err) < 0) {
            json_decref(users);
            return osbox_error_prefix(err, "image %s", k);
        }
    }
    json_object_foreach(images_index_untagged(index), k, v)
        if (images_mark_image(s, k, blobs, layers, err) < 0) {
            json_decref(users);
            return osbox_error_prefix(err, "image %s", k);
        }
    /* A container's image may have lost its names (rmi -f); keep what it uses.
     * Unreadable ones are skipped: their manifest is already gone. */
    json_object_foreach(users, k, v)
        if (images_digest_valid(k))
            images_mark_image(s, k, blobs, layers, &ignored);
    json_decref(users);
    images_mark_build_cache(s, blobs, layers);
    return 0;
}
