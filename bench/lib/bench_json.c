/* bench: the --json file, for scripts and plots.
 * { "runs": N, "modes": [...], "notes": [...],
 *   "results": [ { "workload", "metric", "unit", "higher_is_better",
 *                  "modes": { "host": {median,min,max,mean,stdev,spread_pct,values[]}, ... },
 *                  "ratios": { "container/host": x } } ],
 *   "startup_ms": { "host": {...} },            every invocation's start-up
 *   "memory_kib": { "host": {...} },            every invocation's peak RSS
 *   "memory_mib_per_workload": [ { "workload", "modes": {...} } ],
 *   "memory_overhead_mib": { "container": x },  median over workloads of the difference
 *   "failures": N } */
#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "bench/lib/bench.h"
#include "util.h"

static json_t *summary_json(const struct bench_series *s)
{
    struct bench_summary sum = bench_summarize(s);
    json_t *values = json_array();

    for (size_t i = 0; i < s->n; i++)
        json_array_append_new(values, json_real(s->v[i]));
    return json_pack("{s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:o}", "n", (json_int_t)sum.n,
                     "median", sum.median, "min", sum.min, "max", sum.max, "mean", sum.mean,
                     "stdev", sum.stdev, "spread_pct", sum.spread_pct, "values", values);
}

static json_t *per_mode(const struct bench_results *r, const struct bench_series *s)
{
    json_t *o = json_object();

    for (int m = 0; m < BENCH_NMODES; m++)
        if (r->modes[m] && s[m].n)
            json_object_set_new(o, bench_mode_names[m], summary_json(&s[m]));
    return o;
}

static json_t *ratios(const struct bench_results *r, const struct bench_series *s)
{
    struct bench_summary h = bench_summarize(&s[BENCH_HOST]);
    json_t *o = json_object();

    for (int m = 1; m < BENCH_NMODES; m++) {
        struct bench_summary x = bench_summarize(&s[m]);
        char key[32];
        if (!r->modes[m] || !x.n || !h.n || h.median == 0)
            continue;
        snprintf(key, sizeof key, "%s/host", bench_mode_names[m]);
        json_object_set_new(o, key, json_real(x.median / h.median));
    }
    return o;
}

int bench_write_json(const char *path, const struct bench_results *r, struct osbox_err *err)
{
    json_t *root = json_object(), *modes = json_array(), *results = json_array(),
           *notes = json_array();
    char *text;
    int rc;

    for (int m = 0; m < BENCH_NMODES; m++)
        if (r->modes[m])
            json_array_append_new(modes, json_string(bench_mode_names[m]));
    for (size_t i = 0; r->notes && r->notes[i]; i++)
        json_array_append_new(notes, json_string(r->notes[i]));
    for (size_t i = 0; i < r->n_rows; i++) {
        const struct bench_row *row = &r->rows[i];
        json_array_append_new(
            results,
            json_pack("{s:s, s:s, s:s, s:b, s:o, s:o, s:s}", "workload", row->workload, "metric",
                      row->metric, "unit", row->unit, "higher_is_better",
                      bench_higher_is_better(row->unit), "modes", per_mode(r, row->mode),
                      "ratios", ratios(r, row->mode), "explanation",
                      bench_explain_metric(row->workload, row->metric)));
    }
    json_object_set_new(root, "runs", json_integer(r->runs));
    json_object_set_new(root, "modes", modes);
    json_object_set_new(root, "notes", notes);
    json_object_set_new(root, "results", results);
    json_object_set_new(root, "startup_ms", per_mode(r, r->startup_ms));
    json_object_set_new(root, "memory_kib", per_mode(r, r->mem_kib));
    {
        json_t *mem = json_array(), *over = json_object();
        for (size_t i = 0; i < r->n_mem; i++)
            json_array_append_new(mem, json_pack("{s:s, s:o}", "workload", r->mem[i].workload,
                                                 "modes", per_mode(r, r->mem[i].mode)));
        for (int m = 1; m < BENCH_NMODES; m++) {
            double mib;
            if (r->modes[m] && bench_mem_overhead(r, (enum bench_mode)m, &mib))
                json_object_set_new(over, bench_mode_names[m], json_real(mib));
        }
        json_object_set_new(root, "memory_mib_per_workload", mem);
        json_object_set_new(root, "memory_overhead_mib", over);
    }
    json_object_set_new(root, "failures", json_integer(r->failures));
    text = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
    json_decref(root);
    if (!text)
        return osbox_error(err, ENOMEM, "bench: encode JSON");
    rc = osbox_write_file_atomic(path, text, strlen(text), 0644, err);
    free(text);
    return rc;
}
