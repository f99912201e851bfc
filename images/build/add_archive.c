/* ADD of a local tar archive (plain, gzip, bzip2, xz; told by content, as
 * Docker does): its entries go into the layer under the destination instead
 * of the file itself. No entry may land outside the destination: ".."
 * components, and paths through a symlink the archive made, are refused. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dl_archive.h"
#include "images/build/build.h"
#include "util.h"

static struct archive *open_archive(const char *path)
{
    struct archive *a = archive_read_new();

    if (!a)
        return NULL;
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_bzip2(a);
    archive_read_support_filter_xz(a);
    archive_read_support_format_tar(a);
    if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
        archive_read_free(a);
        return NULL;
    }
    return a;
}

bool build_is_archive(const char *path)
{
    struct archive_entry *e;
    struct archive *a;
    bool yes;
    struct osbox_err ignored;

    if (lazy_archive_load(&ignored) < 0 || !(a = open_archive(path)))
        return false;
    yes = archive_read_next_header(a, &e) == ARCHIVE_OK;
    archive_read_free(a);
    return yes;
}

/* name cleaned to a relative path inside the destination (leading "/" and
 * "./" dropped, as tar does); -1 when a ".." would climb out. */
static int inside(const char *name, char *out, size_t size)
{
    while (*name == '/')
        name++;
    for (const char *p = name; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && !strncmp(p, "..", 2))
            return -1;
        p += n;
        p += *p == '/';
    }
    return images_path_clean(name, out, size);
}

/* Does rel go through (not end at) a symlink the archive made? */
static bool through_symlink(json_t *symlinks, const char *rel)
{
    char buf[4096];

    snprintf(buf, sizeof buf, "%s", rel);
    for (char *s = strrchr(buf, '/'); s; s = strrchr(buf, '/')) {
        *s = 0;
        if (json_object_get(symlinks, buf))
            return true;
    }
    return false;
}

int layer_writer_add_archive(struct layer_writer *w, const char *archive, const char *shown,
                             const char *dest, struct osbox_err *err)
{
    struct archive *a;
    struct archive_entry *e;
    json_t *symlinks = json_object();
    const char *base = dest[0] == '/' ? dest + 1 : dest;
    int r, rc = -1;

    if (lazy_archive_load(err) < 0)
        return -1;
    if (!(a = open_archive(archive))) {
        json_decref(symlinks);
        return osbox_error(err, 0, "ADD archive '%s': cannot be read", shown);
    }
    while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        char rel[4096], link[4096];
        const char *hl = archive_entry_hardlink(e);
        if (inside(archive_entry_pathname(e), rel, sizeof rel) < 0 || through_symlink(symlinks, rel) ||
            (hl && inside(hl, link, sizeof link) < 0)) {
            osbox_error(err, 0, "ADD archive '%s': entry '%s' escapes the destination", shown,
                        archive_entry_pathname(e));
            goto out;
        }
        if (!rel[0])
            continue; /* "./": the destination itself */
        _cleanup_free_ char *name = osbox_strdup_printf("%s%s%s", base, *base ? "/" : "", rel);
        if (archive_entry_filetype(e) == AE_IFLNK)
            json_object_set_new(symlinks, rel, json_true());
        archive_entry_set_pathname(e, name);
        if (hl) {
            _cleanup_free_ char *target = osbox_strdup_printf("%s%s%s", base, *base ? "/" : "", link);
            archive_entry_set_hardlink(e, target);
        }
        if (w->clamp >= 0 && archive_entry_mtime(e) > w->clamp)
            archive_entry_set_mtime(e, w->clamp, 0);
        if (archive_write_header(w->a, e) < ARCHIVE_WARN) {
            osbox_error(err, w->failed ? EIO : 0, "tar entry '%s': %s", name, archive_error_string(w->a));
            goto out;
        }
        const void *buf;
        size_t len;
        int64_t off;
        while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK)
            if (archive_write_data(w->a, buf, len) != (la_ssize_t)len) {
                osbox_error(err, w->failed ? EIO : 0, "tar entry '%s': %s", name,
                            archive_error_string(w->a));
                goto out;
            }
        if (r != ARCHIVE_EOF)
            break;
    }
    if (r != ARCHIVE_EOF) {
        osbox_error(err, 0, "ADD archive '%s': %s", shown, archive_error_string(a));
        goto out;
    }
    rc = 0;
out:
    archive_read_free(a);
    json_decref(symlinks);
    return rc;
}
