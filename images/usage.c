/* What is in use: the blobs and layers reachable from the names in the index
 * and from containers' records ($OSBOX_ROOT/containers/<id>/container.json,
 * field "image_digest"). rmi and gc never delete anything in these sets. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "util.h"

json_t *images_containers_using(void)
{
    _cleanup_free_ char *dir = osbox_strdup_printf("%s/containers", osbox_root_dir());
    json_t *users = json_object();
    DIR *d = opendir(dir);
    struct dirent *e;

    if (!d)
        return users;
    while ((e = readdir(d))) {
        _cleanup_free_ char *p = NULL;
        json_t *rec;
        const char *digest;

        if (e->d_name[0] == '.')
            continue;
        p = osbox_strdup_printf("%s/%s/container.json", dir, e->d_name);
        rec = json_load_file(p, 0, NULL);
        digest = json_string_value(json_object_get(rec, "image_digest"));
        if (digest && !json_object_get(users, digest)) {
            const char *name = json_string_value(json_object_get(rec, "name"));
            json_object_set_new(users, digest, json_string(name && *name ? name : e->d_name));
        }
        json_decref(rec);
    }
    closedir(d);
    return users;
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

int images_mark_in_use(const struct images_store *s, json_t *index, json_t *blobs, json_t *layers,
                       struct osbox_err *err)
{
    json_t *users = images_containers_using(), *v;
    const char *k;
    struct osbox_err ignored;

    json_object_foreach(images_index_refs(index), k, v) {
        if (images_mark_image(s, json_string_value(v), blobs, layers, err) < 0) {
            json_decref(users);
            return osbox_error_prefix(err, "image %s", k);
        }
    }
    /* A container's image may have lost its names (rmi -f); keep what it uses.
     * Unreadable ones are skipped: their manifest is already gone. */
    json_object_foreach(users, k, v)
        if (images_digest_valid(k))
            images_mark_image(s, k, blobs, layers, &ignored);
    json_decref(users);
    return 0;
}
