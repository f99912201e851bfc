/* Staging the layers of one manifest from a directory of blobs, in one pass
 * per layer and two layers at a time.
 *
 * A layer whose blob and unpacked tree are both new is read once: each block
 * is hashed (blob digest), copied into the staged blob and fed to the
 * decompressor, whose output is hashed (diff_id) and extracted (see
 * images_extract_layer_fd). Those layers run on a pool of two threads, each
 * into its own staging dir; everything else (blob or layer already stored,
 * the same blob twice) takes the sequential path afterwards. Results are
 * checked in manifest order, so the first bad layer is the one reported, and
 * nothing is fsynced here: the commit's syncfs covers the staging dir. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dl_archive.h"
#include "dl_crypto.h"
#include "internal.h"
#include "util.h"

#define POOL_THREADS 2

struct layer_job {
    const struct images_descriptor *desc;
    const char *diff_id;
    unsigned index, count;
    bool one_pass;       /* else: sequential path after the pool */
    bool done;           /* run by the pool (which stops at the first error) */
    int src_fd, blob_fd;
    char *blob_path, *layer_dir;
    struct osbox_err err;
    int rc;
};

struct pool {
    struct layer_job *jobs;
    size_t n, next;
    bool failed; /* stop handing out work after the first error */
    pthread_mutex_t lock;
};

static int verify(struct layer_job *j, const char *got_blob, const char *got_diff, int rc)
{
    const char *digest = j->desc->digest;

    if (got_blob[0] && strcmp(got_blob, digest))
        return osbox_error(&j->err, 0, "layer %s: digest mismatch (content hashes to %s)",
                           digest, got_blob);
    if (rc < 0)
        return osbox_error_prefix(&j->err, "layer %s", digest);
    if (strcmp(got_diff, j->diff_id))
        return osbox_error(&j->err, 0,
                           "layer %s: uncompressed content hashes to %s, but the image config "
                           "declares diff_id %s",
                           digest, got_diff, j->diff_id);
    return 0;
}

static void run_job(struct layer_job *j)
{
    char got_blob[72] = "", got_diff[72] = "";
    int rc;

    images_progress_layer(j->index, j->count, j->desc->digest);
    rc = images_extract_layer_fd(j->src_fd, j->blob_fd, j->layer_dir, got_blob, got_diff, NULL,
                                 &j->err);
    j->rc = verify(j, got_blob, got_diff, rc);
    j->done = true;
}

static void *worker(void *arg)
{
    struct pool *p = arg;

    for (;;) {
        struct layer_job *j = NULL;
        pthread_mutex_lock(&p->lock);
        while (p->next < p->n && !p->failed && !j) {
            if (p->jobs[p->next].one_pass)
                j = &p->jobs[p->next];
            p->next++;
        }
        pthread_mutex_unlock(&p->lock);
        if (!j)
            return NULL;
        run_job(j);
        if (j->rc < 0) {
            pthread_mutex_lock(&p->lock);
            p->failed = true;
            pthread_mutex_unlock(&p->lock);
        }
    }
}

/* Decide a layer's path; for a one-pass layer open its source and create its
 * staged blob and layer dir (on this thread: the pending lists are not locked). */
static int prepare(struct images_pending *p, int blobs_dirfd, struct layer_job *jobs, size_t i,
                   struct osbox_err *err)
{
    struct layer_job *j = &jobs[i];
    const char *digest = j->desc->digest;
    struct stat st;

    for (size_t k = 0; k < i; k++)
        if (!strcmp(jobs[k].desc->digest, digest))
            return 0; /* the same blob twice: the second one is already there */
    if (!images_digest_valid(digest))
        return osbox_error(err, 0, "layer has an invalid digest '%s'", digest);
    if (images_pending_has_blob(p, digest))
        return 0;
    if (images_pending_layer_claim(p, j->diff_id, &j->layer_dir, err) < 0)
        return -1;
    if (!j->layer_dir)
        return 0; /* layer stored: only the blob is copied */
    j->src_fd = openat(blobs_dirfd, images_digest_hex(digest), O_RDONLY | O_CLOEXEC);
    if (j->src_fd < 0) {
        if (errno == ENOENT)
            return osbox_error(err, 0, "the manifest points to layer %s, which is missing "
                               "from the archive", digest);
        return osbox_error(err, errno, "open layer %s", digest);
    }
    if (fstat(j->src_fd, &st) < 0 || !S_ISREG(st.st_mode))
        return osbox_error(err, 0, "layer %s is not a regular file", digest);
    if (st.st_size != j->desc->size)
        return osbox_error(err, 0, "layer %s: size is %lld bytes, but %lld were declared",
                           digest, (long long)st.st_size, (long long)j->desc->size);
    j->blob_path = osbox_strdup_printf("%s/blobs/%s", p->staging, images_digest_hex(digest));
    j->blob_fd = open(j->blob_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (j->blob_fd < 0)
        return osbox_error(err, errno, "create %s", j->blob_path);
    j->one_pass = true;
    return 0;
}

/* The sequential path: copy (or find) the blob, then unpack it if needed. */
static int stage_one(struct images_pending *p, int blobs_dirfd, struct layer_job *j,
                     struct osbox_err *err)
{
    const char *digest = j->desc->digest;
    _cleanup_close_ int fd = -1;

    images_progress_layer(j->index, j->count, digest);
    if (!images_pending_has_blob(p, digest)) {
        fd = openat(blobs_dirfd, images_digest_hex(digest), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return osbox_error(err, errno == ENOENT ? 0 : errno,
                               "the manifest points to layer %s, which is missing from the "
                               "archive", digest);
        if (images_pending_add_blob_fd(p, fd, digest, j->desc->size, "layer", err) < 0)
            return -1;
    }
    return images_pending_add_layer(p, digest, j->diff_id, err);
}

int images_stage_layers(struct images_pending *p, int blobs_dirfd,
                        const struct images_manifest *m, const struct images_config *c,
                        struct osbox_err *err)
{
    struct pool pool = { .n = m->n_layers, .lock = PTHREAD_MUTEX_INITIALIZER };
    pthread_t threads[POOL_THREADS];
    size_t started = 0, i;
    int rc = 0;

    pool.jobs = osbox_xcalloc(m->n_layers ? m->n_layers : 1, sizeof *pool.jobs);
    for (i = 0; i < m->n_layers; i++) {
        struct layer_job *j = &pool.jobs[i];
        j->desc = &m->layers[i];
        j->diff_id = c->diff_ids[i];
        j->index = (unsigned)i + 1;
        j->count = (unsigned)m->n_layers;
        j->src_fd = j->blob_fd = -1;
    }
    for (i = 0; i < m->n_layers && rc == 0; i++) {
        rc = prepare(p, blobs_dirfd, pool.jobs, i, err);
        /* The lazy libraries are loaded here, not racing on the workers, and
         * only when a layer is unpacked (a second load needs no libarchive). */
        if (rc == 0 && pool.jobs[i].one_pass &&
            (lazy_archive_load(err) < 0 || lazy_crypto_load(err) < 0))
            rc = -1;
    }
    for (; rc == 0 && started < POOL_THREADS && started < m->n_layers; started++)
        if (pthread_create(&threads[started], NULL, worker, &pool) != 0)
            break;
    if (rc == 0 && started == 0 && m->n_layers)
        worker(&pool); /* no thread could start: do the work here */
    for (size_t t = 0; t < started; t++)
        pthread_join(threads[t], NULL);
    /* The pool hands out layers in order: the first failure is the one to report. */
    for (i = 0; i < m->n_layers && rc == 0; i++)
        if (pool.jobs[i].done && pool.jobs[i].rc < 0) {
            *err = pool.jobs[i].err;
            rc = -1;
        }
    for (i = 0; i < m->n_layers && rc == 0; i++) {
        struct layer_job *j = &pool.jobs[i];
        if (!j->one_pass) {
            rc = stage_one(p, blobs_dirfd, j, err);
        } else {
            osbox_strv_push(&p->blob_digests, j->desc->digest);
            images_pending_layer_adopt(p, j->diff_id);
        }
    }
    for (i = 0; i < m->n_layers; i++) {
        struct layer_job *j = &pool.jobs[i];
        if (j->src_fd >= 0)
            close(j->src_fd);
        if (j->blob_fd >= 0)
            close(j->blob_fd);
        free(j->blob_path);
        free(j->layer_dir);
    }
    free(pool.jobs);
    return rc;
}
