/* A container's cgroup over whatever the host mounts: created in every
 * hierarchy osbox uses, limits applied, processes added, stats read, and
 * removed again without leaving anything behind. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/cgroup/cgroup_internal.h"
#include "util.h"

#define KILL_TIMEOUT_MS 3000
#define RMDIR_TIMEOUT_MS 2000
/* v2 controllers a container gets when they are available (limits and stats). */
#define V2_WANT "cpu memory pids"
#define V2_WANT_CPUSET "cpu memory pids cpuset"

static bool valid_id(const char *id)
{
    size_t n = id ? strlen(id) : 0;

    if (n == 0 || n > 128 || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
        return false;
    return strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* --cgroup-parent "a/b/" or "/a/b" -> "/a/b"; no "." or ".." components. */
static int norm_parent(const char *in, char **out, struct osbox_err *err)
{
    _cleanup_free_ char *copy = osbox_xstrdup(in);
    char *res = osbox_xcalloc(1, strlen(in) + 2), *save = NULL;

    for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        if (strcmp(c, ".") == 0 || strcmp(c, "..") == 0) {
            free(res);
            osbox_error(err, 0, "invalid --cgroup-parent '%s': no '.' or '..' components", in);
            if (err)
                err->errnum = EINVAL;
            return -1;
        }
        strcat(res, "/");
        strcat(res, c);
    }
    if (!*res)
        strcpy(res, "/");
    *out = res;
    return 0;
}

static char *join_rel(const char *base, const char *name)
{
    return osbox_strdup_printf("%s/%s", strcmp(base, "/") == 0 ? "" : base, name);
}

static char *parent_of(const char *rel)
{
    char *p = osbox_xstrdup(rel), *slash = strrchr(p, '/');

    if (slash == p)
        p[1] = '\0';
    else if (slash)
        *slash = '\0';
    return p;
}

/* Create the missing components of rel (for --cgroup-parent), remembering
 * them so destroy can remove them when they are empty again. */
static int make_parents(struct cg_dir *d, const struct cg_hier *h, const char *rel,
                        struct osbox_err *err)
{
    _cleanup_free_ char *buf = osbox_xstrdup(rel);

    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        _cleanup_free_ char *dir = cg_hier_dir(h, buf);
        if (dir && mkdir(dir, 0755) == 0) {
            osbox_strv_push(&d->made, dir);
            if (!h->v2) {
                _cleanup_free_ char *up = parent_of(dir);
                if (cg1_prepare(dir, up, h->ctrls, err) < 0)
                    return -1;
            }
        } else if (dir && errno != EEXIST) {
            return osbox_error(err, errno, "create cgroup %s", dir);
        }
        *p = saved;
        if (!saved)
            return 0;
    }
}

static struct cg_dir *new_dir(struct osbox_cgroup *cg, const struct cg_hier *h)
{
    struct cg_dir *d = &cg->d[cg->n++];

    *d = (struct cg_dir){ .ctrls = osbox_xstrdup(h->ctrls), .v2 = h->v2 };
    return d;
}

/* mkdir <base>/osbox-<id> in h; d->path set only once it exists. */
static int make_leaf(struct cg_dir *d, const struct cg_hier *h, const char *base, const char *id,
                     struct osbox_err *err)
{
    _cleanup_free_ char *name = osbox_strdup_printf("osbox-%s", id);
    _cleanup_free_ char *rel = join_rel(base, name);
    _cleanup_free_ char *dir = cg_hier_dir(h, rel);

    if (!dir)
        return osbox_error(err, ENOENT, "cgroup %s is outside the %s mount at %s", rel,
                           h->v2 ? "cgroup2" : h->ctrls, h->mnt);
    if (mkdir(dir, 0755) < 0)
        return osbox_error(err, errno, "create cgroup %s", dir);
    d->path = OSBOX_STEAL(dir);
    d->rel = OSBOX_STEAL(rel);
    return 0;
}

/* Pure v2: controllers must be enabled from the top down to the parent. When
 * osbox's own cgroup holds processes (it holds osbox at least), v2 refuses to
 * enable controllers in it: where that cgroup is delegated to us (systemd's
 * Delegate=yes) its processes move to a leaf beside the container
 * (v2_leaf.c); elsewhere the container becomes its sibling instead. */
static int create_v2(struct osbox_cgroup *cg, const struct cg_hier *h, const char *parent,
                     const char *id, bool need_ctrls, struct osbox_err *err)
{
    struct cg_dir *d = new_dir(cg, h);
    _cleanup_free_ char *base = osbox_xstrdup(parent ? parent : h->own);
    /* cpuset only when asked for: enabling it costs every cgroup below a copy of the masks. */
    const char *want = cg->res.cpuset_cpus[0] || cg->res.cpuset_mems[0] ? V2_WANT_CPUSET : V2_WANT;
    struct osbox_err e;
    int rc;

    if (parent && make_parents(d, h, base, err) < 0)
        return -1;
    rc = cg2_enable_path(h, base, want, &e);
    if (rc < 0 && !parent) {
        _cleanup_free_ char *own_dir = cg_hier_dir(h, base);
        switch (cg2_choose_place(base, e.errnum, own_dir && cg2_delegated(own_dir))) {
        case CG2_PLACE_LEAF:
            rc = cg2_move_to_leaf(own_dir, &e) < 0 ? -1 : cg2_enable_path(h, base, want, &e);
            break;
        case CG2_PLACE_SIBLING: {
            char *up = parent_of(base);
            free(base);
            base = up;
            rc = cg2_enable_path(h, base, want, &e);
            break;
        }
        default:
            break;
        }
    }
    if (rc < 0 && need_ctrls) {
        if (err)
            *err = e;
        return -1;
    }
    /* Without limits a cgroup without controllers still tracks and kills. */
    if (make_leaf(d, h, base, id, err) < 0)
        return -1;
    cg->clone_fd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cg->clone_fd < 0)
        return osbox_error(err, errno, "open cgroup %s", d->path);
    return 0;
}

static int create_v1(struct osbox_cgroup *cg, const struct cg_hier *h, const char *parent,
                     const char *id, struct osbox_err *err)
{
    struct cg_dir *d = new_dir(cg, h);
    const char *base = parent ? parent : h->own;
    _cleanup_free_ char *base_dir = cg_hier_dir(h, base);

    if (parent && make_parents(d, h, base, err) < 0)
        return -1;
    if (make_leaf(d, h, base, id, err) < 0)
        return -1;
    return cg1_prepare(d->path, base_dir ? base_dir : h->mnt, h->ctrls, err);
}

/* Hybrid: the unified (v2) tree carries no controllers here but tracks the
 * processes like systemd does and offers cgroup.kill; best effort. */
static void create_unified(struct osbox_cgroup *cg, const struct cg_hier *h, const char *parent,
                           const char *id)
{
    struct osbox_err ignored;
    struct cg_dir *d = new_dir(cg, h);

    if (parent && make_parents(d, h, parent, &ignored) < 0)
        return;
    make_leaf(d, h, parent ? parent : h->own, id, &ignored);
}

/* v1 hierarchies a container joins: those whose files osbox writes or reads
 * (limits, stats), freezer (so that a pause can stop all of it), and cpuset
 * when a cpuset is asked for, devices when there are device rules. The rest
 * (blkio, ...) would only cost a mkdir, an attach and an rmdir per container
 * while leaving it exactly as unrestricted as osbox. */
static bool v1_used(const char *ctrls, const struct osbox_resources *res)
{
    static const char *const used[] = { "memory", "cpu", "cpuacct", "pids", "freezer", NULL };

    if ((res->cpuset_cpus[0] || res->cpuset_mems[0]) && cg_has_ctrl(ctrls, "cpuset"))
        return true;
    if (res->n_dev_rules && cg_has_ctrl(ctrls, "devices"))
        return true;
    for (int i = 0; used[i]; i++)
        if (cg_has_ctrl(ctrls, used[i]))
            return true;
    return false;
}

/* Not joined: where `osbox update --cpuset-*` would put the container
 * (beside osbox's own cpuset cgroup, which the init inherits, whatever
 * --cgroup-parent says), so that destroy removes it too. */
static void name_late_cpuset(struct osbox_cgroup *cg, const struct cg_hier *h, const char *id)
{
    _cleanup_free_ char *name = osbox_strdup_printf("osbox-%s", id);
    _cleanup_free_ char *rel = join_rel(h->own, name);

    new_dir(cg, h)->late = cg_hier_dir(h, rel);
}

/* The controllers the limits need must be present somewhere we created. */
static int check_controllers(const struct osbox_cgroup *cg, const struct osbox_resources *res,
                             struct osbox_err *err)
{
    const char *need[4] = {
        res->memory_limit != -1 || res->memory_swap > 0 ? "memory" : NULL,
        res->cpu_quota_us != -1 || res->cpu_period_us || res->cpu_shares || res->cpu_weight ? "cpu" : NULL,
        res->pids_limit > 0 ? "pids" : NULL,
        res->cpuset_cpus[0] || res->cpuset_mems[0] ? "cpuset" : NULL,
    };

    for (int k = 0; k < 4; k++) {
        bool found = false;
        if (!need[k])
            continue;
        for (int i = 0; i < cg->n && !found; i++) {
            const struct cg_dir *d = &cg->d[i];
            if (!d->path)
                continue;
            if (!d->v2) {
                found = cg_has_ctrl(d->ctrls, need[k]);
            } else if (cg->mode == OSBOX_CGROUP_V2) {
                _cleanup_free_ char *p = osbox_strdup_printf("%s/cgroup.controllers", d->path);
                _cleanup_free_ char *have = NULL;
                struct osbox_err e;
                if (osbox_read_file(p, &have, NULL, &e) == 0) {
                    for (char *q = have; *q; q++)
                        if (*q == ' ' || *q == '\n')
                            *q = ',';
                    found = cg_has_ctrl(have, need[k]);
                }
            }
        }
        if (!found)
            return osbox_error(err, ENOTSUP, "cannot apply the limit: the %s cgroup controller is "
                               "not available", need[k]);
    }
    return 0;
}

int cgroup_plan(const char *id, const char *parent, const struct osbox_resources *res,
                struct osbox_cgroup **out, struct osbox_err *err)
{
    struct osbox_cgroup *cg;
    _cleanup_free_ char *par = NULL;
    struct cg_layout *l;

    if (!valid_id(id))
        return osbox_error(err, EINVAL, "invalid container id '%s' for a cgroup", id ? id : "");
    if (resources_validate(res, err) < 0)
        return -1;
    if (parent && *parent && norm_parent(parent, &par, err) < 0)
        return -1;
    l = osbox_xcalloc(1, sizeof *l);
    if (cg_layout_read(l, err) < 0) {
        free(l);
        return -1;
    }
    cg = osbox_xcalloc(1, sizeof *cg);
    cg->mode = l->mode;
    cg->clone_fd = -1;
    cg->plan = l;
    cg->id = osbox_xstrdup(id);
    cg->parent = OSBOX_STEAL(par);
    cg->res = *res;
    *out = cg;
    return 0;
}

static void plan_free(struct osbox_cgroup *cg)
{
    if (cg->plan) {
        cg_layout_free(cg->plan);
        free(cg->plan);
        cg->plan = NULL;
    }
    free(cg->id);
    free(cg->parent);
    cg->id = cg->parent = NULL;
}

int cgroup_realize(struct osbox_cgroup **cgp, struct osbox_err *err)
{
    struct osbox_cgroup *cg = *cgp;
    const struct osbox_resources *res = &cg->res;
    struct osbox_err ignored;
    int rc = 0;

    if (!cg->plan)
        return 0; /* already made */
    for (int i = 0; i < cg->plan->n && rc == 0; i++) {
        const struct cg_hier *h = &cg->plan->h[i];
        if (h->v2 && cg->mode == OSBOX_CGROUP_HYBRID) {
            if (!cg->unified_early)
                create_unified(cg, h, cg->parent, cg->id);
        }
        else if (h->v2)
            rc = create_v2(cg, h, cg->parent, cg->id, resources_any(res), err);
        else if (v1_used(h->ctrls, res))
            rc = create_v1(cg, h, cg->parent, cg->id, err);
        else if (cg_has_ctrl(h->ctrls, "cpuset"))
            name_late_cpuset(cg, h, cg->id);
    }
    plan_free(cg);
    if (rc == 0)
        rc = check_controllers(cg, res, err);
    for (int i = 0; i < cg->n && rc == 0; i++) {
        struct cg_dir *d = &cg->d[i];
        if (!d->path)
            continue;
        rc = d->v2 ? (cg->mode == OSBOX_CGROUP_V2 ? cg2_apply(d->path, res, err) : 0)
                   : cg1_apply(d->path, d->ctrls, res, err);
        /* Hybrid: the v1 devices hierarchy carries the rules. */
        if (rc == 0 && d->v2 && cg->mode == OSBOX_CGROUP_V2)
            rc = cg2_apply_devices(d->path, res, err);
    }
    if (rc < 0) {
        cgroup_destroy(cg, &ignored); /* leave nothing behind */
        *cgp = NULL;
        return -1;
    }
    return 0;
}

int cgroup_create(const char *id, const char *parent, const struct osbox_resources *res,
                  struct osbox_cgroup **out, struct osbox_err *err)
{
    struct osbox_cgroup *cg;

    if (cgroup_plan(id, parent, res, &cg, err) < 0 || cgroup_realize(&cg, err) < 0)
        return -1;
    *out = cg;
    return 0;
}

enum osbox_cgroup_mode cgroup_mode(const struct osbox_cgroup *cg)
{
    return cg->mode;
}

void cgroup_realize_unified(struct osbox_cgroup *cg)
{
    if (!cg || !cg->plan || cg->mode != OSBOX_CGROUP_HYBRID || cg->unified_early)
        return;
    for (int i = 0; i < cg->plan->n; i++) {
        const struct cg_hier *h = &cg->plan->h[i];
        if (!h->v2)
            continue;
        create_unified(cg, h, cg->parent, cg->id);
        cg->unified_early = true;
        const struct cg_dir *d = &cg->d[cg->n - 1];
        if (d->path)
            cg->clone_fd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return;
    }
}

int cgroup_clone_fd(const struct osbox_cgroup *cg)
{
    return cg && cg->mode != OSBOX_CGROUP_V1 ? cg->clone_fd : -1;
}

int cgroup_add_pid(struct osbox_cgroup *cg, pid_t pid, struct osbox_err *err)
{
    for (int i = 0; i < cg->n; i++) {
        if (cg->d[i].path && cg_write_fmt(cg->d[i].path, "cgroup.procs", err, "%d", (int)pid) < 0)
            return osbox_error_prefix(err, "add pid %d to its cgroup", (int)pid);
    }
    return 0;
}

int cgroup_stats(struct osbox_cgroup *cg, struct osbox_cgroup_stats *st, struct osbox_err *err)
{
    memset(st, 0, sizeof *st);
    if (cg->mode != OSBOX_CGROUP_V2)
        return cg1_stats(cg, st, err);
    for (int i = 0; i < cg->n; i++)
        if (cg->d[i].path)
            return cg2_stats(cg->d[i].path, st, err);
    return osbox_error(err, ENOENT, "container has no cgroup");
}

const char *cgroup_dir(const struct osbox_cgroup *cg, const char *ctrl)
{
    for (int i = 0; i < cg->n; i++) {
        const struct cg_dir *d = &cg->d[i];
        if (!d->path)
            continue;
        if ((!ctrl || !*ctrl) ? d->v2 : (cg->mode == OSBOX_CGROUP_V2 || cg_has_ctrl(d->ctrls, ctrl)))
            return d->path;
    }
    return NULL;
}

const char *cgroup_relpath(const struct osbox_cgroup *cg)
{
    const char *fallback = NULL;

    for (int i = 0; i < cg->n; i++) {
        const struct cg_dir *d = &cg->d[i];
        if (!d->rel)
            continue;
        if (cg->mode == OSBOX_CGROUP_V2 || cg_has_ctrl(d->ctrls, "memory"))
            return d->rel;
        if (!fallback)
            fallback = d->rel;
    }
    return fallback ? fallback : "";
}

int cgroup_destroy(struct osbox_cgroup *cg, struct osbox_err *err)
{
    struct osbox_err e;
    int rc = 0;

    if (!cg)
        return 0;
    plan_free(cg);
    /* Usually everything in it has died with the init already: then one
     * rmdir per hierarchy is all it takes (it fails with EBUSY while a
     * process or a child cgroup is left, and the full sweep below runs). */
    bool left = false;
    for (int i = cg->n - 1; i >= 0; i--) {
        struct cg_dir *d = &cg->d[i];
        if (d->path && (rmdir(d->path) == 0 || errno == ENOENT)) {
            free(d->path);
            d->path = NULL;
        } else if (d->path) {
            left = true;
        }
    }
    /* v2's cgroup.kill takes the whole subtree at once, forks in flight
     * included; on v1 the freezer gives the same guarantee. */
    bool killed = false;
    for (int i = 0; i < cg->n; i++)
        if (cg->d[i].path && cg->d[i].v2 && cg_exists(cg->d[i].path, "cgroup.kill"))
            killed = cg_write(cg->d[i].path, "cgroup.kill", "1", &e) == 0 || killed;
    const char *freezer = cg->mode != OSBOX_CGROUP_V2 ? cgroup_dir(cg, "freezer") : NULL;
    if (!killed && freezer && cg_count_procs(freezer) > 0)
        cg1_freeze_kill(freezer);
    for (int i = 0; i < cg->n && left; i++)
        if (cg->d[i].path)
            cg_wait_empty(cg->d[i].path, cg->d[i].v2, KILL_TIMEOUT_MS);
    for (int i = cg->n - 1; i >= 0; i--) {
        struct cg_dir *d = &cg->d[i];
        if (d->path && cg_remove(d->path, RMDIR_TIMEOUT_MS, &e) < 0 && rc == 0) {
            if (err)
                *err = e;
            rc = -1;
        }
        if (d->late && rmdir(d->late) < 0 && errno != ENOENT &&
            cg_remove(d->late, RMDIR_TIMEOUT_MS, &e) < 0 && rc == 0) {
            if (err)
                *err = e;
            rc = -1;
        }
        /* Parents made for --cgroup-parent go when empty; another container may still use them. */
        for (size_t k = osbox_strv_len(d->made); k > 0; k--)
            rmdir(d->made[k - 1]);
        free(d->path);
        free(d->rel);
        free(d->ctrls);
        free(d->late);
        osbox_strv_free(d->made);
    }
    if (cg->clone_fd >= 0)
        close(cg->clone_fd);
    free(cg);
    return rc;
}

/* Depth-first search for dirs called name; each found is emptied and removed. */
static int remove_named(const char *dir, const char *name, bool v2, int depth, int *budget,
                        struct osbox_err *err)
{
    DIR *d;
    struct dirent *de;
    int rc = 0;

    if (depth > 8 || --*budget < 0 || !(d = opendir(dir)))
        return 0;
    while ((de = readdir(d)) && rc == 0) {
        if (de->d_type != DT_DIR || de->d_name[0] == '.')
            continue;
        _cleanup_free_ char *sub = osbox_strdup_printf("%s/%s", dir, de->d_name);
        if (strcmp(de->d_name, name) == 0) {
            struct osbox_err e;
            if (v2 && cg_exists(sub, "cgroup.kill"))
                cg_write(sub, "cgroup.kill", "1", &e);
            else if (!v2 && cg_exists(sub, "freezer.state"))
                cg1_freeze_kill(sub);
            cg_wait_empty(sub, v2, KILL_TIMEOUT_MS);
            rc = cg_remove(sub, RMDIR_TIMEOUT_MS, err);
        } else {
            rc = remove_named(sub, name, v2, depth + 1, budget, err);
        }
    }
    closedir(d);
    return rc;
}

int cgroup_remove_stale(const char *id, struct osbox_err *err)
{
    struct cg_layout l;
    _cleanup_free_ char *name = NULL;
    int rc = 0, budget = 50000;

    if (!valid_id(id))
        return osbox_error(err, EINVAL, "invalid container id '%s' for a cgroup", id ? id : "");
    if (cg_layout_read(&l, err) < 0)
        return -1;
    name = osbox_strdup_printf("osbox-%s", id);
    for (int i = 0; i < l.n && rc == 0; i++)
        rc = remove_named(l.h[i].mnt, name, l.h[i].v2, 0, &budget, err);
    cg_layout_free(&l);
    return rc;
}
