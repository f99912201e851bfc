/* Unit tests for the resource flag parsers and the v1/v2 conversions (runtime/cgroup/resources.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "runtime/cgroup/cgroup.h"

static struct osbox_err err;

#define assert_err_contains(s) assert_non_null(strstr(err.msg, (s)))

static void test_memory(void **state)
{
    struct osbox_resources r;
    (void)state;
    osbox_resources_init(&r);
    assert_int_equal(resources_set_memory(&r, "32m", &err), 0);
    assert_int_equal(r.memory_limit, 32LL << 20);
    assert_int_equal(resources_set_memory(&r, "1g", &err), 0);
    assert_int_equal(r.memory_limit, 1LL << 30);
    assert_int_equal(resources_set_memory(&r, "12XB", &err), -1);
    assert_string_equal(err.msg, "invalid --memory '12XB': unknown unit");
    assert_int_equal(r.memory_limit, 1LL << 30); /* untouched on error */
    assert_int_equal(resources_set_memory(&r, "5m", &err), -1);
    assert_err_contains("minimum is 6m");
    assert_int_equal(resources_set_memory(&r, "-1", &err), -1);
    assert_err_contains("--memory '-1'");
    assert_int_equal(resources_set_memory(&r, "", &err), -1);
    assert_int_equal(resources_set_memory(&r, NULL, &err), -1);
    /* Callers may pass no error channel (cleanup paths). */
    assert_int_equal(resources_set_memory(&r, "12XB", NULL), -1);
    assert_int_equal(resources_set_cpus(&r, "-1", NULL), -1);
    assert_int_equal(cgroup_destroy(NULL, NULL), 0);
}

static void test_memory_swap(void **state)
{
    struct osbox_resources r;
    (void)state;
    osbox_resources_init(&r);
    assert_int_equal(resources_set_memory_swap(&r, "-1", &err), 0);
    assert_int_equal(r.memory_swap, -1);
    assert_int_equal(resources_set_memory_swap(&r, "64m", &err), 0);
    assert_int_equal(r.memory_swap, 64LL << 20);
    assert_int_equal(resources_set_memory_swap(&r, "-2", &err), -1);
    assert_err_contains("--memory-swap '-2'");
    assert_int_equal(resources_set_memory_swap(&r, "lots", &err), -1);
}

static void test_validate(void **state)
{
    struct osbox_resources r;
    (void)state;
    osbox_resources_init(&r);
    assert_false(resources_any(&r));
    assert_int_equal(resources_validate(&r, &err), 0);
    /* swap without memory */
    r.memory_swap = 64LL << 20;
    assert_int_equal(resources_validate(&r, &err), -1);
    assert_err_contains("--memory-swap needs --memory");
    /* swap smaller than memory */
    r.memory_limit = 128LL << 20;
    assert_int_equal(resources_validate(&r, &err), -1);
    assert_string_equal(err.msg, "invalid --memory-swap 64m: smaller than --memory 128m "
                                 "(it is the total of memory and swap)");
    r.memory_swap = 256LL << 20;
    assert_int_equal(resources_validate(&r, &err), 0);
    assert_true(resources_any(&r));
    assert_int_equal(resources_v2_swap_max(&r), 128LL << 20);
    r.memory_swap = -1;
    assert_int_equal(resources_validate(&r, &err), 0);
    assert_int_equal(resources_v2_swap_max(&r), -1);
    r.memory_swap = 0;
    assert_int_equal(resources_v2_swap_max(&r), -2);
    /* values an OCI config could carry */
    r.pids_limit = 0;
    assert_int_equal(resources_validate(&r, &err), -1);
    r.pids_limit = -1;
    r.cpu_shares = 1;
    assert_int_equal(resources_validate(&r, &err), -1);
    r.cpu_shares = 0;
    r.cpu_quota_us = 10;
    assert_int_equal(resources_validate(&r, &err), -1);
    r.cpu_quota_us = 50000;
    r.cpu_period_us = 10;
    assert_int_equal(resources_validate(&r, &err), -1);
    r.cpu_period_us = 100000;
    r.memory_limit = 4096;
    assert_int_equal(resources_validate(&r, &err), -1);
}

static void test_cpus(void **state)
{
    int64_t q;
    uint64_t p;
    (void)state;
    assert_int_equal(resources_cpus_to_quota("0.5", 2, &q, &p, &err), 0);
    assert_int_equal(q, 50000);
    assert_int_equal(p, 100000);
    assert_int_equal(resources_cpus_to_quota("2", 2, &q, &p, &err), 0);
    assert_int_equal(q, 200000);
    assert_int_equal(resources_cpus_to_quota("1.25", 4, &q, &p, &err), 0);
    assert_int_equal(q, 125000);
    assert_int_equal(resources_cpus_to_quota("3", 2, &q, &p, &err), -1);
    assert_err_contains("only 2 CPUs");
    assert_int_equal(resources_cpus_to_quota("-1", 2, &q, &p, &err), -1);
    assert_string_equal(err.msg, "invalid --cpus '-1': not a positive number");
    assert_int_equal(resources_cpus_to_quota("0", 2, &q, &p, &err), -1);
    assert_err_contains("greater than 0");
    assert_int_equal(resources_cpus_to_quota("0.001", 2, &q, &p, &err), -1);
    assert_int_equal(resources_cpus_to_quota("abc", 2, &q, &p, &err), -1);
    assert_int_equal(resources_cpus_to_quota("1e3", 2, &q, &p, &err), -1);
    assert_int_equal(resources_cpus_to_quota("nan", 2, &q, &p, &err), -1);
    assert_int_equal(resources_cpus_to_quota("", 2, &q, &p, &err), -1);
    assert_int_equal(resources_cpus_to_quota("1..5", 2, &q, &p, &err), -1);
}

static void test_shares_weight_pids(void **state)
{
    struct osbox_resources r;
    (void)state;
    osbox_resources_init(&r);
    assert_int_equal(resources_set_cpu_shares(&r, "512", &err), 0);
    assert_int_equal(r.cpu_shares, 512);
    assert_int_equal(resources_set_cpu_shares(&r, "1", &err), -1);
    assert_string_equal(err.msg, "invalid --cpu-shares '1': must be between 2 and 262144");
    assert_int_equal(resources_set_cpu_shares(&r, "262145", &err), -1);
    assert_int_equal(resources_set_cpu_shares(&r, "x", &err), -1);
    assert_int_equal(resources_set_cpu_weight(&r, "100", &err), 0);
    assert_int_equal(r.cpu_weight, 100);
    assert_int_equal(resources_set_cpu_weight(&r, "0", &err), -1);
    assert_int_equal(resources_set_cpu_weight(&r, "10001", &err), -1);
    assert_int_equal(resources_set_pids_limit(&r, "20", &err), 0);
    assert_int_equal(r.pids_limit, 20);
    assert_int_equal(resources_set_pids_limit(&r, "-1", &err), 0);
    assert_int_equal(r.pids_limit, -1);
    assert_int_equal(resources_set_pids_limit(&r, "0", &err), -1);
    assert_err_contains("--pids-limit '0'");
    assert_int_equal(resources_set_pids_limit(&r, "-5", &err), -1);
    assert_int_equal(resources_set_pids_limit(&r, "2O", &err), -1);
}

static void test_conversions(void **state)
{
    (void)state;
    assert_int_equal(cgroup_shares_to_weight(2), 1);
    assert_int_equal(cgroup_shares_to_weight(262144), 10000);
    assert_int_equal(cgroup_shares_to_weight(1024), 39);
    assert_int_equal(cgroup_shares_to_weight(0), 1);         /* clamped */
    assert_int_equal(cgroup_shares_to_weight(1u << 30), 10000);
    assert_int_equal(cgroup_weight_to_shares(1), 2);
    assert_int_equal(cgroup_weight_to_shares(10000), 262144);
    assert_int_equal(cgroup_weight_to_shares(100), 2597);
    /* monotonic, and a round trip stays close */
    for (uint64_t s = 2; s <= 262144; s += 997) {
        assert_true(cgroup_shares_to_weight(s) <= cgroup_shares_to_weight(s + 997));
        uint64_t back = cgroup_weight_to_shares(cgroup_shares_to_weight(s));
        assert_true(back <= s && s - back <= 27);
    }
}

/* Docker: -m alone means memory+swap = 2 x memory; an explicit --memory-swap
 * (or none of -m) is left as it is. */
static void test_default_swap(void **state)
{
    struct osbox_resources r;
    (void)state;
    osbox_resources_init(&r);
    resources_default_swap(&r);
    assert_int_equal(r.memory_swap, 0);
    assert_false(r.memory_swap_default);
    assert_int_equal(resources_set_memory(&r, "32m", &err), 0);
    resources_default_swap(&r);
    assert_int_equal(r.memory_swap, 64LL << 20);
    assert_true(r.memory_swap_default);
    assert_int_equal(resources_validate(&r, &err), 0);
    assert_int_equal(resources_v2_swap_max(&r), 32LL << 20); /* v2: swap alone */
    osbox_resources_init(&r);
    assert_int_equal(resources_set_memory(&r, "32m", &err), 0);
    assert_int_equal(resources_set_memory_swap(&r, "32m", &err), 0); /* no swap at all */
    resources_default_swap(&r);
    assert_int_equal(r.memory_swap, 32LL << 20);
    assert_false(r.memory_swap_default);
    assert_int_equal(resources_set_memory_swap(&r, "-1", &err), 0);
    resources_default_swap(&r);
    assert_int_equal(r.memory_swap, -1);
    r.memory_limit = INT64_MAX; /* no overflow: unlimited swap */
    r.memory_swap = 0;
    resources_default_swap(&r);
    assert_int_equal(r.memory_swap, -1);
}

/* Device rules: checked, kept in order, written in the v1 form, the
 * defaults added once (a saved spec read back carries them already). */
static void test_dev_rules(void **state)
{
    struct osbox_resources r;
    char text[48];
    unsigned n;
    (void)state;
    osbox_resources_init(&r);
    assert_int_equal(r.n_dev_rules, 0);
    assert_int_equal(resources_add_dev_rule(&r, 'a', 5, 5, "rwm", false, &err), 0);
    resources_dev_rule_text(&r.dev_rules[0], text, sizeof text);
    assert_string_equal(text, "a");
    assert_int_equal(r.dev_rules[0].major, OSBOX_DEV_ANY); /* 'a' is every device */
    assert_int_equal(resources_add_dev_rule(&r, 'c', 10, 229, "r", true, &err), 0);
    resources_dev_rule_text(&r.dev_rules[1], text, sizeof text);
    assert_string_equal(text, "c 10:229 r");
    assert_int_equal(resources_add_dev_rule(&r, 'b', OSBOX_DEV_ANY, 3, NULL, true, &err), 0);
    resources_dev_rule_text(&r.dev_rules[2], text, sizeof text);
    assert_string_equal(text, "b *:3 rwm");
    assert_int_equal(resources_add_dev_rule(&r, 'x', 1, 3, "r", true, &err), -1);
    assert_err_contains("type 'x'");
    assert_int_equal(resources_add_dev_rule(&r, 'c', 1, 3, "rx", true, &err), -1);
    assert_err_contains("'rx'");
    assert_int_equal(resources_add_dev_rule(&r, 'c', 0x1000, 3, "r", true, &err), -1);
    assert_int_equal(resources_add_dev_rule(&r, 'c', 1, -2, "r", true, &err), -1);
    assert_int_equal(r.n_dev_rules, 3);
    resources_default_dev_rules(&r);
    n = r.n_dev_rules;
    assert_int_equal(n, 3 + 11);
    resources_dev_rule_text(&r.dev_rules[3], text, sizeof text);
    assert_string_equal(text, "c *:* m");
    resources_default_dev_rules(&r);
    assert_int_equal(r.n_dev_rules, n);
    for (unsigned i = r.n_dev_rules; i < OSBOX_MAX_DEV_RULES; i++)
        assert_int_equal(resources_add_dev_rule(&r, 'c', 200, (int64_t)i, "r", true, &err), 0);
    assert_int_equal(resources_add_dev_rule(&r, 'c', 201, 0, "r", true, &err), -1);
    assert_err_contains("more than");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memory),
        cmocka_unit_test(test_memory_swap),
        cmocka_unit_test(test_validate),
        cmocka_unit_test(test_default_swap),
        cmocka_unit_test(test_cpus),
        cmocka_unit_test(test_shares_weight_pids),
        cmocka_unit_test(test_conversions),
        cmocka_unit_test(test_dev_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
