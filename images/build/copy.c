/* COPY/ADD as a layer: the sources (context files, or a stage's merged
 * layers for --from) written straight into the layer tar under dest, with
 * Docker's rules: a directory source copies its contents, a file goes into
 * dest when dest is a directory (a trailing '/', several sources, or a
 * directory already in the image), owners 0:0 unless --chown, modes and
 * mtimes kept. The parents of dest get their entry too: the image's own
 * attributes when the image has them, else 0755 root. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "images/build/build.h"
#include "util.h"

static bool is_whiteout(const struct stat *st)
{
    return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static bool is_opaque(const char *path)
{
    char v[4] = "";
    return lgetxattr(path, "trusted.overlay.opaque", v, sizeof v) > 0 && v[0] == 'y';
}

char **build_image_roots(const struct build_image *img)
{
    char **v = osbox_xcalloc(1, sizeof *v);

    for (size_t i = osbox_strv_len(img->layer_dirs); i > 0; i--)
        osbox_strv_push(&v, img->layer_dirs[i - 1]);
    return v;
}

/* In layer root: is rel hidden below this layer (a whiteout or an opaque dir
 * on it or one of its parents)? */
static bool hides_below(const char *root, const char *rel)
{
    _cleanup_free_ char *r = osbox_xstrdup(rel);
    struct stat st;

    for (;;) {
        _cleanup_free_ char *p = osbox_strdup_printf("%s/%s", root, r);
        if (lstat(p, &st) == 0 && (is_whiteout(&st) || (S_ISDIR(st.st_mode) && strcmp(r, rel) && is_opaque(p))))
            return true;
        char *slash = strrchr(r, '/');
        if (!slash)
            return false;
        *slash = 0;
    }
}

char *build_merged_lookup(char *const *roots, const char *rel)
{
    struct stat st;

    for (size_t i = 0; roots && roots[i]; i++) {
        char *p = !strcmp(rel, ".") || !*rel ? osbox_xstrdup(roots[i])
                                             : osbox_strdup_printf("%s/%s", roots[i], rel);
        if (lstat(p, &st) == 0)
            return is_whiteout(&st) ? (free(p), NULL) : p;
        free(p);
        if (*rel && strcmp(rel, ".") && hides_below(roots[i], rel))
            return NULL;
    }
    return NULL;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of rel's merged directory, sorted. */
static char **merged_entries(char *const *roots, const char *rel)
{
    char **v = osbox_xcalloc(1, sizeof *v);

    for (size_t i = 0; roots && roots[i]; i++) {
        _cleanup_free_ char *p = strcmp(rel, ".") ? osbox_strdup_printf("%s/%s", roots[i], rel)
                                                  : osbox_xstrdup(roots[i]);
        struct stat st;
        if (lstat(p, &st) < 0) {
            if (strcmp(rel, ".") && hides_below(roots[i], rel))
                break;
            continue;
        }
        if (!S_ISDIR(st.st_mode))
            break;
        DIR *d = opendir(p);
        struct dirent *de;
        while (d && (de = readdir(d))) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                continue;
            bool have = false;
            for (size_t k = 0; v[k] && !have; k++)
                have = !strcmp(v[k], de->d_name);
            if (!have)
                osbox_strv_push(&v, de->d_name);
        }
        if (d)
            closedir(d);
        if (is_opaque(p))
            break;
    }
    qsort(v, osbox_strv_len(v), sizeof *v, by_name);
    return v;
}

static int add_entry(struct layer_writer *w, const struct build_copy *c, const char *name,
                     const char *host, struct osbox_err *err)
{
    long dflt = c->keep_owner ? -1 : 0;
    long uid = c->uid >= 0 ? c->uid : dflt, gid = c->gid >= 0 ? c->gid : c->uid >= 0 ? c->uid : dflt;
    int rc;

    w->mode = c->chmod; /* --chmod: the tar gets the new mode, the source stays as it is */
    rc = layer_writer_add_file(w, name, host, uid, gid, err);
    w->mode = -1;
    return rc;
}

static int copy_tree(struct layer_writer *w, const struct build_copy *c, const char *rel,
                     const char *name, unsigned depth, struct osbox_err *err)
{
    char **names;
    int rc = 0;

    if (depth > 256)
        return osbox_error(err, ELOOP, "COPY: %s nested too deeply", rel);
    names = merged_entries(c->roots, rel);
    for (size_t i = 0; rc == 0 && names[i]; i++) {
        _cleanup_free_ char *sub = strcmp(rel, ".") ? osbox_strdup_printf("%s/%s", rel, names[i])
                                                    : osbox_xstrdup(names[i]);
        _cleanup_free_ char *subname = *name ? osbox_strdup_printf("%s/%s", name, names[i])
                                             : osbox_xstrdup(names[i]);
        _cleanup_free_ char *host = NULL;
        struct stat st;

        if (c->ctx && build_context_ignored(c->ctx, sub))
            continue;
        host = build_merged_lookup(c->roots, sub);
        if (!host || lstat(host, &st) < 0)
            continue;
        rc = add_entry(w, c, subname, host, err);
        if (rc == 0 && S_ISDIR(st.st_mode))
            rc = copy_tree(w, c, sub, subname, depth + 1, err);
    }
    osbox_strv_free(names);
    return rc;
}

/* Entries for dest's parents (and dest itself when it is a directory). */
static int add_parents(struct layer_writer *w, const struct build_copy *c,
                       const struct build_image *img, const char *dir, struct osbox_err *err)
{
    _cleanup_free_ char *path = osbox_xstrdup(dir);
    char **roots = build_image_roots(img);
    int rc = 0;

    for (char *p = path; rc == 0 && *p;) {
        char *slash = strchr(p, '/');
        if (slash)
            *slash = 0;
        _cleanup_free_ char *host = build_merged_lookup(roots, path);
        struct stat st;
        if (host && stat(host, &st) == 0 && S_ISDIR(st.st_mode))
            rc = layer_writer_add_file(w, path, host, -1, -1, err);
        else if (host)
            rc = osbox_error(err, ENOTDIR, "COPY destination: /%s is not a directory in the image",
                             path);
        else
            rc = layer_writer_add_dir(w, path, 0755, 0, 0, c->now, err);
        if (!slash)
            break;
        *slash = '/';
        p = slash + 1;
    }
    osbox_strv_free(roots);
    return rc;
}

int build_copy_layer(struct layer_writer *w, const struct build_copy *c,
                     const struct build_image *img, struct osbox_err *err)
{
    const char *dest = c->dest + strspn(c->dest, "/");
    _cleanup_free_ char *parent = osbox_xstrdup(dest);
    char *slash;
    int rc = 0;

    if (c->dest_is_dir) {
        if (*dest && add_parents(w, c, img, dest, err) < 0)
            return -1;
    } else {
        slash = strrchr(parent, '/');
        if (slash) {
            *slash = 0;
            if (add_parents(w, c, img, parent, err) < 0)
                return -1;
        }
    }
    for (size_t i = 0; rc == 0 && c->rels[i]; i++) {
        _cleanup_free_ char *host = build_merged_lookup(c->roots, c->rels[i]);
        struct stat st;

        if (!host || stat(host, &st) < 0)
            return osbox_error(err, ENOENT, "COPY source '%s' not found", c->rels[i]);
        if (S_ISDIR(st.st_mode)) {
            if (!c->dest_is_dir && *dest) /* COPY dir /new: /new is the dir */
                rc = add_parents(w, c, img, dest, err);
            if (rc == 0)
                rc = copy_tree(w, c, c->rels[i], dest, 0, err);
            continue;
        }
        const char *base = strrchr(c->rels[i], '/') ? strrchr(c->rels[i], '/') + 1 : c->rels[i];
        _cleanup_free_ char *name = c->dest_is_dir
            ? (*dest ? osbox_strdup_printf("%s/%s", dest, base) : osbox_xstrdup(base))
            : osbox_xstrdup(dest);
        if (!*name)
            return osbox_error(err, EINVAL, "COPY: a file cannot replace /");
        rc = add_entry(w, c, name, host, err);
    }
    return rc;
}
