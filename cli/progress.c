/* Progress bar for load/import: "[2/4] unpack sha256:1a2b3c4d5e6f  [#####-----]  12.3/45.6 MB". */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "images/images.h"
#include "progress.h"

static int shown;

static void render(void *ctx, const struct images_progress *p)
{
    char bar[21];
    int fill = 0;

    (void)ctx;
    if (p->total)
        fill = (int)(20 * (p->done > p->total ? p->total : p->done) / p->total);
    memset(bar, '#', (size_t)fill);
    memset(bar + fill, '-', (size_t)(20 - fill));
    bar[20] = '\0';
    fprintf(stderr, "\r\033[K");
    if (p->layers)
        fprintf(stderr, "[%u/%u] ", p->layer, p->layers);
    fprintf(stderr, "%-6s %.19s  [%s]  %.1f", p->phase, p->digest ? p->digest : "", bar,
            (double)p->done / 1e6);
    if (p->total)
        fprintf(stderr, "/%.1f", (double)p->total / 1e6);
    fprintf(stderr, " MB");
    fflush(stderr);
    shown = 1;
}

int cli_progress_install(int quiet)
{
    if (quiet || !isatty(STDERR_FILENO))
        return 0;
    images_set_progress(render, NULL);
    return 1;
}

void cli_progress_done(void)
{
    images_set_progress(NULL, NULL);
    if (shown)
        fprintf(stderr, "\r\033[K");
    shown = 0;
}
