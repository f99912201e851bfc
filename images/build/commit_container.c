/* images_commit_container (osbox commit): the upper dir as one more layer on
 * the container's image, the -c changes applied to the config, a history
 * entry, then config + manifest named in one commit. The layer tar is written
 * in the store's tmp/ (gc removes it if osbox dies meanwhile). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "images/build/build.h"
#include "util.h"

/* Only what changes the config: a commit runs nothing. */
static int apply_changes(struct build_image *img, char *const *changes, struct osbox_err *err)
{
    struct build_file f;
    char **env = NULL;
    int rc = 0;

    if (build_changes_parse(changes, &f, err) < 0)
        return osbox_error_prefix(err, "-c");
    for (size_t i = 0; i < f.n && rc == 0; i++) {
        int r = build_apply_config(img, &f.v[i], env, err);
        if (r == 0)
            rc = osbox_error(err, 0, "-c '%s': %s cannot be applied by commit (CMD, ENTRYPOINT, "
                             "ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR)",
                             f.v[i].text, f.v[i].keyword);
        else if (r < 0)
            rc = osbox_error_prefix(err, "-c '%s'", f.v[i].text);
    }
    build_file_clear(&f);
    return rc;
}

int images_commit_container(const char *base, char *const *lowers, const char *upper,
                            const char *name, const struct images_commit_opts *o,
                            char id_out[72], struct osbox_err *err)
{
    _cleanup_free_ char *staging = NULL, *tar = NULL;
    char created[OSBOX_RFC3339_LEN + 1], digest[72], diff_id[72], mdigest[72];
    struct images_store s;
    struct build_image img;
    struct layer_writer w;
    struct osbox_err ignored;
    int64_t size;
    int rc = -1;

    if (name) {
        _cleanup_free_ char *norm = NULL;
        if (images_ref_normalize(name, &norm, err) < 0)
            return -1;
    }
    if (images_store_open(&s, err) < 0)
        return -1;
    if (build_image_open(&s, base ? base : "scratch", &img, err) < 0) {
        images_store_close(&s);
        return osbox_error_prefix(err, "the container's image");
    }
    if (apply_changes(&img, o->changes, err) < 0)
        goto out;
    if (images_staging_create(&s, &staging, err) < 0)
        goto out;
    tar = osbox_strdup_printf("%s/layer.tar", staging);
    if (layer_writer_open(&w, tar, -1, err) < 0)
        goto out;
    if (layer_writer_add_upper(&w, upper, lowers, err) < 0) {
        layer_writer_abort(&w);
        goto out;
    }
    if (layer_writer_close(&w, digest, &size, err) < 0 ||
        build_layer_store(tar, &img, diff_id, err) < 0)
        goto out;
    osbox_rfc3339_now(created);
    build_image_history(&img, created, o->created_by ? o->created_by : "osbox commit",
                        o->message, false);
    if (o->author)
        json_object_set_new(img.config, "author", json_string(o->author));
    rc = build_image_commit(&img, name, id_out, mdigest, err);
out:
    if (staging)
        osbox_rm_rf(staging, &ignored);
    build_image_clear(&img);
    images_store_close(&s);
    return rc;
}
