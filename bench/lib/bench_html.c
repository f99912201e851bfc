/* bench: the --html report. One self-contained page (inline CSS and SVG, no
 * scripts, nothing fetched): per workload a short explanation and, per metric,
 * a bar chart of the median in each mode with a whisker from min to max. */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench/lib/bench.h"
#include "util.h"

#define CHART_W 460
#define LABEL_W 80
#define BAR_H 18
#define GAP 6

static double at_least_1(double v) { return v > 1 ? v : 1; }

/* log10 for x > 0 without libm (osbox links none): x = m * 2^k, m in [1, 2),
 * ln m = 2 atanh((m-1)/(m+1)) as a short series. Plenty for placing a line. */
static double log10_approx(double x)
{
    int k = 0;
    double m = x, z, z2, term, ln = 0;

    while (m >= 2) {
        m /= 2;
        k++;
    }
    while (m < 1) {
        m *= 2;
        k--;
    }
    z = (m - 1) / (m + 1);
    z2 = z * z;
    term = z;
    for (int i = 1; i < 40; i += 2) {
        ln += term / i;
        term *= z2;
    }
    return (2 * ln + k * 0.6931471805599453) / 2.302585092994046;
}

static const char *const mode_color[BENCH_NMODES] = { "#4e79a7", "#f28e2b", "#59a14f" };

static void esc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* A horizontal bar chart: one bar per mode that has values. */
static void chart(FILE *f, const struct bench_results *r, const struct bench_series *s,
                  const char *unit, const char *label)
{
    struct bench_summary sum[BENCH_NMODES];
    double top = 0;
    int bars = 0, y = GAP;
    char v[32], lo[32], hi[32];

    for (int m = 0; m < BENCH_NMODES; m++) {
        sum[m] = bench_summarize(&s[m]);
        if (!r->modes[m] || !sum[m].n)
            continue;
        bars++;
        if (sum[m].max > top)
            top = sum[m].max;
    }
    if (top <= 0)
        top = 1;
    fprintf(f, "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
               "role=\"img\" aria-label=\"",
            CHART_W, bars * (BAR_H + GAP) + GAP);
    esc(f, label);
    fputs("\">", f);
    for (int m = 0; m < BENCH_NMODES; m++) {
        double scale = (CHART_W - LABEL_W - 90) / top;
        if (!r->modes[m] || !sum[m].n)
            continue;
        bench_fmt(sum[m].median, v, sizeof v);
        bench_fmt(sum[m].min, lo, sizeof lo);
        bench_fmt(sum[m].max, hi, sizeof hi);
        fprintf(f, "<text x=\"0\" y=\"%d\" class=\"mode\">%s</text>", y + BAR_H - 5,
                bench_mode_names[m]);
        fprintf(f, "<rect class=\"bar\" data-mode=\"%s\" x=\"%d\" y=\"%d\" width=\"%.1f\" "
                   "height=\"%d\" fill=\"%s\"><title>%s: median %s %s (min %s, max %s, n=%zu)"
                   "</title></rect>",
                bench_mode_names[m], LABEL_W, y, at_least_1(sum[m].median * scale), BAR_H,
                mode_color[m], bench_mode_names[m], v, unit, lo, hi, sum[m].n);
        if (sum[m].n > 1) /* whisker: the range of the runs */
            fprintf(f, "<line class=\"range\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\"/>",
                    LABEL_W + sum[m].min * scale, LABEL_W + sum[m].max * scale, y + BAR_H / 2,
                    y + BAR_H / 2);
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" class=\"val\">%s %s</text>",
                LABEL_W + at_least_1(sum[m].max * scale) + 6, y + BAR_H - 5, v, unit);
        y += BAR_H + GAP;
    }
    fputs("</svg>", f);
}

/* memlat as the curve the course draws: latency (log scale) against the
 * working-set size, one line per mode; rows [first, first+n) are memlat's. */
static void latency_curve(FILE *f, const struct bench_results *r, size_t first, size_t n)
{
    const int W = 660, H = 260, L = 70, B = 40, T = 10, R = 20;
    double lo = 1e300, hi = 0;

    if (n < 2)
        return;
    for (size_t i = first; i < first + n; i++)
        for (int m = 0; m < BENCH_NMODES; m++) {
            struct bench_summary s = bench_summarize(&r->rows[i].mode[m]);
            if (r->modes[m] && s.n && s.median > 0) {
                lo = s.median < lo ? s.median : lo;
                hi = s.median > hi ? s.median : hi;
            }
        }
    if (hi <= 0)
        return;
    /* Decades that cover the data. */
    double ylo = 1, yhi = 10;
    while (ylo > lo)
        ylo /= 10;
    while (ylo * 10 <= lo)
        ylo *= 10;
    while (yhi < hi)
        yhi *= 10;
    int decades = 0;
    for (double d = ylo; d < yhi * 0.999; d *= 10)
        decades++;
    fprintf(f, "<svg class=\"chart curve\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
               "height=\"%d\" role=\"img\" aria-label=\"load latency by working-set size\">",
            W, H);
    for (int d = 0; d <= decades; d++) {
        double y = H - B - (double)d * (H - B - T) / decades, v = ylo;
        for (int k = 0; k < d; k++)
            v *= 10;
        char lab[32];
        bench_fmt(v, lab, sizeof lab);
        fprintf(f, "<line class=\"grid\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>"
                   "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s ns</text>",
                L, W - R, y, y, L - 4, y + 4, lab);
    }
    for (size_t i = 0; i < n; i++) {
        double x = L + (double)i * (W - L - R) / (double)(n - 1);
        const char *name = r->rows[first + i].metric + 4; /* "lat_4K_ns" -> "4K_ns" */
        if (i % 2 == 0 || n <= 9) {
            fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">", x, H - B + 16);
            for (const char *c = name; *c && *c != '_'; c++)
                fputc(*c, f);
            fputs("</text>", f);
        }
    }
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">working set (bytes)</text>",
            (L + W - R) / 2, H - 6);
    for (int m = 0; m < BENCH_NMODES; m++) {
        if (!r->modes[m])
            continue;
        fprintf(f, "<polyline class=\"line\" data-mode=\"%s\" fill=\"none\" stroke=\"%s\" "
                   "stroke-width=\"2\" points=\"",
                bench_mode_names[m], mode_color[m]);
        for (size_t i = 0; i < n; i++) {
            struct bench_summary s = bench_summarize(&r->rows[first + i].mode[m]);
            if (!s.n || s.median <= 0)
                continue;
            double x = L + (double)i * (W - L - R) / (double)(n - 1);
            double y = H - B - log10_approx(s.median / ylo) / decades * (H - B - T);
            fprintf(f, "%.1f,%.1f ", x, y);
        }
        fputs("\"/>", f);
    }
    fputs("</svg>\n", f);
}

static void ratio_cells(FILE *f, const struct bench_results *r, const struct bench_series *s,
                        bool diff)
{
    struct bench_summary h = bench_summarize(&s[BENCH_HOST]);

    for (int m = 1; m < BENCH_NMODES; m++) {
        struct bench_summary x = bench_summarize(&s[m]);
        char v[32];
        if (!r->modes[m] || !r->modes[BENCH_HOST])
            continue;
        if (!x.n || !h.n || (!diff && h.median == 0))
            snprintf(v, sizeof v, "-");
        else if (diff) {
            bench_fmt(x.median - h.median, v + 1, sizeof v - 5);
            v[0] = x.median >= h.median ? '+' : ' ';
            strcat(v, " MiB"); /* diff is only used for memory */
        } else {
            bench_fmt(x.median / h.median, v, sizeof v - 1);
            strcat(v, "x");
        }
        fprintf(f, "<td class=\"ratio\">%s</td>", v);
    }
}

static void row(FILE *f, const struct bench_results *r, const char *name, const char *unit,
                const char *explain, const struct bench_series *s, bool diff)
{
    char label[256];

    snprintf(label, sizeof label, "%s (%s)", name, unit);
    fputs("<tr class=\"row\"><th>", f);
    esc(f, name);
    fputs("<br><small>", f);
    esc(f, unit);
    fputs(bench_higher_is_better(unit) ? ", higher is better" : ", lower is better", f);
    fputs("</small></th><td>", f);
    chart(f, r, s, unit, label);
    fputs("</td>", f);
    ratio_cells(f, r, s, diff);
    fputs("<td class=\"explain\">", f);
    esc(f, explain);
    fputs("</td></tr>\n", f);
}

static void table_head(FILE *f, const struct bench_results *r)
{
    fputs("<table><colgroup><col class=\"metric\"><col class=\"chart\">", f);
    for (int m = 1; m < BENCH_NMODES; m++)
        if (r->modes[m] && r->modes[BENCH_HOST])
            fputs("<col class=\"ratio\">", f);
    fputs("<col></colgroup>\n<tr><th>metric</th><th>median per mode (whisker: min-max)</th>", f);
    for (int m = 1; m < BENCH_NMODES; m++)
        if (r->modes[m] && r->modes[BENCH_HOST])
            fprintf(f, "<th>%s/host</th>", bench_mode_names[m]);
    fputs("<th>what it shows</th></tr>\n", f);
}

static void page(FILE *f, const struct bench_results *r)
{
    struct utsname u;
    char when[64];
    time_t now = time(NULL);

    uname(&u);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime(&now));
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<title>osbox bench</title>\n<style>\n"
          "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:72em;color:#222}\n"
          "h1{margin-bottom:.2em} .meta{color:#666}\n"
          "table{border-collapse:collapse;width:100%;margin-bottom:1.5em;table-layout:fixed}\n"
          "col.metric{width:13em} col.chart{width:480px} col.ratio{width:9.5em}\n"
          "th,td{border-bottom:1px solid #ddd;padding:.4em;vertical-align:top;text-align:left}\n"
          "td.ratio{font-variant-numeric:tabular-nums;white-space:nowrap}\n"
          "td.explain{color:#444;font-size:.9em;max-width:22em}\n"
          "svg text{font-size:12px;font-family:sans-serif} svg .range{stroke:#222;stroke-width:1.5}\n"
          "svg .grid{stroke:#ddd}\n"
          "section p.explain{max-width:60em}\n"
          "</style></head><body>\n<h1>osbox bench</h1>\n",
          f);
    fprintf(f, "<p class=\"meta\">%s &middot; ", when);
    esc(f, u.sysname);
    fputc(' ', f);
    esc(f, u.release);
    fputc(' ', f);
    esc(f, u.machine);
    fprintf(f, " &middot; %ld CPUs &middot; %d run%s per mode &middot; modes:", sysconf(_SC_NPROCESSORS_ONLN),
            r->runs, r->runs == 1 ? "" : "s");
    for (int m = 0; m < BENCH_NMODES; m++)
        if (r->modes[m])
            fprintf(f, " <span style=\"color:%s\">&#9632;</span> %s", mode_color[m],
                    bench_mode_names[m]);
    fputs("</p>\n<p>The same static programs run in each mode. Bars show the median of the runs; "
          "the whisker spans the fastest to the slowest run. A ratio above 1x means the mode took "
          "longer than the host for times, and moved more data for throughputs.</p>\n",
          f);
    if (r->notes && r->notes[0]) {
        fputs("<ul class=\"notes\">", f);
        for (size_t i = 0; r->notes[i]; i++) {
            fputs("<li>", f);
            esc(f, r->notes[i]);
            fputs("</li>", f);
        }
        fputs("</ul>\n", f);
    }
    for (size_t i = 0; i < r->n_rows; i++) {
        const char *wl = r->rows[i].workload;
        if (i == 0 || strcmp(wl, r->rows[i - 1].workload)) {
            if (i)
                fputs("</table></section>\n", f);
            fputs("<section class=\"workload\" id=\"wl-", f);
            esc(f, wl);
            fputs("\"><h2>", f);
            esc(f, wl);
            fputs("</h2><p class=\"explain\">", f);
            esc(f, bench_explain_workload(wl));
            fputs("</p>\n", f);
            if (!strcmp(wl, "memlat")) {
                size_t n = 0;
                while (i + n < r->n_rows && !strcmp(r->rows[i + n].workload, "memlat"))
                    n++;
                latency_curve(f, r, i, n);
            }
            table_head(f, r);
        }
        row(f, r, r->rows[i].metric, r->rows[i].unit,
            bench_explain_metric(wl, r->rows[i].metric), r->rows[i].mode, false);
    }
    if (r->n_rows)
        fputs("</table></section>\n", f);

    fputs("<section class=\"workload\" id=\"startup\"><h2>start-up</h2>\n", f);
    table_head(f, r);
    row(f, r, "to first instruction", "ms", bench_explain_workload("startup"), r->startup_ms, false);
    fputs("</table></section>\n<section class=\"workload\" id=\"memory\"><h2>memory</h2>"
          "<p class=\"explain\">", f);
    esc(f, bench_explain_workload("memory"));
    for (int m = 1; m < BENCH_NMODES; m++) {
        double mib;
        char v[32];
        if (r->modes[m] && r->modes[BENCH_HOST] && bench_mem_overhead(r, (enum bench_mode)m, &mib)) {
            bench_fmt(mib, v, sizeof v);
            fprintf(f, " Median overhead of the %s mode over the workloads: <b>%s%s MiB</b>.",
                    bench_mode_names[m], mib >= 0 ? "+" : "", v);
        }
    }
    fputs("</p>\n", f);
    table_head(f, r);
    for (size_t i = 0; i < r->n_mem; i++)
        row(f, r, r->mem[i].workload, "MiB", "Peak RSS of the process tree for this workload.",
            r->mem[i].mode, true);
    fputs("</table></section>\n</body></html>\n", f);
}

int bench_write_html(const char *path, const struct bench_results *r, struct osbox_err *err)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    int rc;

    if (!f)
        return osbox_error(err, errno, "bench: open_memstream");
    page(f, r);
    if (fclose(f))
        return osbox_error(err, errno, "bench: render HTML");
    rc = osbox_write_file_atomic(path, text, len, 0644, err);
    free(text);
    return rc;
}
