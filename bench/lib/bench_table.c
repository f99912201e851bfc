/* bench: the terminal table. One line per workload metric: the median and
 * the spread (half the range, in % of the median) per mode, and each mode's
 * ratio to the host; then start-up and memory per mode. */
#include <math.h>
#include <string.h>

#include "bench/lib/bench.h"

static void cell(char *buf, size_t len, const struct bench_series *s, bool spread)
{
    struct bench_summary sum = bench_summarize(s);
    char v[32];

    if (!sum.n) {
        snprintf(buf, len, "-");
        return;
    }
    bench_fmt(sum.median, v, sizeof v);
    if (sum.n > 1 && spread)
        snprintf(buf, len, "%s ±%.0f%%", v, sum.spread_pct);
    else
        snprintf(buf, len, "%s", v);
}

static void ratio(char *buf, size_t len, const struct bench_series *s, const struct bench_series *host)
{
    struct bench_summary a = bench_summarize(s), h = bench_summarize(host);
    char v[32];

    if (!a.n || !h.n || h.median == 0) {
        snprintf(buf, len, "-");
        return;
    }
    bench_fmt(a.median / h.median, v, sizeof v);
    snprintf(buf, len, "%sx", v);
}

/* Print one line: label columns, then per mode a value cell, then ratios. */
/* Print buf without the padding after its last column. */
static void flush_line(FILE *out, char *buf)
{
    size_t n = strlen(buf);

    while (n && buf[n - 1] == ' ')
        buf[--n] = '\0';
    fprintf(out, "%s\n", buf);
}

static void line(FILE *out, const struct bench_results *r, const char *a, const char *b,
                 const char *unit, const struct bench_series *per_mode, bool diff)
{
    char c[64], buf[512];
    size_t len = 0;

    len += (size_t)snprintf(buf + len, sizeof buf - len, "%-11s %-18s %-5s", a, b, unit);
    for (int m = 0; m < BENCH_NMODES; m++) {
        if (!r->modes[m])
            continue;
        cell(c, sizeof c, &per_mode[m], !diff);
        len += (size_t)snprintf(buf + len, sizeof buf - len, " %-14s", c);
    }
    for (int m = 1; m < BENCH_NMODES; m++) {
        if (!r->modes[m] || !r->modes[BENCH_HOST])
            continue;
        if (diff) { /* memory: what the mode adds, not a ratio */
            double mib;
            char v[32];
            if (bench_mem_overhead(r, (enum bench_mode)m, &mib)) {
                bench_fmt(mib, v, sizeof v);
                snprintf(c, sizeof c, "%s%s MiB", mib >= 0 ? "+" : "", v);
            } else
                snprintf(c, sizeof c, "-");
        } else
            ratio(c, sizeof c, &per_mode[m], &per_mode[BENCH_HOST]);
        len += (size_t)snprintf(buf + len, sizeof buf - len, " %-14s", c);
    }
    flush_line(out, buf);
}

void bench_print_table(FILE *out, const struct bench_results *r)
{
    struct bench_series mem_mib[BENCH_NMODES] = { 0 };
    char h[32], head[256];
    size_t len = 0;

    len += (size_t)snprintf(head, sizeof head, "%-11s %-18s %-5s", "WORKLOAD", "METRIC", "UNIT");
    for (int m = 0; m < BENCH_NMODES; m++)
        if (r->modes[m]) {
            snprintf(h, sizeof h, "%s", bench_mode_names[m]);
            for (char *p = h; *p; p++)
                *p = (char)(*p - 32 * (*p >= 'a' && *p <= 'z'));
            len += (size_t)snprintf(head + len, sizeof head - len, " %-14s", h);
        }
    for (int m = 1; m < BENCH_NMODES; m++)
        if (r->modes[m] && r->modes[BENCH_HOST])
            len += (size_t)snprintf(head + len, sizeof head - len, " %-14s",
                                    m == BENCH_CONTAINER ? "CONTAINER/HOST" : "VM/HOST");
    flush_line(out, head);

    for (size_t i = 0; i < r->n_rows; i++)
        line(out, r, r->rows[i].workload, r->rows[i].metric, r->rows[i].unit, r->rows[i].mode,
             false);
    line(out, r, "start-up", "to first instr.", "ms", r->startup_ms, false);
    for (int m = 0; m < BENCH_NMODES; m++)
        for (size_t i = 0; i < r->mem_kib[m].n; i++)
            bench_series_add(&mem_mib[m], r->mem_kib[m].v[i] / 1024.0);
    /* Memory: the median peak over all invocations; the last column is the
     * overhead, taken workload by workload. */
    line(out, r, "memory", "peak RSS of tree", "MiB", mem_mib, true);
    for (int m = 0; m < BENCH_NMODES; m++)
        bench_series_free(&mem_mib[m]);
    fprintf(out, "(median ±half-range over %d run%s; ratios: >1x means the mode is slower",
            r->runs, r->runs == 1 ? "" : "s");
    fprintf(out, " for times, faster for MB/s)\n");
    if (r->modes[BENCH_VM] && r->vm_note)
        fprintf(out, "vm: %s\n", r->vm_note);
}
