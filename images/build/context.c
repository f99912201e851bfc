/* The build context: which files a COPY source names (globs, ignore files),
 * that none of them lies outside the context (a ".." or a symlink that leads
 * out is an error, as in Docker), and a hash of their content for the cache. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "images/build/build.h"
#include "util.h"

static void read_ignore(struct build_context *c)
{
    static const char *const names[] = { ".containerignore", ".dockerignore", NULL };
    _cleanup_free_ char *text = NULL;
    struct osbox_err ignored;
    size_t len;

    c->ignore = osbox_xcalloc(1, sizeof *c->ignore);
    for (size_t i = 0; names[i] && !text; i++) {
        _cleanup_free_ char *p = osbox_strdup_printf("%s/%s", c->root, names[i]);
        if (osbox_read_file(p, &text, &len, &ignored) < 0)
            text = NULL;
    }
    for (char *line = text ? strtok(text, "\n") : NULL; line; line = strtok(NULL, "\n")) {
        char *s = line + strspn(line, " \t");
        size_t n = strlen(s);
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
            s[--n] = 0;
        if (!n || s[0] == '#')
            continue;
        bool neg = s[0] == '!';
        char clean[PATH_MAX];
        if (images_path_clean(s + neg, clean, sizeof clean) < 0 || !clean[0])
            continue;
        _cleanup_free_ char *pat = osbox_strdup_printf("%s%s", neg ? "!" : "", clean);
        osbox_strv_push(&c->ignore, pat);
    }
}

int build_context_open(const char *dir, struct build_context *c, struct osbox_err *err)
{
    char real[PATH_MAX];
    struct stat st;

    memset(c, 0, sizeof *c);
    if (!realpath(dir, real) || stat(real, &st) < 0)
        return osbox_error(err, errno, "build context %s", dir);
    if (!S_ISDIR(st.st_mode))
        return osbox_error(err, ENOTDIR, "build context %s", dir);
    c->root = osbox_xstrdup(real);
    read_ignore(c);
    return 0;
}

void build_context_clear(struct build_context *c)
{
    free(c->root);
    osbox_strv_free(c->ignore);
    memset(c, 0, sizeof *c);
}

/* pattern matches rel or a directory above it; "**" crosses slashes. */
static bool pattern_matches(const char *pat, const char *rel)
{
    int flags = strstr(pat, "**") ? 0 : FNM_PATHNAME;
    _cleanup_free_ char *r = osbox_xstrdup(rel);

    for (;;) {
        if (fnmatch(pat, r, flags) == 0)
            return true;
        char *slash = strrchr(r, '/');
        if (!slash)
            return false;
        *slash = 0;
    }
}

bool build_context_ignored(const struct build_context *c, const char *rel)
{
    bool ignored = false;

    for (size_t i = 0; c->ignore && c->ignore[i]; i++) {
        const char *p = c->ignore[i];
        bool neg = p[0] == '!';
        if (pattern_matches(p + neg, rel))
            ignored = !neg;
    }
    return ignored;
}

/* The real path of root/rel must stay under root (symlinks resolved). */
static int inside(const struct build_context *c, const char *rel, const char *src, char **real_rel,
                  struct osbox_err *err)
{
    _cleanup_free_ char *full = osbox_strdup_printf("%s/%s", c->root, rel);
    char real[PATH_MAX];
    size_t n = strlen(c->root);
    struct stat st;

    if (lstat(full, &st) < 0)
        return osbox_error(err, 0, "COPY source '%s': no such file in the build context", src);
    if (!realpath(full, real))
        return osbox_error(err, errno, "COPY source '%s': a symlink that leads nowhere", src);
    if (strcmp(real, c->root) && (strncmp(real, c->root, n) || real[n] != '/'))
        return osbox_error(err, 0, "COPY source '%s' escapes the build context (via a symlink)",
                           src);
    *real_rel = osbox_xstrdup(real[n] ? real + n + 1 : ".");
    return 0;
}

int build_context_match(const struct build_context *c, const char *src, char ***rels,
                        struct osbox_err *err)
{
    char clean[PATH_MAX];
    int rc = 0;

    *rels = osbox_xcalloc(1, sizeof **rels);
    if (images_path_clean(src, clean, sizeof clean) < 0)
        return osbox_error(err, 0, "COPY source '%s' escapes the build context (via ..)", src);
    if (!clean[0])
        strcpy(clean, ".");
    if (strpbrk(clean, "*?[")) {
        _cleanup_free_ char *pat = osbox_strdup_printf("%s/%s", c->root, clean);
        glob_t g;
        size_t n = strlen(c->root) + 1;
        if (glob(pat, GLOB_NOSORT | GLOB_NOESCAPE, NULL, &g) == 0) {
            for (size_t i = 0; rc == 0 && i < g.gl_pathc; i++) {
                const char *rel = g.gl_pathv[i] + n;
                char *real_rel = NULL;
                if (build_context_ignored(c, rel))
                    continue;
                rc = inside(c, rel, src, &real_rel, err);
                if (rc == 0)
                    osbox_strv_push(rels, real_rel);
                free(real_rel);
            }
            globfree(&g);
        }
        if (rc == 0 && !(*rels)[0])
            rc = osbox_error(err, 0, "COPY source '%s': no file in the build context matches",
                             src);
        return rc;
    }
    char *real_rel = NULL;
    if (strcmp(clean, ".") && build_context_ignored(c, clean))
        return osbox_error(err, 0, "COPY source '%s' is excluded by the ignore file", src);
    if (inside(c, clean, src, &real_rel, err) < 0)
        return -1;
    osbox_strv_push(rels, real_rel);
    free(real_rel);
    return 0;
}

static int hash_tree(const struct build_context *c, struct images_hash *h, const char *rel,
                     unsigned depth, struct osbox_err *err)
{
    _cleanup_free_ char *p = osbox_strdup_printf("%s/%s", c->root, rel);
    char buf[1 << 16], meta[PATH_MAX + 128];
    struct stat st;

    if (depth > 256)
        return osbox_error(err, ELOOP, "%s: nested too deeply", p);
    if (lstat(p, &st) < 0)
        return osbox_error(err, errno, "%s", p);
    int n = snprintf(meta, sizeof meta, "%s\n%o %u %u %lld\n", rel, st.st_mode, st.st_uid,
                     st.st_gid, S_ISREG(st.st_mode) ? (long long)st.st_size : 0);
    images_hash_update(h, meta, (size_t)n);
    if (S_ISLNK(st.st_mode)) {
        ssize_t l = readlink(p, buf, sizeof buf);
        if (l > 0)
            images_hash_update(h, buf, (size_t)l);
    } else if (S_ISREG(st.st_mode)) {
        _cleanup_close_ int fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        ssize_t r;
        if (fd < 0)
            return osbox_error(err, errno, "open %s", p);
        while ((r = read(fd, buf, sizeof buf)) > 0)
            images_hash_update(h, buf, (size_t)r);
        if (r < 0)
            return osbox_error(err, errno, "read %s", p);
    } else if (S_ISDIR(st.st_mode)) {
        struct dirent **names;
        int k = scandir(p, &names, NULL, alphasort), rc = 0;
        for (int i = 0; i < k; i++) {
            const char *name = names[i]->d_name;
            if (rc == 0 && strcmp(name, ".") && strcmp(name, "..")) {
                _cleanup_free_ char *sub = strcmp(rel, ".") ? osbox_strdup_printf("%s/%s", rel, name)
                                                            : osbox_xstrdup(name);
                if (!build_context_ignored(c, sub))
                    rc = hash_tree(c, h, sub, depth + 1, err);
            }
            free(names[i]);
        }
        free(names);
        return rc;
    }
    return 0;
}

int build_context_hash(const struct build_context *c, char *const *rels, char out[72],
                       struct osbox_err *err)
{
    struct images_hash h;

    if (images_hash_init(&h, err) < 0)
        return -1;
    for (size_t i = 0; rels && rels[i]; i++)
        if (hash_tree(c, &h, rels[i], 0, err) < 0) {
            images_hash_free(&h);
            return -1;
        }
    images_hash_final(&h, out);
    return 0;
}
