/* Pausing a cgroup: v2's cgroup.freeze (the kernel reports "frozen 1" in
 * cgroup.events once every task has stopped), v1's freezer.state (FREEZING
 * until every task is stopped, then FROZEN). On hybrid hosts the v1 freezer
 * is used: the unified tree there carries no controllers. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/cgroup/cgroup_internal.h"
#include "util.h"

#define FREEZE_TIMEOUT_MS 5000

/* The directory whose freezer acts for cg, and whether it is v2's. */
static const char *freezer_of(const struct osbox_cgroup *cg, bool *v2)
{
    for (int i = 0; i < cg->n; i++) {
        const struct cg_dir *d = &cg->d[i];
        if (!d->path)
            continue;
        if (!d->v2 && cg_has_ctrl(d->ctrls, "freezer")) {
            *v2 = false;
            return d->path;
        }
        if (d->v2 && cg->mode == OSBOX_CGROUP_V2 && cg_exists(d->path, "cgroup.freeze")) {
            *v2 = true;
            return d->path;
        }
    }
    return NULL;
}

int cgroup_freezer_state(const struct osbox_cgroup *cg)
{
    bool v2;
    const char *dir = freezer_of(cg, &v2);
    uint64_t v;
    char *s = NULL;
    int rc = -1;

    if (!dir)
        return -1;
    if (v2)
        return cg_read_u64(dir, "cgroup.freeze", &v) == 0 ? v != 0 : -1;
    _cleanup_free_ char *path = osbox_strdup_printf("%s/freezer.state", dir);
    struct osbox_err e;
    if (osbox_read_file(path, &s, NULL, &e) == 0)
        rc = strncmp(s, "THAWED", 6) != 0; /* FREEZING counts as paused: it is on its way */
    free(s);
    return rc;
}

/* Until the kernel says every task is stopped (or the deadline passes). */
static int wait_frozen(const char *dir, bool v2)
{
    for (int ms = 0; ms < FREEZE_TIMEOUT_MS; ms += 2) {
        uint64_t frozen = 0;
        if (v2) {
            if (cg_read_key(dir, "cgroup.events", "frozen", &frozen) == 0 && frozen == 1)
                return 0;
        } else {
            _cleanup_free_ char *path = osbox_strdup_printf("%s/freezer.state", dir);
            _cleanup_free_ char *s = NULL;
            struct osbox_err e;
            if (osbox_read_file(path, &s, NULL, &e) == 0 && !strncmp(s, "FROZEN", 6))
                return 0;
        }
        poll(NULL, 0, 2);
    }
    return -1;
}

int cgroup_freeze(struct osbox_cgroup *cg, bool freeze, struct osbox_err *err)
{
    bool v2;
    const char *dir = freezer_of(cg, &v2);
    struct osbox_err ignored;

    if (!dir)
        return osbox_error(err, ENOTSUP, "cannot %s: the container has no freezer cgroup",
                           freeze ? "pause" : "unpause");
    if (v2 ? cg_write(dir, "cgroup.freeze", freeze ? "1" : "0", err) < 0
           : cg_write(dir, "freezer.state", freeze ? "FROZEN" : "THAWED", err) < 0)
        return -1;
    if (freeze && wait_frozen(dir, v2) < 0) {
        /* Half frozen helps nobody: thaw again and say so. */
        v2 ? cg_write(dir, "cgroup.freeze", "0", &ignored)
           : cg_write(dir, "freezer.state", "THAWED", &ignored);
        return osbox_error(err, ETIMEDOUT, "freeze %s: not every task stopped within %d ms", dir,
                           FREEZE_TIMEOUT_MS);
    }
    return 0;
}
