/* osbox image prune: what gc removes (blobs and layers no name and no
 * container uses), and with all every image no container uses, by name.
 * Without all, the dangling images (made by build or commit without a name;
 * an image that loses its last name goes with it). */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "util.h"

int images_prune(bool all, images_users_fn users_fn, char ***deleted, struct images_gc_stats *gc,
                 struct osbox_err *err)
{
    json_t *rows, *row, *users;
    size_t i;

    *deleted = osbox_xcalloc(1, sizeof **deleted);
    if (images_list_json(&rows, err) < 0)
        return -1;
    users = images_containers_using(users_fn);
    /* Dangling images (no name; listed by digest) always, named ones with
     * all; none a container uses. */
    json_array_foreach(rows, i, row) {
        const char *ref = json_string_value(json_object_get(row, "ref"));
        const char *digest = json_string_value(json_object_get(row, "digest"));
        char **untagged = NULL, *gone = NULL;
        struct osbox_err e;
        if (!ref || !digest || json_object_get(users, digest) || (*ref && !all))
            continue;
        if (images_remove(*ref ? ref : digest, false, users_fn, &untagged, &gone, &e) == 0) {
            for (size_t k = 0; untagged && untagged[k]; k++)
                osbox_strv_push(deleted, untagged[k]);
            if (gone)
                osbox_strv_push(deleted, gone);
        }
        osbox_strv_free(untagged);
        free(gone);
    }
    json_decref(rows);
    json_decref(users);
    return images_gc(users_fn, gc, err);
}
