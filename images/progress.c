/* Progress reports for long imports. The library never prints: it calls the
 * callback the CLI installed (only on a terminal), at most ~10 times a second. */
#include <string.h>
#include <time.h>

#include "internal.h"

static images_progress_fn progress_fn;
static void *progress_ctx;
static struct images_progress state;
static struct timespec last;

void images_set_progress(images_progress_fn fn, void *ctx)
{
    progress_fn = fn;
    progress_ctx = ctx;
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

    if (!progress_fn || !state.layers) /* manifests and configs are too small to show */
        return;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!force && (now.tv_sec - last.tv_sec) * 1000000000L + (now.tv_nsec - last.tv_nsec) <
                      100000000L)
        return;
    last = now;
    state.phase = phase;
    state.done = done;
    state.total = total;
    progress_fn(progress_ctx, &state);
}
