/* images_pull(): a reference -> the registry's manifest (through an index for
 * this platform) -> config -> layers -> the store.
 *
 * Everything is staged like any import (images_pending): blobs are written to
 * tmp/<id>/blobs as *.part, verified, renamed to their digest; layers are
 * unpacked there and checked against the config's diff_ids; only then does the
 * commit make them visible and point the name at the manifest. Blobs the store
 * already has are not downloaded, so a re-pull of a present image costs one
 * manifest request. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registry.h"
#include "util.h"

void images_pull_result_clear(struct images_pull_result *r)
{
    free(r->name);
    free(r->digest);
    memset(r, 0, sizeof *r);
}

static bool is_index(const char *mt)
{
    return !strcmp(mt, REG_MT_OCI_INDEX) || !strcmp(mt, REG_MT_DOCKER_LIST);
}

/* The image manifest for the platform: ref's own, or the one its index picks. */
static int fetch_image_manifest(struct reg_client *c, const struct reg_ref *r,
                                const struct reg_platform *pl, char **body, size_t *len,
                                char digest[72], struct osbox_err *err)
{
    _cleanup_free_ char *mt = NULL, *have = NULL, *what = reg_ref_string(r);
    const char *ref = r->digest ? r->digest : r->tag;
    json_t *index, *entry;

    if (reg_fetch_manifest(c, r->path, ref, body, len, &mt, digest, err) < 0)
        return -1;
    if (!is_index(mt))
        return 0;
    index = json_loadb(*body, *len, 0, NULL);
    free(*body);
    *body = NULL;
    if (!index)
        return osbox_error(err, 0, "%s: the index is not valid JSON", what);
    entry = reg_platform_select(index, pl, &have);
    if (!entry) {
        json_decref(index);
        return osbox_error(err, 0, "%s has no image for %s/%s%s%s (it has: %s)", what, pl->os,
                           pl->arch, pl->variant[0] ? "/" : "", pl->variant,
                           have ? have : "nothing");
    }
    const char *cmt = json_string_value(json_object_get(entry, "mediaType"));
    const char *cdg = json_string_value(json_object_get(entry, "digest"));
    json_int_t csize = json_integer_value(json_object_get(entry, "size"));
    _cleanup_free_ char *child = cdg ? osbox_xstrdup(cdg) : NULL, *cmt2 = NULL;
    bool type_ok = cmt && images_manifest_type_ok(cmt);
    json_decref(index);
    if (!child || !images_digest_valid(child) || !type_ok)
        return osbox_error(err, 0, "%s: the index entry for %s/%s is not an image manifest", what,
                           pl->os, pl->arch);
    if (reg_fetch_manifest(c, r->path, child, body, len, &cmt2, digest, err) < 0)
        return -1;
    if (is_index(cmt2) || (csize > 0 && (json_int_t)*len != csize)) {
        free(*body);
        *body = NULL;
        return osbox_error(err, 0, "%s: manifest %s does not match its index entry", what, child);
    }
    return 0;
}

/* Is name already this manifest, with every blob present? Then nothing to do. */
static bool up_to_date(const char *name, const char *digest, const struct images_manifest *m)
{
    struct images_store s;
    struct osbox_err ignored;
    json_t *index = NULL;
    bool yes;

    images_store_open_ro(&s);
    yes = images_index_load(&s, &index, &ignored) == 0 &&
          !strcmp(json_string_value(json_object_get(images_index_refs(index), name)) ?: "", digest) &&
          images_blob_exists(&s, digest) && images_blob_exists(&s, m->config.digest);
    for (size_t i = 0; yes && i < m->n_layers; i++)
        yes = images_blob_exists(&s, m->layers[i].digest);
    json_decref(index);
    images_store_close(&s);
    return yes;
}

static int stage_config(struct reg_client *c, const char *repo, struct images_pending *p,
                        const struct images_manifest *m, struct images_config *cfg,
                        struct osbox_err *err)
{
    _cleanup_free_ char *text = NULL;
    char got[72];
    size_t len;

    if (images_pending_has_blob(p, m->config.digest)) {
        _cleanup_free_ char *path = images_pending_blob_path(p, m->config.digest);
        if (osbox_read_file(path, &text, &len, err) < 0)
            return -1;
    } else {
        if (reg_fetch_blob_buf(c, repo, &m->config, REG_MAX_CONFIG, &text, &len, err) < 0 ||
            images_pending_add_blob_buf(p, text, len, got, err) < 0)
            return -1;
    }
    if (images_config_parse(text, len, cfg, err) < 0)
        return osbox_error_prefix(err, "image config %s", m->config.digest);
    if (cfg->n_diff_ids != m->n_layers) {
        images_config_clear(cfg);
        return osbox_error(err, 0, "image config %s lists %zu diff_ids but the manifest has %zu layers",
                           m->config.digest, cfg->n_diff_ids, m->n_layers);
    }
    return 0;
}

/* Layers download and unpack on REG_PULL_JOBS threads (Docker's default
 * concurrency); this thread adopts them in order as each one is ready. */
#define REG_PULL_JOBS 3

static int stage_layers(struct reg_client *c, const char *repo, struct images_pending *p,
                        const struct images_manifest *m, const struct images_config *cfg,
                        struct images_pull_result *res, struct osbox_err *err)
{
    struct reg_fetch_job *jobs = osbox_xcalloc(m->n_layers + 1, sizeof *jobs);
    struct reg_fetch_pool *pool = NULL;
    int rc = -1;

    for (size_t i = 0; i < m->n_layers; i++) {
        jobs[i].d = &m->layers[i];
        jobs[i].fd = -1;
    }
    for (size_t i = 0; i < m->n_layers; i++) {
        bool dup = false;
        for (size_t k = 0; k < i && !dup; k++) /* a blob listed twice is fetched once */
            dup = !strcmp(m->layers[k].digest, m->layers[i].digest);
        if (dup || images_pending_has_blob(p, m->layers[i].digest))
            continue;
        jobs[i].diff_id = cfg->diff_ids[i];
        if (images_pending_blob_open(p, m->layers[i].digest, &jobs[i].fd, &jobs[i].blob_path,
                                     err) < 0 ||
            images_pending_layer_claim(p, cfg->diff_ids[i], &jobs[i].layer_dir, err) < 0)
            goto out;
    }
    if (reg_pool_start(&pool, c, repo, jobs, m->n_layers, REG_PULL_JOBS, err) < 0)
        goto out;
    for (size_t i = 0; i < m->n_layers; i++) {
        const struct images_descriptor *d = &m->layers[i];
        images_progress_layer((unsigned)i + 1, (unsigned)m->n_layers, d->digest);
        if (reg_pool_wait(pool, i, err) < 0)
            goto out;
        if (jobs[i].fd >= 0) {
            if (images_pending_blob_adopt(p, d->digest, err) < 0)
                goto out;
            res->layers_fetched++;
            res->bytes_fetched += (unsigned long long)d->size;
            images_progress_bytes("pulled", (uint64_t)d->size, (uint64_t)d->size, true);
        } else {
            images_progress_bytes("exists", (uint64_t)d->size, (uint64_t)d->size, true);
        }
        if (jobs[i].layer_dir)
            images_pending_layer_adopt(p, cfg->diff_ids[i]); /* unpacked by its worker */
        else if (images_pending_add_layer(p, d->digest, cfg->diff_ids[i], err) < 0)
            goto out;
    }
    rc = 0;
out:
    reg_pool_stop(pool);
    for (size_t i = 0; i < m->n_layers; i++) {
        if (jobs[i].fd >= 0)
            close(jobs[i].fd);
        free(jobs[i].blob_path);
        free(jobs[i].layer_dir);
    }
    free(jobs);
    return rc;
}

static int pull_into_store(struct reg_client *c, const struct reg_ref *r, const char *name,
                           const char *mtext, size_t mlen, const char *digest,
                           const struct images_manifest *m, struct images_pull_result *res,
                           struct osbox_err *err)
{
    struct images_store s;
    struct images_pending p;
    struct images_config cfg = { 0 };
    char got[72];
    int rc = -1;

    if (images_store_open_locked(&s, err) < 0)
        return -1;
    images_pending_init(&p, &s);
    if (images_pending_add_blob_buf(&p, mtext, mlen, got, err) < 0 ||
        stage_config(c, r->path, &p, m, &cfg, err) < 0)
        goto out;
    if (stage_layers(c, r->path, &p, m, &cfg, res, err) < 0)
        goto out;
    images_progress_layer(0, 0, NULL);
    images_pending_set_ref(&p, name, digest);
    rc = images_pending_commit(&p, err);
out:
    images_config_clear(&cfg);
    images_pending_free(&p);
    images_store_close(&s);
    return rc;
}

/* Everything from one endpoint (a mirror or the registry): its manifest, then
 * the config and layers it lacks into the store. */
static int pull_from(struct reg_client *c, const struct reg_ref *r, const struct reg_platform *pl,
                     const char *name, const char *what, struct images_pull_result *res,
                     struct osbox_err *err)
{
    struct images_manifest m;
    _cleanup_free_ char *mtext = NULL;
    char digest[72];
    size_t mlen;
    int rc = -1;

    if (fetch_image_manifest(c, r, pl, &mtext, &mlen, digest, err) < 0)
        return -1;
    if (images_manifest_parse(mtext, mlen, &m, err) < 0)
        return osbox_error_prefix(err, "%s: manifest %s", what, digest);
    res->layers = (unsigned)m.n_layers;
    if (up_to_date(name, digest, &m))
        res->up_to_date = true;
    else if (pull_into_store(c, r, name, mtext, mlen, digest, &m, res, err) < 0)
        goto out;
    res->name = osbox_xstrdup(name);
    res->digest = osbox_xstrdup(digest);
    rc = 0;
out:
    images_manifest_clear(&m);
    return rc;
}

/* registries.conf's mirrors in order, then the registry itself. A mirror
 * that fails anywhere (no manifest, a blob it lost, a connection that dies
 * mid-layer, bad content) is left for the next endpoint: nothing it sent was
 * committed, so the next one starts from the same store. The error is the
 * last endpoint's. */
int images_pull(const char *ref, const char *platform, struct images_pull_result *res,
                struct osbox_err *err)
{
    struct reg_ref r;
    struct reg_platform pl;
    struct reg_endpoints eps;
    _cleanup_free_ char *name = NULL, *what = NULL;
    int rc = -1;

    memset(res, 0, sizeof *res);
    if (reg_platform_parse(platform, &pl, err) < 0)
        return -1;
    if (reg_ref_parse(ref, &r, err) < 0)
        return -1;
    what = reg_ref_string(&r);
    if (reg_ref_store_name(&r, &name, err) < 0 || reg_endpoints_for(r.domain, &eps, err) < 0)
        goto out_ref;
    for (size_t i = 0; i < eps.n && rc < 0; i++) {
        struct reg_client c;
        unsigned requests = res->requests;
        osbox_err_clear(err);
        memset(res, 0, sizeof *res);
        if (reg_client_open_host(&c, eps.host[i], eps.insecure[i], NULL, NULL, err) < 0)
            continue;
        rc = pull_from(&c, &r, &pl, name, what, res, err);
        res->requests = requests + c.requests;
        reg_client_close(&c);
        if (rc < 0 && err->errnum == ECANCELED)
            break;
    }
    reg_endpoints_clear(&eps);
out_ref:
    reg_ref_clear(&r);
    if (rc < 0 && !strstr(err->msg, what))
        osbox_error_prefix(err, "pull %s", what);
    return rc;
}
