/* Capability names and sets: Docker's default, ALL, --cap-add/--cap-drop parsing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <linux/capability.h>

#include "runtime/security/security.h"

static void test_names(void **state)
{
    int cap = -1;

    (void)state;
    assert_int_equal(caps_from_name("NET_ADMIN", &cap), 0);
    assert_int_equal(cap, CAP_NET_ADMIN);
    assert_int_equal(caps_from_name("CAP_SYS_TIME", &cap), 0);
    assert_int_equal(cap, CAP_SYS_TIME);
    assert_int_equal(caps_from_name("cap_chown", &cap), 0);
    assert_int_equal(cap, CAP_CHOWN);
    assert_int_equal(caps_from_name("Sys_Admin", &cap), 0);
    assert_int_equal(cap, CAP_SYS_ADMIN);
    assert_int_equal(caps_from_name("NET_FOO", &cap), -1);
    assert_int_equal(caps_from_name("CAP_", &cap), -1);
    assert_int_equal(caps_from_name("12", &cap), -1);
    assert_int_equal(caps_from_name("", &cap), -1);
    assert_int_equal(caps_from_name("NET ADMIN", &cap), -1);
}

static void test_sets(void **state)
{
    uint64_t c = caps_docker_default();
    struct osbox_err err;

    (void)state;
    assert_int_equal(c, 0xa80425fbULL); /* Docker's 14 */
    assert_int_equal(osbox_caps_update(&c, "ALL", false, &err), 0);
    assert_int_equal(c, 0);
    assert_int_equal(osbox_caps_update(&c, "NET_ADMIN,cap_sys_time", true, &err), 0);
    assert_int_equal(c, CAP_BIT(CAP_NET_ADMIN) | CAP_BIT(CAP_SYS_TIME));
    assert_int_equal(osbox_caps_update(&c, "CAP_NET_ADMIN", false, &err), 0);
    assert_int_equal(c, CAP_BIT(CAP_SYS_TIME));
    assert_int_equal(osbox_caps_update(&c, "all", true, &err), 0);
    assert_int_equal(c, caps_all());
    assert_true(caps_all() & CAP_BIT(CAP_LAST_CAP));
    assert_int_equal(osbox_caps_update(&c, "CHOWN,BOGUS", false, &err), -1);
    assert_string_equal(err.msg, "--cap-drop: unknown capability 'BOGUS'");
    assert_int_equal(osbox_caps_update(&c, "", true, &err), -1);
}

static void test_security_defaults(void **state)
{
    struct osbox_security s;

    (void)state;
    osbox_security_init(&s);
    assert_int_equal(s.caps, 0xa80425fbULL);
    assert_true(s.no_new_privs);
    assert_false(s.privileged);
    assert_int_equal(s.seccomp_mode, OSBOX_SECCOMP_DEFAULT);
    assert_string_equal(s.masked_paths[0], "/proc/asound");
    assert_non_null(s.readonly_paths);
    osbox_security_set_privileged(&s);
    assert_int_equal(s.caps, caps_all());
    assert_int_equal(s.seccomp_mode, OSBOX_SECCOMP_UNCONFINED);
    assert_null(s.masked_paths);
    osbox_security_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_sets),
        cmocka_unit_test(test_security_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
