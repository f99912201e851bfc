/* images_resolve(): a reference -> layer directories + image config, for `run`. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"
#include "util.h"

/* Does image md (manifest digest; its id too) start with prefix? Records the
 * hit; -1 when an earlier hit was another image. */
static int prefix_hit(const struct images_store *s, const char *md, const char *name,
                      const char *prefix, const char **hit, const char **hit_name)
{
    _cleanup_free_ char *mtext = NULL;
    struct images_manifest m;
    struct osbox_err ignored;
    size_t len;
    bool match = md && !strncmp(md + 7, prefix, strlen(prefix));

    if (!match && md && images_blob_read(s, md, &mtext, &len, &ignored) == 0 &&
        images_manifest_parse(mtext, len, &m, &ignored) == 0) {
        match = !strncmp(m.config.digest + 7, prefix, strlen(prefix));
        images_manifest_clear(&m);
    }
    if (!match)
        return 0;
    if (*hit && strcmp(*hit, md))
        return -1;
    *hit = md;
    if (!*hit_name)
        *hit_name = name;
    return 0;
}

/* Which name:tag in the index the reference means; fills *digest (borrowed). */
int images_lookup(json_t *index, const struct images_store *s, const char *ref,
                  const char **name_out, const char **digest_out, struct osbox_err *err)
{
    json_t *refs = images_index_refs(index), *v;
    _cleanup_free_ char *norm = NULL;
    const char *name, *hit_name = NULL, *hit = NULL, *prefix = ref;
    struct osbox_err ignored;

    if (images_ref_normalize(ref, &norm, &ignored) == 0 && (v = json_object_get(refs, norm))) {
        *name_out = json_object_iter_key(json_object_iter_at(refs, norm));
        *digest_out = json_string_value(v);
        return 0;
    }
    if (!strncmp(prefix, "sha256:", 7))
        prefix += 7;
    /* Any unique prefix, as Docker (a name of that spelling wins). */
    if (*prefix && osbox_is_hex(prefix, 0)) {
        /* A prefix of an image id (config digest) or of a manifest digest,
         * of a named image, or of one without a name (its digest stands in). */
        json_object_foreach(refs, name, v)
            if (prefix_hit(s, json_string_value(v), name, prefix, &hit, &hit_name) < 0)
                return osbox_error(err, 0, "image id '%s' is ambiguous", ref);
        json_object_foreach(images_index_untagged(index), name, v)
            if (prefix_hit(s, name, name, prefix, &hit, &hit_name) < 0)
                return osbox_error(err, 0, "image id '%s' is ambiguous", ref);
        if (hit) {
            *name_out = hit_name;
            *digest_out = hit;
            return 0;
        }
    }
    osbox_error(err, 0, "image '%s' not found", ref);
    err->errnum = ENOENT; /* lets `inspect` try other kinds of object */
    return -1;
}

static char **json_strv(json_t *a)
{
    char **v = NULL;
    size_t i;
    json_t *x;

    if (!json_is_array(a))
        return NULL;
    v = osbox_xcalloc(1, sizeof *v);
    json_array_foreach(a, i, x)
        if (json_is_string(x))
            osbox_strv_push(&v, json_string_value(x));
    return v;
}

static struct images_healthcheck *healthcheck_of(json_t *h)
{
    struct images_healthcheck *hc;

    if (!json_is_object(h))
        return NULL;
    hc = osbox_xcalloc(1, sizeof *hc);
    hc->test = json_strv(json_object_get(h, "Test"));
    hc->interval_ns = json_integer_value(json_object_get(h, "Interval"));
    hc->timeout_ns = json_integer_value(json_object_get(h, "Timeout"));
    hc->start_period_ns = json_integer_value(json_object_get(h, "StartPeriod"));
    hc->retries = (int)json_integer_value(json_object_get(h, "Retries"));
    return hc;
}

static void fill_config(struct osbox_image *img, json_t *config)
{
    json_t *c = json_object_get(config, "config"), *ports, *vols;
    const char *k;
    json_t *v;

    img->env = json_strv(json_object_get(c, "Env"));
    img->entrypoint = json_strv(json_object_get(c, "Entrypoint"));
    img->cmd = json_strv(json_object_get(c, "Cmd"));
    if (json_string_value(json_object_get(c, "WorkingDir")) &&
        *json_string_value(json_object_get(c, "WorkingDir")))
        img->workdir = osbox_xstrdup(json_string_value(json_object_get(c, "WorkingDir")));
    if (json_string_value(json_object_get(c, "User")) &&
        *json_string_value(json_object_get(c, "User")))
        img->user = osbox_xstrdup(json_string_value(json_object_get(c, "User")));
    ports = json_object_get(c, "ExposedPorts");
    if (json_is_object(ports)) {
        img->exposed_ports = osbox_xcalloc(1, sizeof(char *));
        json_object_foreach(ports, k, v)
            osbox_strv_push(&img->exposed_ports, k);
    }
    vols = json_object_get(c, "Volumes");
    if (json_is_object(vols)) {
        img->volumes = osbox_xcalloc(1, sizeof(char *));
        json_object_foreach(vols, k, v)
            osbox_strv_push(&img->volumes, k);
    }
    img->healthcheck = healthcheck_of(json_object_get(c, "Healthcheck"));
}

int images_open_image(const struct images_store *s, const char *digest,
                      struct images_manifest *m, struct images_config *c, struct osbox_err *err)
{
    _cleanup_free_ char *mtext = NULL, *ctext = NULL;
    size_t mlen, clen;

    if (images_blob_read(s, digest, &mtext, &mlen, err) < 0)
        return -1;
    if (images_manifest_parse(mtext, mlen, m, err) < 0)
        return osbox_error_prefix(err, "manifest %s", digest);
    if (images_blob_read(s, m->config.digest, &ctext, &clen, err) < 0 ||
        images_config_parse(ctext, clen, c, err) < 0) {
        images_manifest_clear(m);
        return osbox_error_prefix(err, "image config");
    }
    if (c->n_diff_ids != m->n_layers) {
        images_manifest_clear(m);
        images_config_clear(c);
        return osbox_error(err, 0, "image %s: config and manifest disagree on the layers", digest);
    }
    return 0;
}

int images_resolve(const char *ref, struct osbox_image **out, struct osbox_err *err)
{
    struct images_store s;
    json_t *index = NULL;
    const char *name, *digest;
    struct images_manifest m;
    struct images_config c;
    struct osbox_image *img = NULL;
    int rc = -1;

    images_store_open_ro(&s);
    if (images_index_load(&s, &index, err) < 0)
        goto out;
    if (images_lookup(index, &s, ref, &name, &digest, err) < 0)
        goto out;
    if (images_open_image(&s, digest, &m, &c, err) < 0) {
        osbox_error_prefix(err, "image '%s'", ref);
        goto out;
    }
    img = osbox_xcalloc(1, sizeof *img);
    img->ref = osbox_xstrdup(name);
    img->digest = osbox_xstrdup(digest);
    img->config_digest = osbox_xstrdup(m.config.digest);
    img->layers = osbox_xcalloc(c.n_diff_ids + 1, sizeof *img->layers);
    for (size_t i = 0; i < c.n_diff_ids; i++) {
        struct stat st;
        img->layers[i] = images_layer_path(&s, c.diff_ids[i]);
        if (stat(img->layers[i], &st) < 0 || !S_ISDIR(st.st_mode)) {
            osbox_error(err, 0, "image '%s': layer directory %s is missing (load the image again to restore it)",
                        ref, img->layers[i]);
            images_image_free(img);
            img = NULL;
            break;
        }
    }
    if (img) {
        fill_config(img, c.json);
        *out = img;
        rc = 0;
    }
    images_manifest_clear(&m);
    images_config_clear(&c);
out:
    json_decref(index);
    images_store_close(&s);
    return rc;
}

void images_image_free(struct osbox_image *img)
{
    if (!img)
        return;
    free(img->ref);
    free(img->digest);
    free(img->config_digest);
    osbox_strv_free(img->layers);
    osbox_strv_free(img->env);
    osbox_strv_free(img->entrypoint);
    osbox_strv_free(img->cmd);
    free(img->workdir);
    free(img->user);
    osbox_strv_free(img->exposed_ports);
    osbox_strv_free(img->volumes);
    if (img->healthcheck)
        osbox_strv_free(img->healthcheck->test);
    free(img->healthcheck);
    free(img);
}
