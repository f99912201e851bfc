/* Unit tests for the statistics behind `osbox bench` (bench/lib/bench_stats.c,
 * linked from libbench.a). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "bench/lib/bench.h"

static void add_all(struct bench_series *s, const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        bench_series_add(s, v[i]);
}

static void test_summary_odd_and_even(void **state)
{
    struct bench_series s = { 0 };
    struct bench_summary sum;
    (void)state;

    sum = bench_summarize(&s);
    assert_int_equal(sum.n, 0);
    add_all(&s, (double[]){ 30, 10, 20 }, 3);
    sum = bench_summarize(&s);
    assert_int_equal(sum.n, 3);
    assert_true(sum.median == 20 && sum.min == 10 && sum.max == 30 && sum.mean == 20);
    assert_true(sum.spread_pct > 49.99 && sum.spread_pct < 50.01); /* (30-10)/2 of 20 */
    assert_true(sum.stdev > 9.999 && sum.stdev < 10.001);          /* sample stdev */
    assert_true(s.v[0] == 30);                                      /* input not reordered */
    bench_series_add(&s, 100);
    sum = bench_summarize(&s);
    assert_true(sum.median == 25);
    bench_series_free(&s);
    assert_int_equal(s.n, 0);
}

static void test_rows_and_memory_overhead(void **state)
{
    struct bench_results r = { 0 };
    double mib = 0;
    (void)state;

    r.modes[BENCH_HOST] = r.modes[BENCH_CONTAINER] = true;
    assert_ptr_equal(bench_row_get(&r, "syscall", "getpid_ns", "ns"),
                     bench_row_get(&r, "syscall", "getpid_ns", "ns"));
    bench_row_get(&r, "cpu", "sieve_ms", "ms");
    assert_int_equal(r.n_rows, 2);
    assert_false(bench_mem_overhead(&r, BENCH_CONTAINER, &mib));
    /* Overhead: per workload container - host, then the median over workloads. */
    add_all(&bench_mem_row(&r, "a")->mode[BENCH_HOST], (double[]){ 1, 1 }, 2);
    add_all(&bench_mem_row(&r, "a")->mode[BENCH_CONTAINER], (double[]){ 9, 9 }, 2);
    add_all(&bench_mem_row(&r, "b")->mode[BENCH_HOST], (double[]){ 64 }, 1);
    add_all(&bench_mem_row(&r, "b")->mode[BENCH_CONTAINER], (double[]){ 70 }, 1);
    assert_true(bench_mem_overhead(&r, BENCH_CONTAINER, &mib));
    assert_true(mib == 7); /* median of 8 and 6 */
    assert_false(bench_mem_overhead(&r, BENCH_VM, &mib));
    bench_results_free(&r);
}

static void test_format_and_direction(void **state)
{
    char b[32];
    (void)state;

    bench_fmt(146.39, b, sizeof b);
    assert_string_equal(b, "146");
    bench_fmt(12.34, b, sizeof b);
    assert_string_equal(b, "12.3");
    bench_fmt(1.234, b, sizeof b);
    assert_string_equal(b, "1.23");
    bench_fmt(0.0421, b, sizeof b);
    assert_string_equal(b, "0.042");
    bench_fmt(17756.7, b, sizeof b);
    assert_string_equal(b, "17757");
    assert_true(bench_higher_is_better("MB/s"));
    assert_false(bench_higher_is_better("ns"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary_odd_and_even),
        cmocka_unit_test(test_rows_and_memory_overhead),
        cmocka_unit_test(test_format_and_direction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
