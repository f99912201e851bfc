/* Image references, digests and tar member path cleaning. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "images/internal.h"

static void norm_ok(const char *in, const char *want)
{
    struct osbox_err err;
    char *out = NULL;

    osbox_err_clear(&err);
    assert_int_equal(images_ref_normalize(in, &out, &err), 0);
    assert_string_equal(out, want);
    free(out);
}

static void norm_bad(const char *in)
{
    struct osbox_err err;
    char *out = NULL;

    osbox_err_clear(&err);
    assert_int_equal(images_ref_normalize(in, &out, &err), -1);
    assert_non_null(strstr(err.msg, "invalid image reference"));
    assert_null(out);
}

static void test_ref_defaults_tag(void **state)
{
    (void)state;
    norm_ok("busybox", "busybox:latest");
    norm_ok("busybox:1.36", "busybox:1.36");
    norm_ok("library/debian:bookworm-slim", "library/debian:bookworm-slim");
    norm_ok("localhost:5000/x", "localhost:5000/x:latest");
    norm_ok("localhost:5000/x:v1", "localhost:5000/x:v1");
    norm_ok("docker.io/library/busybox:1", "busybox:1");
    norm_ok("docker.io/me/app", "me/app:latest");
    /* Pulled by digest: the tag goes, the digest stays. */
    norm_ok("localhost:5000/x@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "localhost:5000/x@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    norm_ok("docker.io/library/a:1@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "a@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_ref_rejects_junk(void **state)
{
    (void)state;
    norm_bad("");
    norm_bad("BusyBox");
    norm_bad("busybox:");
    norm_bad(":tag");
    norm_bad("a//b");
    norm_bad("/abs");
    norm_bad("bad name");
    norm_bad("x:-tag");
    norm_bad("a:b:c");
    norm_bad("a@sha256:abc");
    norm_bad("a@md5:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_digest_valid(void **state)
{
    char d[72];

    (void)state;
    images_sha256_buf("", 0, d);
    assert_string_equal(d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_true(images_digest_valid(d));
    assert_false(images_digest_valid("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
    assert_false(images_digest_valid("sha256:abc"));
    assert_false(images_digest_valid("sha512:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    assert_false(images_digest_valid("sha256:../../../../etc/passwd00000000000000000000000000000000000000"));
    assert_false(images_digest_valid(NULL));
}

static void clean_ok(const char *in, const char *want)
{
    char out[256];
    assert_int_equal(images_path_clean(in, out, sizeof out), 0);
    assert_string_equal(out, want);
}

static void test_path_clean(void **state)
{
    char out[256];

    (void)state;
    clean_ok("./etc/passwd", "etc/passwd");
    clean_ok("/etc//passwd", "etc/passwd");
    clean_ok("etc/./x/", "etc/x");
    clean_ok("./", "");
    clean_ok("a..b/..c", "a..b/..c");
    assert_int_equal(images_path_clean("../../etc/passwd", out, sizeof out), -1);
    assert_int_equal(images_path_clean("a/../../b", out, sizeof out), -1);
    assert_int_equal(images_path_clean("a/..", out, sizeof out), -1);
    assert_int_equal(images_path_clean("aaaaaaaaaa/bbbbbbbbbb", out, 8), -1);
}

static void test_media_types(void **state)
{
    (void)state;
    assert_int_equal(images_layer_compression("application/vnd.oci.image.layer.v1.tar"), 0);
    assert_int_equal(images_layer_compression("application/vnd.oci.image.layer.v1.tar+gzip"), 1);
    assert_int_equal(images_layer_compression("application/vnd.oci.image.layer.v1.tar+zstd"), 2);
    assert_int_equal(images_layer_compression("application/vnd.docker.image.rootfs.diff.tar.gzip"), 1);
    assert_int_equal(images_layer_compression("application/x-unknown"), -1);
    assert_int_equal(images_layer_compression(NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ref_defaults_tag),
        cmocka_unit_test(test_ref_rejects_junk),
        cmocka_unit_test(test_digest_valid),
        cmocka_unit_test(test_path_clean),
        cmocka_unit_test(test_media_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
