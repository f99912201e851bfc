/* osbox diff: the container's writable layer against its image. An entry of
 * the overlay's upper dir is "D" when it is a whiteout (a 0:0 character
 * device), "C" when the path exists in a lower layer (or is an opaque
 * directory, whose lower contents are hidden), "A" otherwise. The lower
 * layers come from the container's saved spec. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "runtime/core/runtime.h"
#include "runtime/lifecycle/lifecycle.h"
#include "runtime/ops/ops.h"
#include "util.h"

/* nftw has no context pointer: one diff at a time per thread. */
static __thread struct {
    size_t upper_len;
    char **lowers;
    char ***lines;
} walk;

static bool in_lower(const char *rel)
{
    struct stat st;

    for (size_t i = 0; walk.lowers && walk.lowers[i]; i++) {
        _cleanup_free_ char *p = osbox_strdup_printf("%s%s", walk.lowers[i], rel);
        if (lstat(p, &st) == 0)
            return true;
    }
    return false;
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    const char *rel = path + walk.upper_len;
    char kind;
    char opaque[4] = "";

    (void)type;
    if (ftw->level == 0)
        return 0;
    if (S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0))
        kind = 'D';
    else if (in_lower(rel) ||
             (S_ISDIR(st->st_mode) && lgetxattr(path, "trusted.overlay.opaque", opaque, sizeof opaque) > 0))
        kind = 'C';
    else
        kind = 'A';
    char *line = osbox_strdup_printf("%c %s", kind, rel);
    osbox_strv_push(walk.lines, line);
    free(line);
    return 0;
}

static int by_path(const void *a, const void *b)
{
    return strcmp(*(char *const *)a + 2, *(char *const *)b + 2);
}

int container_diff(const char *id, char ***lines, struct osbox_err *err)
{
    _cleanup_free_ char *dir = runtime_container_dir(id);
    _cleanup_free_ char *upper = osbox_strdup_printf("%s/upper", dir);
    struct osbox_spec spec;
    struct stat st;
    int rc = 0;

    *lines = osbox_xcalloc(1, sizeof **lines);
    if (stat(upper, &st) < 0)
        return osbox_error(err, errno, "container %.12s has no writable layer (%s)", id, upper);
    if (container_spec_load(id, &spec, err) < 0)
        return -1;
    walk.upper_len = strlen(upper);
    walk.lines = lines;
    walk.lowers = osbox_xcalloc(1, sizeof *walk.lowers);
    if (spec.root.layers)
        for (size_t i = osbox_strv_len(spec.root.layers); i > 0; i--) /* top first */
            osbox_strv_push(&walk.lowers, spec.root.layers[i - 1]);
    else if (spec.root.path)
        osbox_strv_push(&walk.lowers, spec.root.path);
    if (nftw(upper, visit, 32, FTW_PHYS | FTW_MOUNT) < 0)
        rc = osbox_error(err, errno, "walk %s", upper);
    osbox_strv_free(walk.lowers);
    walk.lowers = NULL;
    osbox_spec_free(&spec);
    qsort(*lines, osbox_strv_len(*lines), sizeof **lines, by_path);
    return rc;
}
