/* vmm/cmdline.c: kernel parameters the monitor and osbox add go before
 * init's arguments, the first "--" outside double quotes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/vmm.h"

static void check(const char *cmdline, const char *params, const char *want)
{
    char *got = vmm_cmdline_insert(cmdline, params);
    assert_string_equal(got, want);
    free(got);
}

static void test_insert_before_dashes(void **state)
{
    (void)state;
    check("console=ttyS0 -- a b", "x=1 y=2", "console=ttyS0 x=1 y=2 -- a b");
    check("console=ttyS0   --  a", "x=1", "console=ttyS0 x=1 --  a");
    check("-- a", "x=1", "x=1 -- a");
    check("console=ttyS0 --", "x=1", "console=ttyS0 x=1 --");
    /* the first "--" only: later ones are init's */
    check("k -- a -- b", "x=1", "k x=1 -- a -- b");
}

static void test_insert_without_dashes(void **state)
{
    (void)state;
    check("console=ttyS0", "x=1", "console=ttyS0 x=1");
    check("", "x=1", "x=1");
    check(NULL, "x=1", "x=1");
    check("console=ttyS0 -- a", "", "console=ttyS0 -- a");
    check("console=ttyS0", NULL, "console=ttyS0");
}

static void test_dashes_not_a_word(void **state)
{
    (void)state;
    /* "--" inside quotes, or as part of a word, does not start init's arguments */
    check("init=\"/bin/sh -- x\" q", "x=1", "init=\"/bin/sh -- x\" q x=1");
    check("a --b c--", "x=1", "a --b c-- x=1");
    check("v=\"a b\" -- \"c -- d\"", "x=1", "v=\"a b\" x=1 -- \"c -- d\"");
    assert_null(vmm_cmdline_init_args("a --b"));
    assert_string_equal(vmm_cmdline_init_args("a -- b"), "-- b");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_insert_before_dashes),
        cmocka_unit_test(test_insert_without_dashes),
        cmocka_unit_test(test_dashes_not_a_word),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
