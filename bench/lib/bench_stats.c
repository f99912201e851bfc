/* bench: series of measurements, their summaries, and the result set. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/lib/bench.h"
#include "util.h"

const char *const bench_mode_names[BENCH_NMODES] = { "host", "container", "vm" };

void bench_series_add(struct bench_series *s, double v)
{
    double *nv = realloc(s->v, (s->n + 1) * sizeof *nv);

    if (!nv)
        abort(); /* out of memory is not recoverable here */
    s->v = nv;
    s->v[s->n++] = v;
}

void bench_series_free(struct bench_series *s)
{
    free(s->v);
    s->v = NULL;
    s->n = 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Square root by Newton's method: keeps osbox free of a libm dependency. */
static double newton_sqrt(double x)
{
    double r = x > 1 ? x : 1;

    if (x <= 0)
        return 0;
    for (int i = 0; i < 200; i++) {
        double next = (r + x / r) / 2;
        if (next >= r)
            break;
        r = next;
    }
    return r;
}

struct bench_summary bench_summarize(const struct bench_series *s)
{
    struct bench_summary sum = { 0 };
    double *v, acc = 0, var = 0;

    if (!s->n)
        return sum;
    v = osbox_xcalloc(s->n, sizeof *v);
    memcpy(v, s->v, s->n * sizeof *v);
    qsort(v, s->n, sizeof *v, cmp_double);
    sum.n = s->n;
    sum.min = v[0];
    sum.max = v[s->n - 1];
    sum.median = s->n % 2 ? v[s->n / 2] : (v[s->n / 2 - 1] + v[s->n / 2]) / 2;
    for (size_t i = 0; i < s->n; i++)
        acc += v[i];
    sum.mean = acc / (double)s->n;
    for (size_t i = 0; i < s->n; i++)
        var += (v[i] - sum.mean) * (v[i] - sum.mean);
    sum.stdev = s->n > 1 ? newton_sqrt(var / (double)(s->n - 1)) : 0;
    sum.spread_pct = sum.median != 0 ? (sum.max - sum.min) / 2 / fabs(sum.median) * 100 : 0;
    free(v);
    return sum;
}

static struct bench_row *row_get(struct bench_row **rows, size_t *n, const char *workload,
                                 const char *metric, const char *unit)
{
    struct bench_row *nrows;

    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*rows)[i].workload, workload) && !strcmp((*rows)[i].metric, metric))
            return &(*rows)[i];
    nrows = realloc(*rows, (*n + 1) * sizeof *nrows);
    if (!nrows)
        abort();
    *rows = nrows;
    memset(&nrows[*n], 0, sizeof nrows[0]);
    nrows[*n].workload = osbox_xstrdup(workload);
    nrows[*n].metric = osbox_xstrdup(metric);
    nrows[*n].unit = osbox_xstrdup(unit);
    return &nrows[(*n)++];
}

struct bench_row *bench_row_get(struct bench_results *r, const char *workload, const char *metric,
                                const char *unit)
{
    return row_get(&r->rows, &r->n_rows, workload, metric, unit);
}

struct bench_row *bench_mem_row(struct bench_results *r, const char *workload)
{
    return row_get(&r->mem, &r->n_mem, workload, "peak_rss", "MiB");
}

bool bench_mem_overhead(const struct bench_results *r, enum bench_mode m, double *mib)
{
    struct bench_series diffs = { 0 };
    bool ok;

    for (size_t i = 0; i < r->n_mem; i++) {
        struct bench_summary x = bench_summarize(&r->mem[i].mode[m]),
                             h = bench_summarize(&r->mem[i].mode[BENCH_HOST]);
        if (x.n && h.n)
            bench_series_add(&diffs, x.median - h.median);
    }
    ok = diffs.n > 0;
    if (ok)
        *mib = bench_summarize(&diffs).median;
    bench_series_free(&diffs);
    return ok;
}

static void rows_free(struct bench_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rows[i].workload);
        free(rows[i].metric);
        free(rows[i].unit);
        for (int m = 0; m < BENCH_NMODES; m++)
            bench_series_free(&rows[i].mode[m]);
    }
    free(rows);
}

void bench_results_free(struct bench_results *r)
{
    rows_free(r->rows, r->n_rows);
    rows_free(r->mem, r->n_mem);
    for (int m = 0; m < BENCH_NMODES; m++) {
        bench_series_free(&r->startup_ms[m]);
        bench_series_free(&r->mem_kib[m]);
    }
    osbox_strv_free(r->notes);
    free(r->vm_note);
    memset(r, 0, sizeof *r);
}

bool bench_higher_is_better(const char *unit)
{
    return strstr(unit, "/s") != NULL;
}

void bench_fmt(double v, char *buf, size_t len)
{
    double a = fabs(v);

    if (!isfinite(v))
        snprintf(buf, len, "-");
    else if (a >= 100)
        snprintf(buf, len, "%.0f", v);
    else if (a >= 10)
        snprintf(buf, len, "%.1f", v);
    else if (a >= 1)
        snprintf(buf, len, "%.2f", v);
    else if (a >= 0.001 || a == 0)
        snprintf(buf, len, "%.3f", v);
    else
        snprintf(buf, len, "%.2g", v);
}
