/* osbox update: new limits for a running container's cgroup, and a new
 * restart policy, which its monitor reads again before each restart
 * decision. Limits apply to the running container only: a later `osbox
 * start` starts it with the limits it was created with. */
#include <errno.h>
#include <string.h>

#include "runtime/lifecycle/lifecycle.h"
#include "runtime/ops/ops.h"
#include "util.h"

static bool limits_given(const struct container_update *u)
{
    return resources_any(&u->res) || u->pids_unlimited;
}

int container_update(const char *id, const struct container_update *u, struct osbox_err *err)
{
    if (!limits_given(u) && !u->set_restart)
        return osbox_error(err, 0, "nothing to update: give a limit or --restart");
    if (limits_given(u)) {
        struct osbox_resources check = u->res;
        struct osbox_cgroup *cg;
        int rc;
        /* --memory-swap alone is checked by the kernel against the memory limit in force. */
        if (check.memory_limit == -1 && check.memory_swap > 0)
            check.memory_limit = check.memory_swap;
        if (resources_validate(&check, err) < 0 || container_cgroup(id, &cg, err) < 0)
            return -1;
        rc = 0;
        if (u->res.cpuset_cpus[0] || u->res.cpuset_mems[0]) {
            /* Started without --cpuset-*: it has no cpuset cgroup yet. */
            struct container_live l;
            container_live_read(id, &l);
            rc = cgroup_ensure_cpuset(cg, l.pid, id, err);
        }
        if (rc == 0)
            rc = cgroup_update(cg, &u->res, u->pids_unlimited, err);
        cgroup_release(cg);
        if (rc < 0)
            return osbox_error_prefix(err, "update %.12s", id);
    }
    if (u->set_restart) {
        struct lifecycle lc;
        if (lifecycle_read(id, &lc, err) < 0)
            return osbox_error_prefix(err, "container %.12s has no restart policy to change", id);
        lc.restart = u->restart;
        int rc = lifecycle_write(id, &lc, err);
        lifecycle_free(&lc);
        if (rc < 0)
            return -1;
    }
    event_log(id, NULL, "update", -1);
    return 0;
}
