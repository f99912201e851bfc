/* Layer downloads on a few threads. Each worker has its own connection (a
 * clone of the pull's client, same token), takes the next waiting job,
 * downloads the blob and unpacks it into the staging dir it was given, so
 * downloads and unpacking of different layers overlap on every core. Workers
 * only write into the fd and directory they were given and never touch the
 * store's bookkeeping: the pull's thread takes the finished layers in order
 * and adopts them. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "util.h"

#define REG_POOL_MAX 4

struct reg_fetch_pool;
struct worker_arg {
    struct reg_fetch_pool *p;
    unsigned idx;
};

struct reg_fetch_pool {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    struct reg_fetch_job *jobs;
    size_t n, next;
    bool stop;
    const char *repo;
    struct reg_client *parent;
    struct reg_client clients[REG_POOL_MAX];
    pthread_t threads[REG_POOL_MAX];
    struct worker_arg args[REG_POOL_MAX];
    unsigned started;
};

static int unpack(struct reg_fetch_job *j, struct osbox_err *err)
{
    char got[72];

    if (images_extract_layer(j->blob_path, j->layer_dir, got, NULL, err) < 0)
        return osbox_error_prefix(err, "layer %s", j->d->digest);
    if (strcmp(got, j->diff_id))
        return osbox_error(err, 0,
                           "layer %s: uncompressed content hashes to %s, but the image config "
                           "declares diff_id %s",
                           j->d->digest, got, j->diff_id);
    return 0;
}

static void *worker(void *arg)
{
    struct worker_arg *a = arg;
    struct reg_fetch_pool *p = a->p;
    struct reg_client *c = &p->clients[a->idx];

    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (p->next < p->n && p->jobs[p->next].fd < 0)
            p->next++;
        if (p->stop || p->next >= p->n)
            break;
        struct reg_fetch_job *j = &p->jobs[p->next++];
        j->state = 1;
        pthread_mutex_unlock(&p->lock);
        /* This thread's progress is this layer's (its own line on a terminal). */
        images_progress_layer((unsigned)(j - p->jobs) + 1, (unsigned)p->n, j->d->digest);
        struct osbox_err e;
        osbox_err_clear(&e);
        int rc = reg_fetch_blob_fd(c, p->repo, j->d, j->fd, &e);
        if (rc == 0 && j->layer_dir)
            rc = unpack(j, &e);
        pthread_mutex_lock(&p->lock);
        j->err = e;
        j->state = rc < 0 ? -1 : 2;
        pthread_cond_broadcast(&p->changed);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

int reg_pool_start(struct reg_fetch_pool **out, struct reg_client *c, const char *repo,
                   struct reg_fetch_job *jobs, size_t n, unsigned workers, struct osbox_err *err)
{
    struct reg_fetch_pool *p = osbox_xcalloc(1, sizeof *p);
    size_t todo = 0;

    for (size_t i = 0; i < n; i++) {
        jobs[i].state = jobs[i].fd < 0 ? 2 : 0;
        todo += jobs[i].fd >= 0;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->changed, NULL);
    p->jobs = jobs;
    p->n = n;
    p->repo = repo;
    p->parent = c;
    if (workers > REG_POOL_MAX)
        workers = REG_POOL_MAX;
    if (workers > todo)
        workers = (unsigned)todo;
    *out = p;
    for (unsigned i = 0; i < workers; i++) {
        if (reg_client_clone(c, &p->clients[i], err) < 0)
            break;
        p->clients[i].cancel = &p->stop;
        p->args[i] = (struct worker_arg){ p, i };
        int e = pthread_create(&p->threads[i], NULL, worker, &p->args[i]);
        if (e) {
            reg_client_close(&p->clients[i]);
            osbox_error(err, e, "start a download thread");
            break;
        }
        p->started++;
    }
    if (p->started == 0 && todo > 0) {
        reg_pool_stop(p);
        *out = NULL;
        return -1;
    }
    return 0;
}

int reg_pool_wait(struct reg_fetch_pool *p, size_t i, struct osbox_err *err)
{
    int rc;

    pthread_mutex_lock(&p->lock);
    while (p->jobs[i].state == 0 || p->jobs[i].state == 1)
        pthread_cond_wait(&p->changed, &p->lock);
    rc = p->jobs[i].state == 2 ? 0 : -1;
    if (rc < 0)
        *err = p->jobs[i].err;
    pthread_mutex_unlock(&p->lock);
    return rc;
}

void reg_pool_stop(struct reg_fetch_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    __atomic_store_n(&p->stop, true, __ATOMIC_RELAXED); /* downloads in flight give up */
    pthread_mutex_unlock(&p->lock);
    for (unsigned i = 0; i < p->started; i++) {
        pthread_join(p->threads[i], NULL);
        p->parent->requests += p->clients[i].requests;
        reg_client_close(&p->clients[i]);
    }
    pthread_cond_destroy(&p->changed);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
