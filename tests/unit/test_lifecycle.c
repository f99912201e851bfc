/* Unit tests for the lifecycle pieces that need no container: restart
 * policies, container lookup (name, id, unique prefix, ambiguous prefix)
 * on a fake store, the lifecycle file, and the log's --tail arithmetic
 * (runtime/logs.c is compiled in for its static helper). */
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

#include "runtime/logs.c"

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
                           .log_max = 65536 }, r;
    osbox_strv_push(&l.run_args, "run");
    osbox_strv_push(&l.run_args, "-d");
    assert_int_equal(lifecycle_write(a, &l, &err), 0);
    assert_int_equal(lifecycle_read(a, &r, &err), 0);
    assert_int_equal(r.restart.policy, RESTART_ON_FAILURE);
    assert_int_equal(r.restart.max_retries, 4);
    assert_int_equal(r.restart_count, 2);
    assert_int_equal((int)r.log_max, 65536);
    assert_int_equal((int)osbox_strv_len(r.run_args), 2);
    assert_string_equal(r.run_args[1], "-d");
    lifecycle_free(&l);
    lifecycle_free(&r);
    assert_int_equal(lifecycle_read(b, &r, &err), -1);

    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    assert_int_equal(system(cmd), 0);
}

static void test_tail(void **state)
{
    const char *s = "a\nb\nc\n";
    (void)state;

    assert_int_equal(tail_start(s, 6, -1), 0);
    assert_int_equal(tail_start(s, 6, 0), 6);
    assert_int_equal(tail_start(s, 6, 1), 4);
    assert_int_equal(tail_start(s, 6, 2), 2);
    assert_int_equal(tail_start(s, 6, 3), 0);
    assert_int_equal(tail_start(s, 6, 10), 0);
    assert_int_equal(tail_start("a\nb", 3, 1), 2); /* no final newline */
    assert_int_equal(tail_start("", 0, 1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restart_parse),
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_tail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
