/* The registry client's pure parts: Docker's reference normalisation,
 * WWW-Authenticate challenges, platform choice in an index, loopback hosts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "images/registry/registry.h"

#define D64 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void ref_ok(const char *in, const char *domain, const char *path, const char *tag,
                   const char *digest, const char *store)
{
    struct osbox_err err;
    struct reg_ref r;
    char *name = NULL;

    osbox_err_clear(&err);
    assert_int_equal(reg_ref_parse(in, &r, &err), 0);
    assert_string_equal(r.domain, domain);
    assert_string_equal(r.path, path);
    if (tag)
        assert_string_equal(r.tag, tag);
    else
        assert_null(r.tag);
    if (digest)
        assert_string_equal(r.digest, digest);
    else
        assert_null(r.digest);
    assert_int_equal(reg_ref_store_name(&r, &name, &err), 0);
    assert_string_equal(name, store);
    free(name);
    reg_ref_clear(&r);
}

static void ref_bad(const char *in, const char *why)
{
    struct osbox_err err;
    struct reg_ref r;

    osbox_err_clear(&err);
    assert_int_equal(reg_ref_parse(in, &r, &err), -1);
    assert_non_null(strstr(err.msg, "invalid reference"));
    assert_non_null(strstr(err.msg, why));
    assert_null(r.domain);
}

static void test_docker_normalisation(void **state)
{
    (void)state;
    ref_ok("alpine", "docker.io", "library/alpine", "latest", NULL, "alpine:latest");
    ref_ok("alpine:3.19", "docker.io", "library/alpine", "3.19", NULL, "alpine:3.19");
    ref_ok("me/app", "docker.io", "me/app", "latest", NULL, "me/app:latest");
    ref_ok("docker.io/library/alpine", "docker.io", "library/alpine", "latest", NULL, "alpine:latest");
    ref_ok("index.docker.io/me/app:1", "docker.io", "me/app", "1", NULL, "me/app:1");
    ref_ok("localhost/x", "localhost", "x", "latest", NULL, "localhost/x:latest");
    ref_ok("127.0.0.1:5000/a/b:v1", "127.0.0.1:5000", "a/b", "v1", NULL, "127.0.0.1:5000/a/b:v1");
    ref_ok("quay.io/org/img", "quay.io", "org/img", "latest", NULL, "quay.io/org/img:latest");
    ref_ok("ghcr.io/a/b@sha256:" D64, "ghcr.io", "a/b", NULL, "sha256:" D64,
           "ghcr.io/a/b@sha256:" D64);
    ref_ok("alpine:3@sha256:" D64, "docker.io", "library/alpine", "3", "sha256:" D64,
           "alpine@sha256:" D64);
    /* "x:5000" alone is a name and a tag, not a host. */
    ref_ok("x:5000", "docker.io", "library/x", "5000", NULL, "x:5000");
    ref_ok("a__b/c-d.e", "docker.io", "a__b/c-d.e", "latest", NULL, "a__b/c-d.e:latest");
}

static void test_bad_references(void **state)
{
    (void)state;
    ref_bad("", "empty");
    ref_bad("Alpine", "lowercase");
    ref_bad("alpine:", "a tag is");
    ref_bad("alpine:-x", "a tag is");
    ref_bad("a@sha256:00", "a digest is");
    ref_bad("a/-b", "components");
    ref_bad("a//b", "components");
    ref_bad("a/b.", "components");
    ref_bad("a/b___c", "components");
    ref_bad("host:99x/a", "registry host");
    ref_bad("host:5000/", "no repository name");
}

static void test_challenges(void **state)
{
    struct reg_challenge c;

    (void)state;
    assert_int_equal(reg_challenge_parse("Bearer realm=\"https://auth.docker.io/token\","
                                         "service=\"registry.docker.io\","
                                         "scope=\"repository:library/alpine:pull\"", &c), 0);
    assert_string_equal(c.scheme, "bearer");
    assert_string_equal(c.realm, "https://auth.docker.io/token");
    assert_string_equal(c.service, "registry.docker.io");
    assert_string_equal(c.scope, "repository:library/alpine:pull");
    assert_null(c.error);
    reg_challenge_clear(&c);

    assert_int_equal(reg_challenge_parse("Basic realm=\"Registry \\\"Realm\\\"\"", &c), 0);
    assert_string_equal(c.scheme, "basic");
    assert_string_equal(c.realm, "Registry \"Realm\"");
    reg_challenge_clear(&c);

    /* Bare tokens, spaces after commas, an error parameter; a second challenge is ignored. */
    assert_int_equal(reg_challenge_parse("bearer realm=http://h/t, service=s, error=insufficient_scope, "
                                         "Basic realm=x", &c), 0);
    assert_string_equal(c.realm, "http://h/t");
    assert_string_equal(c.service, "s");
    assert_string_equal(c.error, "insufficient_scope");
    assert_null(c.scope);
    reg_challenge_clear(&c);

    assert_int_equal(reg_challenge_parse("", &c), -1);
    assert_int_equal(reg_challenge_parse("Bearer realm=\"unterminated", &c), -1);
}

static void test_platforms(void **state)
{
    struct osbox_err err;
    struct reg_platform p;
    char *have = NULL;
    json_t *idx = json_loads(
        "{\"manifests\":["
        "{\"digest\":\"a\",\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v7\"}},"
        "{\"digest\":\"b\",\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}},"
        "{\"digest\":\"att\",\"annotations\":{}},"
        "{\"digest\":\"c\",\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}",
        0, NULL);

    (void)state;
    osbox_err_clear(&err);
    assert_int_equal(reg_platform_parse(NULL, &p, &err), 0);
    assert_string_equal(p.os, "linux");
    assert_int_equal(reg_platform_parse("linux/amd64", &p, &err), 0);
    assert_string_equal(json_string_value(json_object_get(reg_platform_select(idx, &p, &have), "digest")), "c");
    assert_string_equal(have, "linux/arm/v7, linux/arm64, linux/amd64");
    free(have);
    assert_int_equal(reg_platform_parse("linux/arm64/v8", &p, &err), 0);
    assert_string_equal(p.variant, "v8");
    assert_string_equal(json_string_value(json_object_get(reg_platform_select(idx, &p, &have), "digest")), "b");
    free(have);
    assert_int_equal(reg_platform_parse("linux/arm/v6", &p, &err), 0);
    assert_null(reg_platform_select(idx, &p, &have));
    free(have);
    assert_int_equal(reg_platform_parse("linux/arm", &p, &err), 0);
    assert_string_equal(json_string_value(json_object_get(reg_platform_select(idx, &p, &have), "digest")), "a");
    free(have);
    assert_int_equal(reg_platform_parse("amd64", &p, &err), -1);
    assert_int_equal(reg_platform_parse("linux/", &p, &err), -1);
    assert_int_equal(reg_platform_parse("/amd64", &p, &err), -1);
    assert_int_equal(reg_platform_parse("linux/arm/v7/x", &p, &err), -1);
    json_decref(idx);
}

static void test_loopback_hosts(void **state)
{
    (void)state;
    assert_true(reg_host_is_loopback("localhost"));
    assert_true(reg_host_is_loopback("localhost:5000"));
    assert_true(reg_host_is_loopback("127.0.0.1:5000"));
    assert_true(reg_host_is_loopback("127.3.4.5"));
    assert_true(reg_host_is_loopback("[::1]:5000"));
    assert_false(reg_host_is_loopback("128.0.0.1"));
    assert_false(reg_host_is_loopback("localhost.example.com"));
    assert_false(reg_host_is_loopback("10.0.0.1:5000"));
    assert_false(reg_host_is_loopback("docker.io"));
    assert_string_equal(reg_api_host("docker.io"), "registry-1.docker.io");
    assert_string_equal(reg_api_host("quay.io"), "quay.io");
}

static void endpoints(const char *conf, const char *domain, const char *want)
{
    char path[] = "/tmp/osbox-regconf-XXXXXX", got[512] = "";
    struct reg_endpoints e;
    struct osbox_err err;
    int fd = mkstemp(path);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, conf, strlen(conf)), (ssize_t)strlen(conf));
    close(fd);
    setenv("OSBOX_REGISTRIES_CONF", path, 1);
    osbox_err_clear(&err);
    assert_int_equal(reg_endpoints_for(domain, &e, &err), 0);
    for (size_t i = 0; i < e.n; i++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s%s", i ? " " : "", e.host[i],
                 e.insecure[i] ? "(insecure)" : "");
    assert_string_equal(got, want);
    reg_endpoints_clear(&e);
    unlink(path);
    unsetenv("OSBOX_REGISTRIES_CONF");
}

static void test_registries_conf(void **state)
{
    const char *conf =
        "# mirrors\n"
        "unqualified-search-registries = [\"docker.io\"]\n"
        "[[registry]]\n"
        "prefix = \"docker.io\"\n"
        "location = \"docker.io\"\n"
        "[[registry.mirror]]\n"
        "location = \"mirror.local:5000\"  # first\n"
        "insecure = true\n"
        "[[registry.mirror]]\n"
        "location = \"mirror2.local\"\n"
        "[[registry]]\n"
        "location = \"plain.local:5000\"\n"
        "insecure = true\n"
        "[[registry]]\n"
        "prefix = \"old.example\"\n"
        "location = \"new.example\"\n"
        "[aliases]\n"
        "\"x\" = \"y\"\n";

    (void)state;
    endpoints(conf, "docker.io", "mirror.local:5000(insecure) mirror2.local docker.io");
    endpoints(conf, "plain.local:5000", "plain.local:5000(insecure)");
    endpoints(conf, "old.example", "new.example");
    endpoints(conf, "quay.io", "quay.io");
    endpoints("", "quay.io", "quay.io");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_docker_normalisation),
        cmocka_unit_test(test_bad_references),
        cmocka_unit_test(test_challenges),
        cmocka_unit_test(test_platforms),
        cmocka_unit_test(test_loopback_hosts),
        cmocka_unit_test(test_registries_conf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
