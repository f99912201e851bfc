/* Lazily opened libraries (common/dl_*.h): a missing library or symbol is a
 * clear error naming what to install; the real ones resolve every entry point
 * and the tables then work like the library itself. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dlfcn.h>
#include <string.h>

#include "dl_archive.h"
#include "dl_crypto.h"
#include "dl_curl.h"
#include "dl_ext2fs.h"
#include "dl_nftables.h"
#include "dl_nl.h"

static void test_missing_library(void **state)
{
    void *slot = NULL;
    const struct osbox_dl_sym syms[] = { { "nothing", &slot } };
    struct osbox_dl_lib lib = { .soname = "libosbox-absent.so.7", .package = "osbox-absent7",
                                .syms = syms, .nsyms = 1 };
    struct osbox_err err = { 0 };

    (void)state;
    assert_int_equal(osbox_dl_load(&lib, &err), -1);
    assert_non_null(strstr(err.msg, "libosbox-absent.so.7 not found: install osbox-absent7"));
    assert_null(lib.handle);
    assert_int_equal(osbox_dl_load(&lib, NULL), -1); /* NULL err is allowed */
}

static void test_missing_symbol(void **state)
{
    void *a = NULL, *b = NULL;
    const struct osbox_dl_sym syms[] = { { "archive_read_new", &a },
                                         { "archive_no_such_function", &b } };
    struct osbox_dl_lib lib = { .soname = "libarchive.so.13", .package = "libarchive13",
                                .syms = syms, .nsyms = 2 };
    struct osbox_err err = { 0 };

    (void)state;
    assert_int_equal(osbox_dl_load(&lib, &err), -1);
    assert_string_equal(err.msg, "libarchive.so.13 has no archive_no_such_function: install a "
                                 "newer libarchive13");
    assert_null(lib.handle);
}

static void *loaded(const char *soname, const char *sym)
{
    void *h = dlopen(soname, RTLD_NOW | RTLD_NOLOAD);
    return h ? dlsym(h, sym) : NULL;
}

static void test_real_libraries(void **state)
{
    struct osbox_err err = { 0 };

    (void)state;
    assert_int_equal(lazy_archive_load(&err), 0);
    assert_int_equal(lazy_archive_load(&err), 0); /* once is enough, twice is harmless */
    assert_int_equal(lazy_nftables_load(&err), 0);
    assert_int_equal(lazy_ext2fs_load(&err), 0);
    assert_int_equal(lazy_crypto_load(&err), 0);
    assert_int_equal(lazy_nl_load(&err), 0);
    assert_int_equal(lazy_curl_load(&err), 0);
    /* The names now stand for the table entries: the loaded library's own. */
    assert_ptr_equal(&archive_read_new, loaded("libarchive.so.13", "archive_read_new"));
    assert_ptr_equal(&nft_ctx_new, loaded("libnftables.so.1", "nft_ctx_new"));
    assert_ptr_equal(&unix_io_manager, loaded("libext2fs.so.2", "unix_io_manager"));
    assert_ptr_equal(&EVP_sha256, loaded("libcrypto.so.3", "EVP_sha256"));
    assert_ptr_equal(&rtnl_link_alloc, loaded("libnl-route-3.so.200", "rtnl_link_alloc"));
    assert_ptr_equal(&nl_socket_alloc, loaded("libnl-3.so.200", "nl_socket_alloc")); /* a dependency */
    assert_ptr_equal(&curl_easy_setopt, loaded("libcurl.so.4", "curl_easy_setopt"));
}

/* Through the name macros: sha256("abc") and a libarchive object. */
static void test_calls_through_tables(void **state)
{
    unsigned char md[32];
    unsigned int len = 0;
    struct osbox_err err = { 0 };
    struct archive *a;

    (void)state;
    assert_int_equal(lazy_crypto_load(&err), 0);
    assert_int_equal(EVP_Digest("abc", 3, md, &len, EVP_sha256(), NULL), 1);
    assert_int_equal(len, 32);
    assert_int_equal(md[0], 0xba);
    assert_int_equal(md[31], 0xad);
    assert_int_equal(lazy_archive_load(&err), 0);
    a = archive_write_new();
    assert_non_null(a);
    assert_int_equal(archive_write_free(a), ARCHIVE_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_library),
        cmocka_unit_test(test_missing_symbol),
        cmocka_unit_test(test_real_libraries),
        cmocka_unit_test(test_calls_through_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
