/* Progress bars for load, import and pull on a terminal: one line per layer,
 * "[2/4] pull   sha256:1a2b3c4d5e6f  [#####-----]  12.3/45.6 MB", all redrawn
 * in place (cursor up, rewrite), so the layers a pull downloads side by side
 * each move their own bar. The library calls render() under its lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "images/images.h"
#include "progress.h"

#define LINE_MAX_LEN 96
#define LINES_MAX 64 /* more layers than this: the last line is shared */

static char (*lines)[LINE_MAX_LEN];
static unsigned n_lines, shown;

static void format(char *out, const struct images_progress *p)
{
    char bar[21];
    int fill = 0;
    size_t n;

    if (p->total)
        fill = (int)(20 * (p->done > p->total ? p->total : p->done) / p->total);
    memset(bar, '#', (size_t)fill);
    memset(bar + fill, '-', (size_t)(20 - fill));
    bar[20] = '\0';
    n = (size_t)snprintf(out, LINE_MAX_LEN, "[%u/%u] %-6s %.19s  [%s]  %.1f", p->layer, p->layers,
                         p->phase, p->digest ? p->digest : "", bar, (double)p->done / 1e6);
    if (n < LINE_MAX_LEN && p->total)
        n += (size_t)snprintf(out + n, LINE_MAX_LEN - n, "/%.1f", (double)p->total / 1e6);
    if (n < LINE_MAX_LEN)
        snprintf(out + n, LINE_MAX_LEN - n, " MB");
}

static void render(void *ctx, const struct images_progress *p)
{
    (void)ctx;
    if (!p->layers || !p->layer)
        return;
    unsigned want = p->layers < LINES_MAX ? p->layers : LINES_MAX;
    if (want > n_lines) {
        void *nl = realloc(lines, want * sizeof *lines);
        if (!nl)
            return;
        lines = nl;
        memset(lines + n_lines, 0, (want - n_lines) * sizeof *lines);
        n_lines = want;
    }
    unsigned i = (p->layer < LINES_MAX ? p->layer : LINES_MAX) - 1;
    format(lines[i], p);
    /* Back to the first line, then every line a layer has reported on so far. */
    unsigned upto = shown > i + 1 ? shown : i + 1;
    if (shown > 1)
        fprintf(stderr, "\r\033[%uA", shown - 1);
    else
        fprintf(stderr, "\r");
    for (unsigned k = 0; k < upto; k++) {
        if (!lines[k][0])
            snprintf(lines[k], LINE_MAX_LEN, "[%u/%u] waiting", k + 1, p->layers);
        fprintf(stderr, "\033[K%s%s", lines[k], k + 1 < upto ? "\n" : "");
    }
    fflush(stderr);
    shown = upto;
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
    if (shown) {
        /* Erase the bars: what is left is the command's own output. */
        if (shown > 1)
            fprintf(stderr, "\r\033[%uA", shown - 1);
        fprintf(stderr, "\r\033[J");
        fflush(stderr);
    }
    shown = 0;
    free(lines);
    lines = NULL;
    n_lines = 0;
}
