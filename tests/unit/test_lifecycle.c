/* Unit tests for the lifecycle pieces that need no container: restart
 * policies, container lookup (name, id, unique prefix, ambiguous prefix)
 * on a fake store, the lifecycle file, and `osbox logs` over crafted log
 * files: streams apart, partial lines, --tail across interleaved streams,
 * timestamps, and the raw log of before the record format; health checks'
 * rules (start period, streak, log of 5), checks and durations. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcntl.h>

#include "runtime/lifecycle/health.h"
#include "runtime/lifecycle/lifecycle.h"
#include "util.h"

static void test_restart_parse(void **state)
{
    struct restart_spec r;
    struct osbox_err err;
    (void)state;

    assert_int_equal(restart_parse("no", &r, &err), 0);
    assert_int_equal(r.policy, RESTART_NO);
    assert_int_equal(restart_parse("always", &r, &err), 0);
    assert_int_equal(r.policy, RESTART_ALWAYS);
    assert_int_equal(restart_parse("on-failure", &r, &err), 0);
    assert_true(r.policy == RESTART_ON_FAILURE && r.max_retries == 0);
    assert_int_equal(restart_parse("on-failure:3", &r, &err), 0);
    assert_true(r.policy == RESTART_ON_FAILURE && r.max_retries == 3);
    assert_int_equal(restart_parse("on-failure:-1", &r, &err), -1);
    assert_int_equal(restart_parse("on-failure:x", &r, &err), -1);
    assert_int_equal(restart_parse("on-failurex", &r, &err), -1);
    assert_int_equal(restart_parse("sometimes", &r, &err), -1);
    assert_non_null(strstr(err.msg, "sometimes"));
}

static char root[64];

static void make_container(const char *id, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/containers/%s", root, id);
    assert_int_equal(mkdir(path, 0700), 0);
    if (name) {
        snprintf(path, sizeof path, "%s/names/%s", root, name);
        assert_int_equal(symlink(id, path), 0);
    }
}

static void test_lookup(void **state)
{
    const char *a = "abc0000000000000000000000000000000000000000000000000000000000001";
    const char *b = "abd0000000000000000000000000000000000000000000000000000000000002";
    char id[65], cmd[128];
    struct osbox_err err;
    (void)state;

    snprintf(root, sizeof root, "/tmp/osbox-unit-lc.XXXXXX");
    assert_non_null(mkdtemp(root));
    setenv("OSBOX_ROOT", root, 1);
    snprintf(cmd, sizeof cmd, "%s/containers", root);
    mkdir(cmd, 0700);
    snprintf(cmd, sizeof cmd, "%s/names", root);
    mkdir(cmd, 0700);
    make_container(a, "web");
    make_container(b, NULL);

    assert_int_equal(container_lookup("web", id, &err), 0);
    assert_string_equal(id, a);
    assert_int_equal(container_lookup(a, id, &err), 0);
    assert_string_equal(id, a);
    assert_int_equal(container_lookup("abd", id, &err), 0);
    assert_string_equal(id, b);
    assert_int_equal(container_lookup("ab", id, &err), -1);
    assert_non_null(strstr(err.msg, "ambiguous"));
    assert_int_equal(container_lookup("abe", id, &err), -1);
    assert_int_equal(err.errnum, ENOENT);
    assert_int_equal(container_lookup("nosuch", id, &err), -1);
    assert_int_equal(err.errnum, ENOENT);
    assert_int_equal(container_lookup("../x", id, &err), -1);
    assert_int_equal(container_lookup("", id, &err), -1);

    /* The lifecycle file round-trips. */
    struct lifecycle l = { .restart = { RESTART_ON_FAILURE, 4 }, .restart_count = 2,
                           .log_max = 65536, .notify = 2 }, r;
    assert_int_equal(lifecycle_write(a, &l, &err), 0);
    assert_int_equal(lifecycle_read(a, &r, &err), 0);
    assert_int_equal(r.restart.policy, RESTART_ON_FAILURE);
    assert_int_equal(r.restart.max_retries, 4);
    assert_int_equal(r.restart_count, 2);
    assert_int_equal((int)r.log_max, 65536);
    assert_int_equal(r.notify, 2);
    lifecycle_free(&l);
    lifecycle_free(&r);
    assert_int_equal(lifecycle_read(b, &r, &err), -1);

    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    assert_int_equal(system(cmd), 0);
}

/* Run logs_copy for container id with out and err to two files (or one). */
static void run_logs(const char *id, long tail, bool ts, bool merged, char *out, char *err_out)
{
    struct logs_opts o = { .tail = tail, .timestamps = ts };
    struct osbox_err err;
    char po[] = "/tmp/osbox-unit-lo.XXXXXX", pe[] = "/tmp/osbox-unit-le.XXXXXX";
    int fo = mkstemp(po), fe = merged ? fo : mkstemp(pe);
    ssize_t n;

    assert_true(fo >= 0 && fe >= 0);
    assert_int_equal(logs_copy(id, &o, fo, fe, &err), 0);
    n = pread(fo, out, 4095, 0);
    out[n > 0 ? n : 0] = '\0';
    n = merged ? 0 : pread(fe, err_out, 4095, 0);
    err_out[n > 0 ? n : 0] = '\0';
    close(fo);
    unlink(po);
    if (!merged) {
        close(fe);
        unlink(pe);
    }
}

static void put(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    assert_int_equal(osbox_write_file(path, text, strlen(text), 0600, NULL), 0);
}

static void test_logs(void **state)
{
    const char *id = "1090000000000000000000000000000000000000000000000000000000000001";
    char dir[256], out[4096], err[4096], cmd[512];
    (void)state;

    snprintf(root, sizeof root, "/tmp/osbox-unit-lc.XXXXXX");
    assert_non_null(mkdtemp(root));
    setenv("OSBOX_ROOT", root, 1);
    snprintf(dir, sizeof dir, "%s/containers", root);
    mkdir(dir, 0700);
    snprintf(dir, sizeof dir, "%s/containers/%s", root, id);
    mkdir(dir, 0700);
    /* Lines by where they end: e1, e2, "ab", "x" (unfinished), "c". */
    put(dir, LOG_FILE ".1", "2026-01-01T00:00:00.000000000Z stdout P a\n"
                            "2026-01-01T00:00:01.000000000Z stderr F e1\n");
    put(dir, LOG_FILE, "2026-01-01T00:00:02.000000000Z stderr F e2\n"
                       "2026-01-01T00:00:03.000000000Z stdout F b\n"
                       "2026-01-01T00:00:04.000000000Z stderr P x\n"
                       "2026-01-01T00:00:05.000000000Z stdout F c\n"
                       "2026-01-01T00:00:06.000000000Z stdout P d"); /* being written: not yet */
    run_logs(id, -1, false, false, out, err);
    assert_string_equal(out, "ab\nc\n");
    assert_string_equal(err, "e1\ne2\nx");
    run_logs(id, -1, false, true, out, err);
    assert_string_equal(out, "ae1\ne2\nb\nxc\n");
    run_logs(id, 0, false, false, out, err);
    assert_string_equal(out, "");
    assert_string_equal(err, "");
    run_logs(id, 1, false, false, out, err);
    assert_string_equal(out, "c\n");
    assert_string_equal(err, "");
    run_logs(id, 2, false, false, out, err);
    assert_string_equal(out, "c\n");
    assert_string_equal(err, "x");
    run_logs(id, 3, false, false, out, err);
    assert_string_equal(out, "ab\nc\n");
    assert_string_equal(err, "x");
    run_logs(id, 4, false, true, out, err); /* "ab" began before e2 */
    assert_string_equal(out, "ae2\nb\nxc\n");
    run_logs(id, 5, false, false, out, err);
    assert_string_equal(err, "e1\ne2\nx");
    /* -t: one timestamp per line, that of its first record. */
    run_logs(id, 3, true, true, out, err);
    assert_string_equal(out, "2026-01-01T00:00:00.000000000Z ab\n"
                             "2026-01-01T00:00:04.000000000Z x"
                             "2026-01-01T00:00:05.000000000Z c\n");
    /* Raw logs of before: first, as stdout, exact, no timestamp. */
    put(dir, LOG_LEGACY_FILE ".1", "old-1\n");
    put(dir, LOG_LEGACY_FILE, "old-2\nold-3-");
    run_logs(id, -1, true, false, out, err);
    assert_string_equal(out, "old-1\nold-2\nold-3-ab\n" /* a line's timestamp: its first part's */
                             "2026-01-01T00:00:05.000000000Z c\n");
    run_logs(id, 6, false, false, out, err);
    assert_string_equal(out, "old-2\nold-3-ab\nc\n");
    /* Not a record: kept as a stdout line. */
    put(dir, LOG_FILE, "garbage line\n");
    snprintf(cmd, sizeof cmd, "%s/" LOG_FILE ".1", dir);
    unlink(cmd);
    run_logs(id, 1, false, false, out, err);
    assert_string_equal(out, "old-3-garbage line\n"); /* the raw partial line goes on */

    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    assert_int_equal(system(cmd), 0);
}

static struct health_result result(int code, int64_t start)
{
    struct health_result r = { .start_ns = start, .end_ns = start + 1000, .exit_code = code };
    snprintf(r.output, sizeof r.output, "code %d", code);
    return r;
}

static void test_health(void **state)
{
    const char *id = "hea0000000000000000000000000000000000000000000000000000000000001";
    char *argv_cmd[] = { "CMD-SHELL", "test -f /x", NULL }, *bad2[] = { "CMD-SHELL", "a", "b", NULL };
    char *bad_form[] = { "RUN", "x", NULL }, buf[64], cmd[160];
    struct health_config c = { .test = argv_cmd, .retries = 2, .start_period_ns = 3600LL * 1000000000 };
    struct osbox_err err;
    struct health_result r;
    json_t *st;
    (void)state;

    /* Checks and the command's argv. */
    assert_int_equal(health_config_validate(&c, &err), 0);
    char **argv = health_config_argv(&c);
    assert_string_equal(argv[0], "/bin/sh");
    assert_string_equal(argv[1], "-c");
    assert_string_equal(argv[2], "test -f /x");
    assert_null(argv[3]);
    osbox_strv_free(argv);
    struct health_config b = { .test = bad2 };
    assert_int_equal(health_config_validate(&b, &err), -1);
    b.test = bad_form;
    assert_int_equal(health_config_validate(&b, &err), -1);
    b.test = argv_cmd;
    b.timeout_ns = 500000; /* 500us */
    assert_int_equal(health_config_validate(&b, &err), -1);
    assert_non_null(strstr(err.msg, "less than 1ms"));

    /* Go's duration format, as Docker's timeout message prints it. */
    health_format_duration(300000000, buf, sizeof buf);
    assert_string_equal(buf, "300ms");
    health_format_duration(30LL * 1000000000, buf, sizeof buf);
    assert_string_equal(buf, "30s");
    health_format_duration(90LL * 1000000000, buf, sizeof buf);
    assert_string_equal(buf, "1m30s");
    health_format_duration(1500000000, buf, sizeof buf);
    assert_string_equal(buf, "1.5s");
    health_format_duration(3600LL * 1000000000, buf, sizeof buf);
    assert_string_equal(buf, "1h0m0s");

    /* The rules, on a fake store. */
    snprintf(root, sizeof root, "/tmp/osbox-unit-hc.XXXXXX");
    assert_non_null(mkdtemp(root));
    setenv("OSBOX_ROOT", root, 1);
    snprintf(cmd, sizeof cmd, "%s/containers/%s", root, id);
    assert_int_equal(osbox_mkdir_p(cmd, 0700, &err), 0);
    int64_t t0 = 1000000000LL * 1700000000;
    r = result(1, t0); /* before any success, within the start period: not counted */
    health_record(id, &c, &r);
    st = health_state_json(id);
    assert_string_equal(json_string_value(json_object_get(st, "Status")), "starting");
    assert_int_equal(json_integer_value(json_object_get(st, "FailingStreak")), 0);
    assert_null(json_object_get(st, "StartedNano")); /* ours, not shown */
    json_decref(st);
    r = result(0, t0 + 1);
    health_record(id, &c, &r);
    char *status = health_status(id);
    assert_string_equal(status, "healthy");
    free(status);
    r = result(1, t0 + 2); /* once healthy, every failure counts */
    health_record(id, &c, &r);
    status = health_status(id);
    assert_string_equal(status, "healthy"); /* 1 of 2 retries */
    free(status);
    for (int i = 0; i < 4; i++) {
        r = result(-1, t0 + 3 + i);
        health_record(id, &c, &r);
    }
    st = health_state_json(id);
    assert_string_equal(json_string_value(json_object_get(st, "Status")), "unhealthy");
    assert_int_equal(json_integer_value(json_object_get(st, "FailingStreak")), 5);
    json_t *log = json_object_get(st, "Log");
    assert_int_equal(json_array_size(log), HEALTH_LOG_MAX);
    assert_string_equal(json_string_value(json_object_get(json_array_get(log, 4), "Output")), "code -1");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(log, 0), "ExitCode")), 1); /* the oldest kept: the third result */
    json_decref(st);
    /* A success clears the streak at once. */
    r = result(0, t0 + 10);
    health_record(id, &c, &r);
    st = health_state_json(id);
    assert_string_equal(json_string_value(json_object_get(st, "Status")), "healthy");
    assert_int_equal(json_integer_value(json_object_get(st, "FailingStreak")), 0);
    json_decref(st);
    /* Each change of state is an event. */
    snprintf(cmd, sizeof cmd, "test $(grep -c '\"health_status: ' %s/events.log) = 3", root);
    assert_int_equal(system(cmd), 0);

    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restart_parse),
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_logs),
        cmocka_unit_test(test_health),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
