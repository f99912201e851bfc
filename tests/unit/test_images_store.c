/* The image store below the CLI: safe layer extraction (whiteouts, escapes,
 * devices, modes), digest verification, load + resolve, gc. Layers are
 * written here with libarchive so each case controls its tar exactly. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "images/internal.h"
#include "util.h"

struct ent {
    const char *path;
    mode_t type;        /* AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR, AE_IFIFO; 0 = hardlink */
    const char *data;   /* file content, symlink or hardlink target */
    mode_t perm;
    dev_t rdev;
};

static char scratch[256];

static bool use_zstd;

static void write_tar(const char *path, const struct ent *e, size_t n, bool gzip)
{
    struct archive *a = archive_write_new();

    archive_write_set_format_pax_restricted(a);
    if (gzip && use_zstd)
        archive_write_add_filter_zstd(a);
    else if (gzip)
        archive_write_add_filter_gzip(a);
    assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *ae = archive_entry_new();
        archive_entry_set_pathname(ae, e[i].path);
        archive_entry_set_perm(ae, e[i].perm ? e[i].perm : 0644);
        archive_entry_set_mtime(ae, 1000, 0);
        if (e[i].type == 0) {
            archive_entry_set_filetype(ae, AE_IFREG);
            archive_entry_set_hardlink(ae, e[i].data);
            archive_entry_set_size(ae, 0);
        } else {
            archive_entry_set_filetype(ae, e[i].type);
            if (e[i].type == AE_IFLNK)
                archive_entry_set_symlink(ae, e[i].data);
            if (e[i].type == AE_IFCHR)
                archive_entry_set_rdev(ae, e[i].rdev);
            archive_entry_set_size(ae, e[i].type == AE_IFREG && e[i].data ? strlen(e[i].data) : 0);
        }
        assert_int_equal(archive_write_header(a, ae), ARCHIVE_OK);
        if (e[i].type == AE_IFREG && e[i].data)
            archive_write_data(a, e[i].data, strlen(e[i].data));
        archive_entry_free(ae);
    }
    archive_write_close(a);
    archive_write_free(a);
}

static char *file_sha(const char *path)
{
    char *text, d[72];
    size_t len;
    struct osbox_err err;

    assert_int_equal(osbox_read_file(path, &text, &len, &err), 0);
    images_sha256_buf(text, len, d);
    free(text);
    return osbox_xstrdup(d);
}

static int setup(void **state)
{
    (void)state;
    snprintf(scratch, sizeof scratch, "/tmp/osbox-unit-images.XXXXXX");
    assert_non_null(mkdtemp(scratch));
    setenv("OSBOX_ROOT", scratch, 1);
    return 0;
}

static int teardown(void **state)
{
    struct osbox_err err;
    (void)state;
    osbox_rm_rf(scratch, &err);
    return 0;
}

/* Extract a tar built from ents into a fresh dir; returns rc, err filled. */
static int extract(const struct ent *e, size_t n, bool gz, char **dir_out, char diff[72],
                   struct osbox_err *err)
{
    char *tar = osbox_strdup_printf("%s/layer.tar", scratch);
    char *dir = osbox_strdup_printf("%s/root", scratch);
    struct osbox_err ignored;
    int rc;

    osbox_rm_rf(dir, &ignored);
    unlink(tar);
    assert_int_equal(mkdir(dir, 0755), 0);
    write_tar(tar, e, n, gz);
    osbox_err_clear(err);
    rc = images_extract_layer(tar, dir, diff, NULL, err);
    free(tar);
    *dir_out = dir;
    return rc;
}

static void test_whiteouts(void **state)
{
    const struct ent e[] = {
        { "d/", AE_IFDIR, NULL, 0755, 0 },
        { "d/.wh..wh..opq", AE_IFREG, "", 0, 0 },
        { "d/new", AE_IFREG, "n", 0, 0 },
        { ".wh.gone", AE_IFREG, "", 0, 0 },
        { "sub/.wh.x", AE_IFREG, "", 0, 0 },
    };
    struct osbox_err err;
    char diff[72], buf[8];
    char *dir;
    struct stat st;

    (void)state;
    assert_int_equal(extract(e, 5, false, &dir, diff, &err), 0);
    char *p = osbox_strdup_printf("%s/gone", dir);
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISCHR(st.st_mode));
    assert_int_equal(st.st_rdev, makedev(0, 0));
    free(p);
    p = osbox_strdup_printf("%s/sub/x", dir);
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISCHR(st.st_mode));
    free(p);
    p = osbox_strdup_printf("%s/d", dir);
    assert_int_equal(getxattr(p, "trusted.overlay.opaque", buf, sizeof buf), 1);
    assert_int_equal(buf[0], 'y');
    free(p);
    p = osbox_strdup_printf("%s/d/.wh..wh..opq", dir);
    assert_int_equal(access(p, F_OK), -1);
    free(p);
    free(dir);
}

static void test_diff_id_is_uncompressed_hash(void **state)
{
    const struct ent e[] = { { "a", AE_IFREG, "hello", 0, 0 } };
    struct osbox_err err;
    char diff[72], *dir, *tar = osbox_strdup_printf("%s/layer.tar", scratch);
    char *plain = osbox_strdup_printf("%s/plain.tar", scratch);

    (void)state;
    write_tar(plain, e, 1, false);
    char *want = file_sha(plain);
    assert_int_equal(extract(e, 1, true, &dir, diff, &err), 0);
    assert_string_equal(diff, want);
    char *gz = file_sha(tar);
    assert_string_not_equal(gz, want); /* the blob digest differs: it is compressed */
    free(gz);
    free(want);
    free(tar);
    free(plain);
    free(dir);
}

static void test_zstd_layer(void **state)
{
    use_zstd = true;
    test_diff_id_is_uncompressed_hash(state);
    use_zstd = false;
}

static void expect_reject(const struct ent *e, size_t n, const char *needle)
{
    struct osbox_err err;
    char diff[72], *dir;
    char *outside = osbox_strdup_printf("%s/outside", scratch);
    struct stat st;

    mkdir(outside, 0755);
    assert_int_equal(extract(e, n, false, &dir, diff, &err), -1);
    if (!strstr(err.msg, needle))
        fail_msg("'%s' does not mention '%s'", err.msg, needle);
    /* Nothing appeared next to the layer directory. */
    char *f = osbox_strdup_printf("%s/f", outside);
    assert_int_equal(stat(f, &st), -1);
    free(f);
    free(outside);
    free(dir);
}

static void test_rejects_dotdot(void **state)
{
    const struct ent a[] = { { "../outside/f", AE_IFREG, "x", 0, 0 } };
    const struct ent b[] = { { "a/../../outside/f", AE_IFREG, "x", 0, 0 } };
    (void)state;
    expect_reject(a, 1, "outside the layer");
    expect_reject(b, 1, "outside the layer");
}

static void test_rejects_symlink_traversal(void **state)
{
    char *target = osbox_strdup_printf("%s/outside", scratch);
    const struct ent a[] = { { "l", AE_IFLNK, target, 0777, 0 }, { "l/f", AE_IFREG, "x", 0, 0 } };
    const struct ent b[] = { { "l", AE_IFLNK, "../outside", 0777, 0 },
                             { "l/f", AE_IFREG, "x", 0, 0 } };
    const struct ent c[] = { { "l", AE_IFLNK, "/", 0777, 0 }, { "l/", AE_IFDIR, NULL, 0755, 0 },
                             { "l/f", AE_IFREG, "x", 0, 0 } };
    struct osbox_err err;
    char diff[72], *dir;
    struct stat st;

    (void)state;
    /* A directory the extractor has just used, replaced by a symlink, then
     * written through: the replacement must be seen, not a stale handle. */
    const struct ent r[] = { { "e/", AE_IFDIR, NULL, 0755, 0 },
                             { "e/.wh..wh..opq", AE_IFREG, "", 0, 0 },
                             { "e", AE_IFLNK, "../outside", 0777, 0 },
                             { "e/f", AE_IFREG, "x", 0, 0 } };
    expect_reject(a, 2, "symlink");
    expect_reject(b, 2, "symlink");
    expect_reject(r, 4, "symlink");
    /* A directory entry replaces an earlier symlink of the same name; then
     * "l/f" lands in that real directory, inside the layer. */
    assert_int_equal(extract(c, 3, false, &dir, diff, &err), 0);
    char *p = osbox_strdup_printf("%s/l/f", dir);
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    p[strlen(p) - 2] = '\0';
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    free(p);
    free(dir);
    free(target);
}

static void test_rejects_hardlink_escape(void **state)
{
    const struct ent a[] = { { "h", 0, "/etc/shadow", 0, 0 } };
    const struct ent b[] = { { "h", 0, "../outside/f", 0, 0 } };
    const struct ent c[] = { { "h", 0, "etc/shadow", 0, 0 } };
    const struct ent d[] = { { "l", AE_IFLNK, "/etc", 0777, 0 }, { "h", 0, "l/shadow", 0, 0 } };
    (void)state;
    expect_reject(a, 1, "hardlink target");
    expect_reject(b, 1, "hardlink target");
    expect_reject(c, 1, "not in the layer");
    expect_reject(d, 2, "symlink");
}

static void test_hardlink_inside_and_modes(void **state)
{
    const struct ent e[] = {
        { "bin/", AE_IFDIR, NULL, 0755, 0 },
        { "bin/su", AE_IFREG, "suid", 04755, 0 },
        { "bin/su2", 0, "bin/su", 0, 0 },
        { "dev/null", AE_IFCHR, NULL, 0666, makedev(1, 3) },
        { "fifo", AE_IFIFO, NULL, 0600, 0 },
        { "abs", AE_IFLNK, "/bin/su", 0777, 0 },
    };
    struct osbox_err err;
    char diff[72], *dir;
    struct stat st, st2;

    (void)state;
    assert_int_equal(extract(e, 6, false, &dir, diff, &err), 0);
    char *p = osbox_strdup_printf("%s/bin/su", dir), *q = osbox_strdup_printf("%s/bin/su2", dir);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 04755);
    assert_int_equal(stat(q, &st2), 0);
    assert_int_equal(st.st_ino, st2.st_ino);
    free(p);
    free(q);
    p = osbox_strdup_printf("%s/dev/null", dir);
    assert_int_equal(lstat(p, &st), -1); /* device nodes are not created */
    free(p);
    p = osbox_strdup_printf("%s/fifo", dir);
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    free(p);
    free(dir);
}

static void test_copy_verified_checks_digest_and_size(void **state)
{
    char *src = osbox_strdup_printf("%s/src", scratch), *dst = osbox_strdup_printf("%s/dst", scratch);
    struct osbox_err err;
    char d[72];
    int fd;

    (void)state;
    assert_int_equal(osbox_write_file(src, "abc", 3, 0600, &err), 0);
    images_sha256_buf("abc", 3, d);
    fd = open(src, O_RDONLY);
    assert_int_equal(images_copy_verified(fd, dst, d, 3, "blob", NULL, &err), 0);
    close(fd);
    unlink(dst);
    fd = open(src, O_RDONLY);
    assert_int_equal(images_copy_verified(fd, dst, d, 2, "blob", NULL, &err), -1);
    assert_non_null(strstr(err.msg, "declared"));
    close(fd);
    unlink(dst);
    d[10] ^= 1;
    fd = open(src, O_RDONLY);
    assert_int_equal(images_copy_verified(fd, dst, d, 3, "blob", NULL, &err), -1);
    assert_non_null(strstr(err.msg, "digest mismatch"));
    close(fd);
    free(src);
    free(dst);
}

/* A one-image OCI layout with the given layer tars. Returns the manifest digest. */
static char *make_layout(const char *dir, const char *const *tars, size_t n)
{
    struct osbox_err err;
    json_t *ids = json_array(), *layers = json_array(), *config, *manifest, *index;
    char *blobs = osbox_strdup_printf("%s/blobs/sha256", dir), *text, *p, d[72];
    struct stat st;

    assert_int_equal(osbox_mkdir_p(blobs, 0755, &err), 0);
    for (size_t i = 0; i < n; i++) {
        char *sha = file_sha(tars[i]);
        stat(tars[i], &st);
        json_array_append_new(ids, json_string(sha));
        json_array_append_new(layers, json_pack("{s:s,s:s,s:I}", "mediaType",
                                                "application/vnd.oci.image.layer.v1.tar",
                                                "digest", sha, "size", (json_int_t)st.st_size));
        p = osbox_strdup_printf("%s/%s", blobs, sha + 7);
        char *cmd = osbox_strdup_printf("cp %s %s", tars[i], p);
        assert_int_equal(system(cmd), 0);
        free(cmd);
        free(p);
        free(sha);
    }
    config = json_pack("{s:{s:[s],s:[s],s:[s,s],s:s,s:s,s:{s:{}}},s:{s:s,s:o}}", "config",
                       "Env", "PATH=/bin", "Entrypoint", "/bin/ep", "Cmd", "a", "b",
                       "WorkingDir", "/w", "User", "1000:1000", "ExposedPorts", "8080/tcp",
                       "rootfs", "type", "layers", "diff_ids", ids);
    text = json_dumps(config, JSON_COMPACT);
    images_sha256_buf(text, strlen(text), d);
    p = osbox_strdup_printf("%s/%s", blobs, d + 7);
    osbox_write_file(p, text, strlen(text), 0644, &err);
    manifest = json_pack("{s:i,s:s,s:{s:s,s:s,s:I},s:o}", "schemaVersion", 2, "mediaType",
                         "application/vnd.oci.image.manifest.v1+json", "config", "mediaType",
                         "application/vnd.oci.image.config.v1+json", "digest", d, "size",
                         (json_int_t)strlen(text), "layers", layers);
    free(text);
    free(p);
    text = json_dumps(manifest, JSON_COMPACT);
    images_sha256_buf(text, strlen(text), d);
    p = osbox_strdup_printf("%s/%s", blobs, d + 7);
    osbox_write_file(p, text, strlen(text), 0644, &err);
    index = json_pack("{s:i,s:[{s:s,s:s,s:I,s:{s:s}}]}", "schemaVersion", 2, "manifests",
                      "mediaType", "application/vnd.oci.image.manifest.v1+json", "digest", d,
                      "size", (json_int_t)strlen(text), "annotations",
                      "org.opencontainers.image.ref.name", "unit:test");
    free(p);
    free(text);
    p = osbox_strdup_printf("%s/index.json", dir);
    json_dump_file(index, p, 0);
    free(p);
    p = osbox_strdup_printf("%s/oci-layout", dir);
    osbox_write_file(p, "{\"imageLayoutVersion\":\"1.0.0\"}", 30, 0644, &err);
    free(p);
    json_decref(config);
    json_decref(manifest);
    json_decref(index);
    free(blobs);
    return osbox_xstrdup(d);
}

static void test_load_and_resolve(void **state)
{
    const struct ent l1[] = { { "etc/", AE_IFDIR, NULL, 0755, 0 }, { "etc/a", AE_IFREG, "1", 0, 0 } };
    const struct ent l2[] = { { "etc/.wh.a", AE_IFREG, "", 0, 0 } };
    char *t1 = osbox_strdup_printf("%s/l1.tar", scratch), *t2 = osbox_strdup_printf("%s/l2.tar", scratch);
    char *layout = osbox_strdup_printf("%s/img.oci", scratch);
    const char *tars[] = { t1, t2 };
    struct osbox_image *img = NULL;
    struct osbox_err err;
    char **loaded = NULL;

    (void)state;
    write_tar(t1, l1, 2, false);
    write_tar(t2, l2, 1, false);
    char *digest = make_layout(layout, tars, 2);
    osbox_err_clear(&err);
    assert_int_equal(images_load_oci_dir(layout, NULL, &loaded, &err), 0);
    assert_string_equal(loaded[0], "unit:test");
    assert_int_equal(images_resolve("unit:test", &img, &err), 0);
    assert_string_equal(img->digest, digest);
    assert_string_equal(img->ref, "unit:test");
    assert_int_equal(osbox_strv_len(img->layers), 2);
    assert_string_equal(img->env[0], "PATH=/bin");
    assert_string_equal(img->entrypoint[0], "/bin/ep");
    assert_string_equal(img->cmd[1], "b");
    assert_string_equal(img->workdir, "/w");
    assert_string_equal(img->user, "1000:1000");
    assert_string_equal(img->exposed_ports[0], "8080/tcp");
    char *bottom = osbox_xstrdup(img->layers[0]);
    images_image_free(img);
    /* By id prefix and by full manifest digest. */
    assert_int_equal(images_resolve(digest, &img, &err), 0);
    images_image_free(img);
    assert_int_equal(images_resolve("unit", &img, &err), -1);
    assert_string_equal(err.msg, "image 'unit' not found");
    /* A vanished layer directory is named in the error. */
    assert_int_equal(osbox_rm_rf(bottom, &err), 0);
    assert_int_equal(images_resolve("unit:test", &img, &err), -1);
    assert_non_null(strstr(err.msg, bottom));
    assert_non_null(strstr(err.msg, "missing"));
    /* Loading again restores it from the stored blob. */
    assert_int_equal(images_load_oci_dir(layout, NULL, NULL, &err), 0);
    assert_int_equal(images_resolve("unit:test", &img, &err), 0);
    images_image_free(img);
    free(bottom);
    free(digest);
    osbox_strv_free(loaded);
    free(t1);
    free(t2);
    free(layout);
}

static void test_gc_removes_debris_only(void **state)
{
    const struct ent l1[] = { { "x", AE_IFREG, "1", 0, 0 } };
    char *t1 = osbox_strdup_printf("%s/g.tar", scratch), *layout = osbox_strdup_printf("%s/g.oci", scratch);
    const char *tars[] = { t1 };
    struct images_gc_stats st;
    struct osbox_err err;
    struct osbox_image *img;

    (void)state;
    write_tar(t1, l1, 1, false);
    free(make_layout(layout, tars, 1));
    assert_int_equal(images_load_oci_dir(layout, NULL, NULL, &err), 0);
    /* What a killed import leaves, and an orphan blob and layer. */
    char *junk = osbox_strdup_printf("%s/images/tmp/deadbeef/layers/x", scratch);
    char *orphan = osbox_strdup_printf("%s/images/blobs/sha256/%064d", scratch, 0);
    char *olayer = osbox_strdup_printf("%s/images/layers/%064d", scratch, 1);
    assert_int_equal(osbox_mkdir_p(junk, 0755, &err), 0);
    assert_int_equal(osbox_write_file(orphan, "x", 1, 0600, &err), 0);
    assert_int_equal(osbox_mkdir_p(olayer, 0755, &err), 0);
    char *itmp = osbox_strdup_printf("%s/images/index.json.tmp.123", scratch);
    assert_int_equal(osbox_write_file(itmp, "{", 1, 0600, &err), 0);
    assert_int_equal(images_gc(NULL, &st, &err), 0);
    assert_int_equal(st.temp, 2);
    assert_int_equal(access(itmp, F_OK), -1);
    free(itmp);
    assert_int_equal(st.blobs, 1);
    assert_int_equal(st.layers, 1);
    assert_int_equal(access(orphan, F_OK), -1);
    assert_int_equal(access(olayer, F_OK), -1);
    assert_int_equal(images_resolve("unit:test", &img, &err), 0); /* still whole */
    images_image_free(img);
    assert_int_equal(images_gc(NULL, &st, &err), 0);
    assert_int_equal(st.temp + st.blobs + st.layers, 0);
    free(junk);
    free(orphan);
    free(olayer);
    free(t1);
    free(layout);
}

static char *run(const char *cmd)
{
    FILE *f = popen(cmd, "r");
    static char out[8192];
    size_t n;

    assert_non_null(f);
    n = fread(out, 1, sizeof out - 1, f);
    out[n] = '\0';
    assert_int_equal(pclose(f), 0);
    return out;
}

static void test_ext2_disk_merges_layers(void **state)
{
    const struct ent l1[] = {
        { "etc/", AE_IFDIR, NULL, 0755, 0 },
        { "etc/gone", AE_IFREG, "deleted above", 0, 0 },
        { "etc/kept", AE_IFREG, "kept", 0, 0 },
        { "opq/", AE_IFDIR, NULL, 0755, 0 },
        { "opq/hidden", AE_IFREG, "hidden", 0, 0 },
        { "bin/", AE_IFDIR, NULL, 0755, 0 },
        { "bin/tool", AE_IFREG, "#!/bin/sh\n", 04755, 0 },
        { "bin/alias", 0, "bin/tool", 0, 0 },
    };
    const struct ent l2[] = {
        { "etc/.wh.gone", AE_IFREG, "", 0, 0 },
        { "opq/.wh..wh..opq", AE_IFREG, "", 0, 0 },
        { "opq/new", AE_IFREG, "new", 0, 0 },
        { "link", AE_IFLNK, "/etc/kept", 0777, 0 },
    };
    char *t1 = osbox_strdup_printf("%s/d1.tar", scratch), *t2 = osbox_strdup_printf("%s/d2.tar", scratch);
    char *layout = osbox_strdup_printf("%s/d.oci", scratch), *disk = NULL, *disk2 = NULL, *cmd;
    const char *tars[] = { t1, t2 };
    struct osbox_err err;
    struct images_gc_stats st;
    char *out;

    (void)state;
    if (system("command -v debugfs >/dev/null && command -v e2fsck >/dev/null") != 0)
        skip();
    write_tar(t1, l1, 8, false);
    write_tar(t2, l2, 4, false);
    free(make_layout(layout, tars, 2));
    osbox_err_clear(&err);
    assert_int_equal(images_load_oci_dir(layout, NULL, NULL, &err), 0);
    if (images_ext2_disk("unit:test", 1 << 20, &disk, &err) < 0)
        fail_msg("%s", err.msg);
    cmd = osbox_strdup_printf("e2fsck -fn %s 2>&1", disk);
    run(cmd); /* exit 0: clean */
    free(cmd);
    cmd = osbox_strdup_printf("debugfs -R 'ls -p /etc' %s 2>/dev/null; debugfs -R 'ls -p /opq' %s 2>/dev/null", disk, disk);
    out = run(cmd);
    free(cmd);
    assert_non_null(strstr(out, "/kept/"));
    assert_null(strstr(out, "/gone/"));
    assert_non_null(strstr(out, "/new/"));
    assert_null(strstr(out, "/hidden/"));
    cmd = osbox_strdup_printf("debugfs -R 'cat /etc/kept' %s 2>/dev/null; debugfs -R 'stat /bin/tool' %s 2>/dev/null | grep -E 'Mode|Links'; debugfs -R 'stat /link' %s 2>/dev/null | grep -i 'fast link'", disk, disk, disk);
    out = run(cmd);
    free(cmd);
    assert_non_null(strstr(out, "kept"));
    assert_non_null(strstr(out, "Mode:  04755"));
    assert_non_null(strstr(out, "Links: 2"));
    assert_non_null(strstr(out, "/etc/kept"));
    /* Cached: the same path, built once; gone with the image. */
    assert_int_equal(images_ext2_disk("unit:test", 1 << 20, &disk2, &err), 0);
    assert_string_equal(disk, disk2);
    assert_int_equal(images_remove("unit:test", false, NULL, NULL, NULL, &err), 0);
    assert_int_equal(access(disk, F_OK), -1);
    assert_int_equal(images_gc(NULL, &st, &err), 0);
    free(disk);
    free(disk2);
    free(t1);
    free(t2);
    free(layout);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_whiteouts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_diff_id_is_uncompressed_hash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zstd_layer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejects_dotdot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejects_symlink_traversal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejects_hardlink_escape, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hardlink_inside_and_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_copy_verified_checks_digest_and_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_and_resolve, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gc_removes_debris_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ext2_disk_merges_layers, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
