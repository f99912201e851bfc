/* bench: series of measurements, their summaries, and the result set. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
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

struct bench_row *bench_row_get(struct bench_results *r, const char *workload, const char *metric,
                                const char *unit)
{
    struct bench_row *rows;

    for (size_t i = 0; i < r->n_rows; i++)
        if (!strcmp(r->rows[i].workload, workload) && !strcmp(r->rows[i].metric, metric))
            return &r->rows[i];
    rows = realloc(r->rows, (r->n_rows + 1) * sizeof *rows);
    if (!rows)
        abort();
    r->rows = rows;
    memset(&rows[r->n_rows], 0, sizeof rows[0]);
    rows[r->n_rows].workload = osbox_xstrdup(workload);
    rows[r->n_rows].metric = osbox_xstrdup(metric);
    rows[r->n_rows].unit = osbox_xstrdup(unit);
    return &rows[r->n_rows++];
}

void bench_results_free(struct bench_results *r)
{
    for (size_t i = 0; i < r->n_rows; i++) {
        free(r->rows[i].workload);
        free(r->rows[i].metric);
        free(r->rows[i].unit);
        for (int m = 0; m < BENCH_NMODES; m++)
            bench_series_free(&r->rows[i].mode[m]);
    }
    free(r->rows);
    for (int m = 0; m < BENCH_NMODES; m++) {
        bench_series_free(&r->startup_ms[m]);
        bench_series_free(&r->mem_kib[m]);
    }
    osbox_strv_free(r->notes);
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
