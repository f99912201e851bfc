/* Progress reports for long imports. The library never prints: it calls the
 * callback the CLI installed (only on a terminal). The layer being worked on
 * is per thread, so the download threads of a pull report their own layers
 * side by side; each thread reports at most ~10 times a second, and the
 * callback is called under one lock (it never runs twice at once). */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "internal.h"

static images_progress_fn progress_fn;
static void *progress_ctx;
static pthread_mutex_t progress_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread struct images_progress state;
static __thread struct timespec last;
static __thread bool muted;

void images_progress_mute(bool mute)
{
    muted = mute;
}

void images_set_progress(images_progress_fn fn, void *ctx)
{
    pthread_mutex_lock(&progress_lock);
    progress_fn = fn;
    progress_ctx = ctx;
    pthread_mutex_unlock(&progress_lock);
    memset(&state, 0, sizeof state);
}

void images_progress_layer(unsigned layer, unsigned layers, const char *digest)
{
    state.layer = layer;
    state.layers = layers;
    state.digest = digest;
}

void images_progress_bytes(const char *phase, uint64_t done, uint64_t total, bool force)
{
    struct timespec now;

    if (!progress_fn || !state.layers || muted) /* manifests and configs are too small to show */
        return;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!force && (now.tv_sec - last.tv_sec) * 1000000000L + (now.tv_nsec - last.tv_nsec) <
                      100000000L)
        return;
    last = now;
    state.phase = phase;
    state.done = done;
    state.total = total;
    pthread_mutex_lock(&progress_lock);
    if (progress_fn)
        progress_fn(progress_ctx, &state);
    pthread_mutex_unlock(&progress_lock);
}
