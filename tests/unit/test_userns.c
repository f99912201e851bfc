/* /etc/subuid parsing and the ranges --userns=auto picks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/userns/userns.h"

static const char *write_tmp(const char *text)
{
    static char path[64];
    FILE *f;

    snprintf(path, sizeof path, "/tmp/osbox-unit-subid.%d", (int)getpid());
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void test_lookup(void **state)
{
    struct osbox_idrange r = { 0 };
    struct osbox_err err;
    const char *p = write_tmp("# comment\nalice:100000:65536\n1001:300000:1000\nosbox:500000:70000\n");

    (void)state;
    assert_int_equal(osbox_subid_lookup(p, "alice", 1000, &r, &err), 1);
    assert_int_equal(r.start, 100000);
    assert_int_equal(r.count, 65536);
    assert_int_equal(osbox_subid_lookup(p, "bob", 1001, &r, &err), 1); /* by uid */
    assert_int_equal(r.start, 300000);
    assert_int_equal(osbox_subid_lookup(p, "carol", 1002, &r, &err), 0);
    assert_int_equal(osbox_subid_lookup("/nonexistent/subuid", "alice", 1, &r, &err), 0);
    p = write_tmp("alice:10x:5\n");
    assert_int_equal(osbox_subid_lookup(p, "alice", 1, &r, &err), -1);
    p = write_tmp("alice:100\n");
    assert_int_equal(osbox_subid_lookup(p, "alice", 1, &r, &err), -1);
    p = write_tmp("alice:100:0\n");
    assert_int_equal(osbox_subid_lookup(p, "alice", 1, &r, &err), -1);
    unlink(p);
}

static void test_auto_ranges(void **state)
{
    struct osbox_idrange u, g;
    struct osbox_err err;
    const char *p;

    (void)state;
    setenv("OSBOX_SUBUID", "/nonexistent/subuid", 1);
    setenv("OSBOX_SUBGID", "/nonexistent/subgid", 1);
    assert_int_equal(osbox_userns_auto_ranges(&u, &g, &err), 0);
    assert_int_equal(u.start, OSBOX_USERNS_DEFAULT_START); /* built-in default */
    assert_int_equal(u.count, OSBOX_USERNS_SIZE);
    p = write_tmp("root:200000:1000\n");
    setenv("OSBOX_SUBUID", p, 1);
    assert_int_equal(osbox_userns_auto_ranges(&u, &g, &err), -1);
    assert_non_null(strstr(err.msg, "too small (1000 ids, a container needs 65536)"));
    p = write_tmp("root:1:1\nosbox:400000:131072\n");
    assert_int_equal(osbox_userns_auto_ranges(&u, &g, &err), 0);
    assert_int_equal(u.start, 400000); /* osbox's entry wins over root's */
    assert_int_equal(u.count, OSBOX_USERNS_SIZE);
    unlink(p);
}

static void test_modes(void **state)
{
    enum osbox_userns_mode m;
    struct osbox_err err;

    (void)state;
    assert_int_equal(osbox_userns_parse_mode("host", &m, &err), 0);
    assert_int_equal(m, OSBOX_USERNS_HOST);
    assert_int_equal(osbox_userns_parse_mode("auto", &m, &err), 0);
    assert_int_equal(m, OSBOX_USERNS_AUTO);
    assert_int_equal(osbox_userns_parse_mode("keep-id", &m, &err), 0);
    assert_int_equal(osbox_userns_parse_mode("private", &m, &err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_auto_ranges),
        cmocka_unit_test(test_modes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
