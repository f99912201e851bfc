/* rmi, tag and gc: changing names, and deleting what nothing uses any more. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "util.h"

/* Move a layer dir out of sight atomically, then delete it. */
static int remove_layer_dir(const struct images_store *s, const char *hex, struct osbox_err *err)
{
    _cleanup_free_ char *from = osbox_strdup_printf("%s/layers/%s", s->root, hex);
    _cleanup_free_ char *to = NULL;
    char id[65];

    if (osbox_random_id(id, err) < 0)
        return -1;
    id[16] = '\0';
    to = osbox_strdup_printf("%s/tmp/rm-%s", s->root, id);
    if (rename(from, to) < 0)
        return errno == ENOENT ? 0 : osbox_error(err, errno, "remove layer %s", hex);
    return osbox_rm_rf(to, err);
}

/* Delete every blob and layer not in the keep sets. */
static int sweep(const struct images_store *s, json_t *keep_blobs, json_t *keep_layers,
                 struct images_gc_stats *st, struct osbox_err *err)
{
    static const char *const dirs[] = { "blobs/sha256", "layers" };

    for (int i = 0; i < 2; i++) {
        _cleanup_free_ char *dir = osbox_strdup_printf("%s/%s", s->root, dirs[i]);
        DIR *d = opendir(dir);
        struct dirent *e;

        if (!d)
            return osbox_error(err, errno, "open %s", dir);
        while ((e = readdir(d))) {
            _cleanup_free_ char *digest = osbox_strdup_printf("sha256:%s", e->d_name);
            if (e->d_name[0] == '.')
                continue;
            if (json_object_get(i == 0 ? keep_blobs : keep_layers, digest))
                continue;
            if (i == 0) {
                _cleanup_free_ char *p = osbox_strdup_printf("%s/%s", dir, e->d_name);
                if (unlink(p) < 0 && errno != ENOENT) {
                    closedir(d);
                    return osbox_error(err, errno, "remove %s", p);
                }
                if (st)
                    st->blobs++;
            } else {
                if (remove_layer_dir(s, e->d_name, err) < 0) {
                    closedir(d);
                    return -1;
                }
                if (st)
                    st->layers++;
            }
        }
        closedir(d);
    }
    /* ext2 disks for `vm run`, named after their image's manifest digest. */
    _cleanup_free_ char *disks = osbox_strdup_printf("%s/disks", s->root);
    DIR *d = opendir(disks);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char *dot = strstr(e->d_name, ".ext2");
        if (e->d_name[0] == '.' || !dot)
            continue;
        _cleanup_free_ char *digest = osbox_strdup_printf("sha256:%.*s", (int)(dot - e->d_name),
                                                          e->d_name);
        if (json_object_get(keep_blobs, digest))
            continue;
        _cleanup_free_ char *p = osbox_strdup_printf("%s/%s", disks, e->d_name);
        if (unlink(p) == 0 && st)
            st->blobs++;
    }
    if (d)
        closedir(d);
    return 0;
}

static int sweep_unused(const struct images_store *s, json_t *index, images_users_fn users,
                        struct images_gc_stats *st, struct osbox_err *err)
{
    json_t *blobs = json_object(), *layers = json_object();
    int rc = images_mark_in_use(s, index, users, blobs, layers, err);

    if (rc == 0)
        rc = sweep(s, blobs, layers, st, err);
    json_decref(blobs);
    json_decref(layers);
    return rc;
}

int images_remove(const char *ref, bool force, images_users_fn using, char ***untagged,
                  char **deleted, struct osbox_err *err)
{
    struct images_store s;
    json_t *index = NULL, *refs, *users = NULL, *v;
    const char *name, *digest, *k;
    _cleanup_free_ char *target = NULL, *norm = NULL;
    struct osbox_err ignored;
    bool by_name;
    int rc = -1, n_names = 0;

    if (images_store_open(&s, err) < 0)
        return -1;
    if (images_store_lock(&s, err) < 0 || images_index_load(&s, &index, err) < 0)
        goto out;
    if (images_lookup(index, &s, ref, &name, &digest, err) < 0)
        goto out;
    refs = images_index_refs(index);
    target = osbox_xstrdup(digest);
    by_name = images_ref_normalize(ref, &norm, &ignored) == 0 && json_object_get(refs, norm);
    json_object_foreach(refs, k, v)
        n_names += !strcmp(json_string_value(v), target);
    if (!by_name && n_names > 1 && !force) {
        osbox_error(err, 0, "image %s has %d names; remove them one by one or use -f",
                    ref, n_names);
        goto out;
    }
    /* Only the last name makes the image go; refuse while a container uses it. */
    if (!by_name || n_names == 1) {
        users = images_containers_using(using);
        if ((v = json_object_get(users, target)) && !force) {
            osbox_error(err, 0, "image '%s' is used by container %s (stop and remove it, or use -f)",
                        ref, json_string_value(v));
            goto out;
        }
    }
    void *iter = json_object_iter(refs);
    while (iter) {
        const char *key = json_object_iter_key(iter);
        void *next = json_object_iter_next(refs, iter);
        bool drop = by_name ? !strcmp(key, norm)
                            : !strcmp(json_string_value(json_object_iter_value(iter)), target);
        if (drop) {
            if (untagged)
                osbox_strv_push(untagged, key);
            json_object_del(refs, key);
        }
        iter = next;
    }
    if (!by_name)
        json_object_del(images_index_untagged(index), target);
    if (images_index_save(&s, index, err) < 0)
        goto out;
    /* Names are gone; now delete whatever nothing else uses (never a layer
     * another image or a container still needs). */
    bool still_named = false;
    json_object_foreach(refs, k, v)
        still_named |= !strcmp(json_string_value(v), target);
    if (!still_named) {
        if (sweep_unused(&s, index, using, NULL, err) < 0)
            goto out;
        if (deleted && !images_blob_exists(&s, target))
            *deleted = osbox_xstrdup(target);
    }
    rc = 0;
out:
    json_decref(users);
    json_decref(index);
    images_store_close(&s);
    return rc;
}

int images_tag(const char *src, const char *dst, struct osbox_err *err)
{
    struct images_store s;
    json_t *index = NULL;
    const char *name, *digest;
    _cleanup_free_ char *norm = NULL;
    int rc = -1;

    if (images_ref_normalize(dst, &norm, err) < 0)
        return -1;
    if (images_store_open(&s, err) < 0)
        return -1;
    if (images_store_lock(&s, err) < 0 || images_index_load(&s, &index, err) < 0 ||
        images_lookup(index, &s, src, &name, &digest, err) < 0)
        goto out;
    json_object_set_new(images_index_refs(index), norm, json_string(digest));
    json_object_del(images_index_untagged(index), digest); /* named now */
    rc = images_index_save(&s, index, err);
out:
    json_decref(index);
    images_store_close(&s);
    return rc;
}

int images_gc(images_users_fn users, struct images_gc_stats *st, struct osbox_err *err)
{
    struct images_store s;
    json_t *index = NULL;
    _cleanup_free_ char *tmp = NULL;
    DIR *d;
    struct dirent *e;
    int rc = -1;

    if (st)
        memset(st, 0, sizeof *st);
    images_store_open_ro(&s);
    if (access(s.root, F_OK) < 0) { /* no store, nothing to collect */
        images_store_close(&s);
        return 0;
    }
    images_store_close(&s);
    if (images_store_open(&s, err) < 0)
        return -1;
    /* Holding the writer lock: no import is running, so all of tmp/ is debris. */
    if (images_store_lock(&s, err) < 0 || images_index_load(&s, &index, err) < 0)
        goto out;
    tmp = osbox_strdup_printf("%s/tmp", s.root);
    if ((d = opendir(tmp))) {
        while ((e = readdir(d))) {
            _cleanup_free_ char *p = NULL;
            if (e->d_name[0] == '.')
                continue;
            p = osbox_strdup_printf("%s/%s", tmp, e->d_name);
            if (osbox_rm_rf(p, err) < 0) {
                closedir(d);
                goto out;
            }
            if (st)
                st->temp++;
        }
        closedir(d);
    }
    /* An index rewrite killed between write and rename leaves its temp file. */
    if ((d = opendir(s.root))) {
        while ((e = readdir(d))) {
            if (strncmp(e->d_name, "index.json.tmp.", 15))
                continue;
            _cleanup_free_ char *p = osbox_strdup_printf("%s/%s", s.root, e->d_name);
            if (unlink(p) == 0 && st)
                st->temp++;
        }
        closedir(d);
    }
    rc = sweep_unused(&s, index, users, st, err);
out:
    json_decref(index);
    images_store_close(&s);
    return rc;
}
