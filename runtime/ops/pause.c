/* osbox pause / unpause: the container's cgroup freezer. A paused container
 * keeps its memory and its processes; `ps` and `inspect` show it "paused"
 * (read from the freezer itself, so a thaw from elsewhere shows too). */
#include <errno.h>
#include <stdio.h>

#include "runtime/lifecycle/lifecycle.h"
#include "runtime/ops/ops.h"
#include "util.h"

int container_cgroup(const char *id, struct osbox_cgroup **out, struct osbox_err *err)
{
    struct container_live l;
    char leaf[80];

    container_live_read(id, &l);
    if (!l.running) {
        osbox_error(err, 0, "container %.12s is not running", id);
        err->errnum = ESRCH;
        return -1;
    }
    snprintf(leaf, sizeof leaf, "osbox-%s", id);
    return cgroup_of_pid(l.pid, leaf, out, err);
}

static int set_frozen(const char *id, bool freeze, struct osbox_err *err)
{
    struct osbox_cgroup *cg;
    int rc, state;

    if (container_cgroup(id, &cg, err) < 0)
        return -1;
    state = cgroup_freezer_state(cg);
    if (state == (freeze ? 1 : 0))
        rc = osbox_error(err, 0, "container %.12s is %s", id, freeze ? "already paused" : "not paused");
    else
        rc = cgroup_freeze(cg, freeze, err);
    cgroup_release(cg);
    if (rc == 0)
        event_log(id, NULL, freeze ? "pause" : "unpause", -1);
    return rc;
}

int container_pause(const char *id, struct osbox_err *err)
{
    return set_frozen(id, true, err);
}

int container_unpause(const char *id, struct osbox_err *err)
{
    return set_frozen(id, false, err);
}

bool container_is_paused(const char *id)
{
    struct osbox_cgroup *cg;
    struct osbox_err e;
    bool paused;

    if (container_cgroup(id, &cg, &e) < 0)
        return false;
    paused = cgroup_freezer_state(cg) == 1;
    cgroup_release(cg);
    return paused;
}

void container_thaw_quietly(const char *id)
{
    struct osbox_cgroup *cg;
    struct osbox_err e;

    if (container_cgroup(id, &cg, &e) < 0)
        return;
    if (cgroup_freezer_state(cg) == 1)
        cgroup_freeze(cg, false, &e);
    cgroup_release(cg);
}
