/* Unit tests for common/: the error channel and the parsers every command uses. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include "util.h"

static void test_error_message_has_errno_text(void **state)
{
    struct osbox_err err;
    (void)state;
    osbox_err_clear(&err);
    assert_int_equal(osbox_error(&err, EINVAL, "mount overlay on %s", "/x"), -1);
    assert_string_equal(err.msg, "mount overlay on /x: Invalid argument");
    assert_int_equal(err.errnum, EINVAL);
    assert_int_equal(osbox_err_exit_status(&err), OSBOX_EXIT_FAILED);
    osbox_error_prefix(&err, "container %s", "abc");
    assert_string_equal(err.msg, "container abc: mount overlay on /x: Invalid argument");
    err.exit_status = OSBOX_EXIT_NOT_FOUND;
    assert_int_equal(osbox_err_exit_status(&err), 127);
}

static void test_parse_size(void **state)
{
    struct osbox_err err;
    uint64_t v;
    (void)state;
    assert_int_equal(osbox_parse_size("512", &v, &err), 0);
    assert_int_equal(v, 512);
    assert_int_equal(osbox_parse_size("32m", &v, &err), 0);
    assert_int_equal(v, 32ULL << 20);
    assert_int_equal(osbox_parse_size("1G", &v, &err), 0);
    assert_int_equal(v, 1ULL << 30);
    assert_int_equal(osbox_parse_size("100MB", &v, &err), 0);
    assert_int_equal(v, 100ULL << 20);
    assert_int_equal(osbox_parse_size("1.5k", &v, &err), 0);
    assert_int_equal(v, 1536);
    assert_int_equal(osbox_parse_size("12XB", &v, &err), -1);
    assert_non_null(strstr(err.msg, "12XB"));
    assert_int_equal(osbox_parse_size("-1m", &v, &err), -1);
    assert_int_equal(osbox_parse_size("", &v, &err), -1);
    assert_int_equal(osbox_parse_size("m", &v, &err), -1);
    assert_int_equal(osbox_parse_size("99999999999t", &v, &err), -1);
}

static void test_parse_int(void **state)
{
    struct osbox_err err;
    long long v;
    (void)state;
    assert_int_equal(osbox_parse_int("20", 1, 100, &v, &err), 0);
    assert_int_equal(v, 20);
    assert_int_equal(osbox_parse_int("0", 1, 100, &v, &err), -1);
    assert_int_equal(osbox_parse_int("2x", 0, 100, &v, &err), -1);
    assert_int_equal(osbox_parse_int(" 2", 0, 100, &v, &err), -1);
}

static void test_files_and_dirs(void **state)
{
    struct osbox_err err;
    char tmpl[] = "/tmp/osbox-unit-XXXXXX";
    char *dir = mkdtemp(tmpl), *path, *data;
    size_t len;
    (void)state;
    assert_non_null(dir);
    path = osbox_strdup_printf("%s/a/b/c", dir);
    assert_int_equal(osbox_mkdir_p(path, 0755, &err), 0);
    free(path);
    path = osbox_strdup_printf("%s/a/b/c/file", dir);
    assert_int_equal(osbox_write_file_atomic(path, "hello", 5, 0644, &err), 0);
    assert_int_equal(osbox_read_file(path, &data, &len, &err), 0);
    assert_int_equal(len, 5);
    assert_string_equal(data, "hello");
    free(data);
    free(path);
    assert_int_equal(osbox_rm_rf(dir, &err), 0);
    struct stat st;
    assert_int_equal(stat(dir, &st), -1);
    assert_int_equal(osbox_read_file("/nonexistent/x", &data, &len, &err), -1);
    assert_string_equal(err.msg, "open /nonexistent/x: No such file or directory");
}

static void test_random_id_and_strv(void **state)
{
    struct osbox_err err;
    char a[65], b[65];
    char **v = NULL;
    (void)state;
    assert_int_equal(osbox_random_id(a, &err), 0);
    assert_int_equal(osbox_random_id(b, &err), 0);
    assert_int_equal(strlen(a), 64);
    assert_string_not_equal(a, b);
    assert_int_equal(strspn(a, "0123456789abcdef"), 64);
    osbox_strv_push(&v, "x");
    osbox_strv_push(&v, "y");
    assert_int_equal(osbox_strv_len(v), 2);
    assert_string_equal(v[1], "y");
    osbox_strv_free(v);
}

/* The one hex check (ids, digests) and the one RFC 3339 clock. */
static void test_hex_and_rfc3339(void **state)
{
    char ts[OSBOX_RFC3339_LEN + 1], id[65];
    struct tm tm;
    const char *end;

    (void)state;
    assert_int_equal(osbox_random_id(id, NULL), 0);
    assert_true(osbox_is_hex(id, 64));
    assert_true(osbox_is_hex("0af", 0));
    assert_false(osbox_is_hex("0af", 64));
    assert_false(osbox_is_hex("", 0));
    assert_false(osbox_is_hex("0AF", 0)); /* ids and digests are lowercase */
    assert_false(osbox_is_hex("12g4", 0));
    memset(ts, 'x', sizeof ts);
    osbox_rfc3339_now(ts);
    assert_int_equal(strlen(ts), OSBOX_RFC3339_LEN);
    memset(&tm, 0, sizeof tm);
    end = strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm);
    assert_non_null(end);
    assert_true(tm.tm_year >= 120);
    assert_int_equal(end[0], '.');
    assert_int_equal(strspn(end + 1, "0123456789"), 9);
    assert_string_equal(end + 10, "Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_message_has_errno_text),
        cmocka_unit_test(test_parse_size),
        cmocka_unit_test(test_parse_int),
        cmocka_unit_test(test_files_and_dirs),
        cmocka_unit_test(test_random_id_and_strv),
        cmocka_unit_test(test_hex_and_rfc3339),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
