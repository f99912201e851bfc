/* The cgroup a running process is in, as a handle the freezer, stats and
 * update code can use from any later osbox command (pause, stats, update):
 * the hierarchies come from our own mountinfo, the paths from
 * /proc/PID/cgroup (shown relative to our cgroup namespace, so they are
 * full paths from the host). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/cgroup/cgroup_internal.h"
#include "util.h"

static const char *base_name(const char *rel)
{
    const char *s = strrchr(rel, '/');
    return s ? s + 1 : rel;
}

int cgroup_of_pid(pid_t pid, const char *leaf, struct osbox_cgroup **out, struct osbox_err *err)
{
    char cgfile[64];
    struct cg_layout l;
    struct osbox_cgroup *cg;

    snprintf(cgfile, sizeof cgfile, "/proc/%d/cgroup", (int)pid);
    if (cg_layout_from(&l, "/proc/self/mountinfo", cgfile, err) < 0)
        return osbox_error_prefix(err, "cgroup of pid %d", (int)pid);
    cg = osbox_xcalloc(1, sizeof *cg);
    cg->mode = l.mode;
    cg->clone_fd = -1;
    for (int i = 0; i < l.n; i++) {
        const struct cg_hier *h = &l.h[i];
        /* The root of a hierarchy is nobody's own cgroup: a process left
         * there (rootless, a hierarchy osbox does not join) is not limited,
         * and freezing the root would freeze the machine. */
        if (!strcmp(h->own, "/") || (leaf && strcmp(base_name(h->own), leaf)))
            continue;
        _cleanup_free_ char *path = cg_hier_dir(h, h->own);
        if (!path || access(path, F_OK) < 0)
            continue;
        cg->d[cg->n++] = (struct cg_dir){ .path = OSBOX_STEAL(path), .rel = osbox_xstrdup(h->own),
                                          .ctrls = osbox_xstrdup(h->ctrls), .v2 = h->v2 };
    }
    cg_layout_free(&l);
    if (cg->n == 0) {
        free(cg);
        return osbox_error(err, ENOENT, "pid %d is in no cgroup of its own%s%s", (int)pid,
                           leaf ? " named " : "", leaf ? leaf : "");
    }
    *out = cg;
    return 0;
}

void cgroup_release(struct osbox_cgroup *cg)
{
    if (!cg)
        return;
    for (int i = 0; i < cg->n; i++) {
        free(cg->d[i].path);
        free(cg->d[i].rel);
        free(cg->d[i].ctrls);
        free(cg->d[i].late);
        osbox_strv_free(cg->d[i].made);
    }
    if (cg->clone_fd >= 0)
        close(cg->clone_fd);
    free(cg->id);
    free(cg->parent);
    free(cg);
}
