/* A bounded mutation run over the parsers that read what a registry (or a
 * user) sends: WWW-Authenticate challenges, references, manifests, indexes
 * and image configs. Seeds are valid inputs; each round applies a few random
 * edits (bit flips, byte insertions and deletions, truncation, a splice of a
 * token that matters to the grammar) with a fixed-seed PRNG, so a failure is
 * reproducible. Every parse must return 0 or -1 without crashing (run it under
 * `make SANITIZE=1` to catch overruns), fill a one-line error when it fails,
 * and, for references, give back a string that parses to the same reference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "images/internal.h"
#include "images/registry/registry.h"

#define ROUNDS 20000 /* per seed: about a quarter of a second in all */
#define D64 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

static const char *const tokens[] = {
    "\"", "\\", ",", "=", " ", "/", ":", "@", "sha256:", D64, "{", "}", "[", "]", "null", "-1",
    "1e999", "\"digest\"", "\"size\"", "\"layers\"", "\"manifests\"", "realm=", "\"\"", "\\\"",
    "\xff", "\xc3\x28", "%00", "..", "localhost", "A", "_", "__", "1234567890123456789012",
};

/* seed mutated into buf (NUL-terminated); returns its length. */
static size_t mutate(const char *seed, char *buf, size_t cap)
{
    size_t len = strlen(seed);
    if (len >= cap)
        len = cap - 1;
    memcpy(buf, seed, len);
    unsigned edits = 1 + next() % 4;
    for (unsigned e = 0; e < edits; e++) {
        size_t at = len ? next() % (len + 1) : 0;
        switch (next() % 5) {
        case 0: /* flip a bit */
            if (len)
                buf[at % len] ^= (char)(1u << (next() % 8));
            break;
        case 1: /* insert a random byte (never NUL: the parsers take C strings) */
            if (len + 1 < cap) {
                memmove(buf + at + 1, buf + at, len - at);
                buf[at] = (char)(1 + next() % 255);
                len++;
            }
            break;
        case 2: { /* delete a run */
            size_t n = 1 + next() % 8;
            if (at + n > len)
                n = len - at;
            memmove(buf + at, buf + at + n, len - at - n);
            len -= n;
            break;
        }
        case 3: /* truncate */
            len = at;
            break;
        default: { /* splice a token */
            const char *t = tokens[next() % (sizeof tokens / sizeof *tokens)];
            size_t n = strlen(t);
            if (len + n < cap) {
                memmove(buf + at + n, buf + at, len - at);
                memcpy(buf + at, t, n);
                len += n;
            }
        }
        }
    }
    buf[len] = '\0';
    return len;
}

static void one_line_error(const struct osbox_err *err, const char *input)
{
    if (!err->msg[0] || strchr(err->msg, '\n'))
        fail_msg("bad error for input '%s': '%s'", input, err->msg);
}

static void test_fuzz_challenges(void **state)
{
    static const char *const seeds[] = {
        "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
        "scope=\"repository:library/alpine:pull\"",
        "Basic realm=\"Registry \\\"Realm\\\"\"",
        "bearer realm=http://h/t, service=s, error=insufficient_scope, Basic realm=x",
    };
    char buf[512];

    (void)state;
    for (size_t s = 0; s < sizeof seeds / sizeof *seeds; s++)
        for (int i = 0; i < ROUNDS; i++) {
            struct reg_challenge c;
            mutate(seeds[s], buf, sizeof buf);
            int rc = reg_challenge_parse(buf, &c);
            if (rc == 0) {
                assert_non_null(c.scheme);
                reg_challenge_clear(&c);
            } else {
                assert_int_equal(rc, -1);
            }
        }
}

static void test_fuzz_references(void **state)
{
    static const char *const seeds[] = {
        "alpine", "library/alpine:3.19", "127.0.0.1:5000/a/b-c_d.e:v1",
        "localhost/x@sha256:" D64, "quay.io/org/img:tag@sha256:" D64, "[::1]:5000/x:1",
    };
    char buf[512];

    (void)state;
    for (size_t s = 0; s < sizeof seeds / sizeof *seeds; s++)
        for (int i = 0; i < ROUNDS; i++) {
            struct osbox_err err;
            struct reg_ref r, again;
            osbox_err_clear(&err);
            mutate(seeds[s], buf, sizeof buf);
            if (reg_ref_parse(buf, &r, &err) < 0) {
                one_line_error(&err, buf);
                continue;
            }
            char *str = reg_ref_string(&r), *name = NULL;
            /* What we print must parse to the same reference. */
            if (reg_ref_parse(str, &again, &err) < 0)
                fail_msg("'%s' parsed, its string '%s' does not: %s", buf, str, err.msg);
            assert_string_equal(again.domain, r.domain);
            assert_string_equal(again.path, r.path);
            if (reg_ref_store_name(&r, &name, &err) < 0)
                one_line_error(&err, buf);
            free(name);
            free(str);
            reg_ref_clear(&again);
            reg_ref_clear(&r);
        }
}

static void test_fuzz_manifests_and_configs(void **state)
{
    static const char *const manifests[] = {
        "{\"schemaVersion\":2,\"mediaType\":\"" REG_MT_OCI_MANIFEST "\","
        "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
        "\"digest\":\"sha256:" D64 "\",\"size\":7023},"
        "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
        "\"digest\":\"sha256:" D64 "\",\"size\":32654},"
        "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+zstd\","
        "\"digest\":\"sha256:" D64 "\",\"size\":16724}]}",
        "{\"schemaVersion\":2,\"mediaType\":\"" REG_MT_DOCKER_MANIFEST "\","
        "\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\","
        "\"digest\":\"sha256:" D64 "\",\"size\":1},"
        "\"layers\":[{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\","
        "\"digest\":\"sha256:" D64 "\",\"size\":0}]}",
    };
    static const char *const config =
        "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"PATH=/bin\"],"
        "\"Cmd\":[\"sh\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:" D64 "\","
        "\"sha256:" D64 "\"]}}";
    static const char *const index =
        "{\"schemaVersion\":2,\"manifests\":["
        "{\"digest\":\"sha256:" D64 "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v7\"}},"
        "{\"digest\":\"sha256:" D64 "\",\"size\":2,\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
        "{\"digest\":\"sha256:" D64 "\",\"annotations\":{}}]}";
    char buf[2048];
    struct osbox_err err;
    struct reg_platform pl;

    (void)state;
    osbox_err_clear(&err);
    assert_int_equal(reg_platform_parse("linux/amd64", &pl, &err), 0);
    for (int i = 0; i < 2 * ROUNDS; i++) {
        struct images_manifest m;
        size_t len = mutate(manifests[i % 2], buf, sizeof buf);
        osbox_err_clear(&err);
        if (images_manifest_parse(buf, len, &m, &err) == 0) {
            assert_true(m.n_layers == 0 || m.layers != NULL);
            for (size_t k = 0; k < m.n_layers; k++)
                assert_true(m.layers[k].size >= 0);
            images_manifest_clear(&m);
        } else {
            one_line_error(&err, buf);
        }
    }
    /* The fuzz run's first find (under ASan): the message quoted a string
     * of the JSON it had just freed. */
    struct images_config bad;
    static const char bad_config[] = "{\"rootfs\":{\"diff_ids\":[\"sha256:nothex\"]}}";
    assert_int_equal(images_config_parse(bad_config, sizeof bad_config - 1, &bad, &err), -1);
    assert_string_equal(err.msg, "invalid diff_id 'sha256:nothex'");
    for (int i = 0; i < ROUNDS; i++) {
        struct images_config c = { 0 };
        size_t len = mutate(config, buf, sizeof buf);
        osbox_err_clear(&err);
        if (images_config_parse(buf, len, &c, &err) == 0)
            images_config_clear(&c);
        else
            one_line_error(&err, buf);
    }
    for (int i = 0; i < ROUNDS; i++) {
        char *have = NULL;
        mutate(index, buf, sizeof buf);
        json_t *j = json_loads(buf, 0, NULL);
        if (!j)
            continue;
        (void)reg_platform_select(j, &pl, &have);
        free(have);
        json_decref(j);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fuzz_challenges),
        cmocka_unit_test(test_fuzz_references),
        cmocka_unit_test(test_fuzz_manifests_and_configs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
