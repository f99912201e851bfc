/* A cpuset for a running container that was started without one (osbox
 * update --cpuset-*). osbox joins the v1 cpuset hierarchy, or enables v2's
 * cpuset controller, only when run asks for a cpuset (it costs every start a
 * mkdir and a copy of the masks), so update makes up for it here:
 *  - v1/hybrid: osbox-<id> beside where the init sits in the cpuset
 *    hierarchy (osbox's own cpuset cgroup, which it inherited), prepared like
 *    one made at creation, and every task of the container moved in, pass by
 *    pass until a pass finds none left (a fork during a pass is caught by the
 *    next). cgroup_realize names this directory beforehand (cg_dir.late), so
 *    the run that owns the cgroup removes it with the rest.
 *  - v2: "+cpuset" in the subtree_control of the container's ancestors (the
 *    same walk creation does); its own cgroup then has cpuset.cpus. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/cgroup/cgroup_internal.h"
#include "util.h"

#define MOVE_PASSES 32

static bool has_cpuset(const struct osbox_cgroup *cg)
{
    for (int i = 0; i < cg->n; i++) {
        const struct cg_dir *d = &cg->d[i];
        if (d->path && (cg->mode == OSBOX_CGROUP_V2 ? d->v2 : !d->v2 && cg_has_ctrl(d->ctrls, "cpuset")) &&
            cg_exists(d->path, "cpuset.cpus"))
            return true;
    }
    return false;
}

/* Write every pid of from/cgroup.procs to to/cgroup.procs; the number moved
 * (a pid that exited meanwhile is skipped), -1 on another failure. */
static int move_procs(const char *from, const char *to, struct osbox_err *err)
{
    _cleanup_free_ char *path = osbox_strdup_printf("%s/cgroup.procs", from);
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    long pid;
    int moved = 0;

    if (!f)
        return osbox_error(err, errno, "open %s", path);
    while (fscanf(f, "%ld", &pid) == 1) {
        char buf[24];
        struct osbox_err e;
        snprintf(buf, sizeof buf, "%ld", pid);
        if (cg_write(to, "cgroup.procs", buf, &e) < 0) {
            if (e.errnum == ESRCH)
                continue;
            if (err)
                *err = e;
            return -1;
        }
        moved++;
    }
    return moved;
}

/* Is every pid of a/cgroup.procs also in b/cgroup.procs? */
static bool all_in(const char *a, const char *b)
{
    _cleanup_free_ char *pa = osbox_strdup_printf("%s/cgroup.procs", a);
    _cleanup_free_ char *pb = osbox_strdup_printf("%s/cgroup.procs", b);
    _cleanup_free_ char *sa = NULL, *sb = NULL;
    struct osbox_err e;

    if (osbox_read_file(pa, &sa, NULL, &e) < 0 || osbox_read_file(pb, &sb, NULL, &e) < 0)
        return false;
    for (char *line = sa, *next; *line; line = next) {
        size_t len = strcspn(line, "\n");
        next = line + len + (line[len] != '\0');
        if (!len)
            continue;
        line[len] = '\0';
        bool found = false;
        for (const char *q = sb; *q && !found; q += strcspn(q, "\n") + (q[strcspn(q, "\n")] != '\0'))
            found = strncmp(q, line, len) == 0 && (q[len] == '\n' || q[len] == '\0');
        if (!found)
            return false;
    }
    return true;
}

static int join_v1(struct osbox_cgroup *cg, const struct cg_hier *h, const char *id,
                   struct osbox_err *err)
{
    _cleanup_free_ char *rel = osbox_strdup_printf("%s/osbox-%s", strcmp(h->own, "/") ? h->own : "", id);
    _cleanup_free_ char *dir = cg_hier_dir(h, rel);
    _cleanup_free_ char *parent = cg_hier_dir(h, h->own);
    const char *from = NULL;
    struct osbox_err ignored;
    int pass, moved = 0;

    /* The container's tasks: all of them are in each hierarchy it joined (the freezer's, say). */
    for (int i = 0; i < cg->n && !from; i++)
        if (cg->d[i].path && !cg->d[i].v2)
            from = cg->d[i].path;
    if (!from)
        return osbox_error(err, ENOTSUP, "cannot set a cpuset: the container has no v1 cgroup to take "
                           "its tasks from");
    if (!dir || !parent)
        return osbox_error(err, ENOENT, "cgroup %s is outside the cpuset mount at %s", rel, h->mnt);
    if (cg->n >= CG_MAX_HIER)
        return osbox_error(err, E2BIG, "too many cgroup hierarchies");
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return osbox_error(err, errno, "create cgroup %s", dir);
    if (cg1_prepare(dir, parent, h->ctrls, err) < 0)
        goto undo;
    for (pass = 0; pass < MOVE_PASSES; pass++) {
        if ((moved = move_procs(from, dir, err)) < 0)
            goto undo;
        if (all_in(from, dir))
            break;
    }
    if (pass == MOVE_PASSES) {
        osbox_error(err, EAGAIN, "the container's tasks kept forking while they were moved into "
                    "cgroup %s", dir);
        goto undo;
    }
    cg->d[cg->n++] = (struct cg_dir){ .path = OSBOX_STEAL(dir), .rel = OSBOX_STEAL(rel),
                                      .ctrls = osbox_xstrdup(h->ctrls) };
    return 0;
undo:
    /* Back where they were, and the directory gone: nothing left behind. */
    move_procs(dir, parent, &ignored);
    rmdir(dir);
    return -1;
}

int cgroup_ensure_cpuset(struct osbox_cgroup *cg, pid_t pid, const char *id, struct osbox_err *err)
{
    char cgfile[64];
    struct cg_layout l;
    int rc = -1;

    if (has_cpuset(cg))
        return 0;
    snprintf(cgfile, sizeof cgfile, "/proc/%d/cgroup", (int)pid);
    if (cg_layout_from(&l, "/proc/self/mountinfo", cgfile, err) < 0)
        return osbox_error_prefix(err, "cgroup of pid %d", (int)pid);
    for (int i = 0; i < l.n; i++) {
        const struct cg_hier *h = &l.h[i];
        if (cg->mode == OSBOX_CGROUP_V2 && h->v2) {
            _cleanup_free_ char *parent_rel = osbox_xstrdup(h->own);
            char *slash = strrchr(parent_rel, '/');
            if (slash == parent_rel)
                slash[1] = '\0';
            else if (slash)
                *slash = '\0';
            rc = cg2_enable_path(h, parent_rel, "cpuset", err);
            break;
        }
        if (cg->mode != OSBOX_CGROUP_V2 && !h->v2 && cg_has_ctrl(h->ctrls, "cpuset")) {
            rc = join_v1(cg, h, id, err);
            break;
        }
        if (i == l.n - 1)
            osbox_error(err, ENOTSUP, "no cpuset hierarchy is mounted");
    }
    if (l.n == 0)
        osbox_error(err, ENOTSUP, "no cgroup hierarchy is mounted");
    cg_layout_free(&l);
    if (rc == 0 && !has_cpuset(cg))
        rc = osbox_error(err, ENOTSUP, "the cpuset controller is not delegated to the container's "
                         "cgroup (cgroup.controllers of its parent lacks it)");
    return rc;
}
