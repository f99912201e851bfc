/* What osbox commit needs of a container: its writable layer, the layers
 * below it (from its saved spec) and its image's manifest digest. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runtime/core/runtime.h"
#include "runtime/lifecycle/lifecycle.h"
#include "runtime/ops/ops.h"
#include "util.h"

int container_commit_source(const char *id, struct container_fs *fs, struct osbox_err *err)
{
    _cleanup_free_ char *dir = runtime_container_dir(id);
    struct osbox_record rec = { 0 };
    struct osbox_spec spec;
    struct stat st;

    memset(fs, 0, sizeof *fs);
    fs->upper = osbox_strdup_printf("%s/upper", dir);
    if (stat(fs->upper, &st) < 0) {
        osbox_error(err, errno, "container %.12s has no writable layer (it ran with --rm?)", id);
        container_fs_free(fs);
        return -1;
    }
    if (state_read_record(id, &rec, err) < 0 || container_spec_load(id, &spec, err) < 0) {
        osbox_record_free(&rec);
        container_fs_free(fs);
        return -1;
    }
    fs->image_digest = rec.image_digest ? osbox_xstrdup(rec.image_digest) : NULL;
    fs->image = rec.image ? osbox_xstrdup(rec.image) : NULL;
    fs->lowers = spec.root.layers ? osbox_strv_dup(spec.root.layers) : osbox_xcalloc(1, sizeof(char *));
    osbox_spec_free(&spec);
    osbox_record_free(&rec);
    return 0;
}

void container_fs_free(struct container_fs *fs)
{
    free(fs->upper);
    free(fs->image_digest);
    free(fs->image);
    osbox_strv_free(fs->lowers);
    memset(fs, 0, sizeof *fs);
}
