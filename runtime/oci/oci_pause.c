/* osbox-oci pause / resume / update: runc's verbs over the container's
 * cgroup, which is "osbox-<runtime id>" wherever linux.cgroupsPath put it,
 * found from the init's /proc/PID/cgroup (runtime/cgroup/cgroup_pid.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "runtime/cgroup/cgroup.h"
#include "runtime/oci/oci.h"
#include "util.h"

static int running_cgroup(const char *root, const char *id, struct oci_state *st, struct osbox_cgroup **cg,
                          struct osbox_err *err)
{
    char leaf[80];
    const char *status;

    if (oci_state_read(root, id, st, err) < 0)
        return -1;
    status = oci_state_status(root, st);
    if (strcmp(status, "running") && strcmp(status, "paused")) {
        osbox_error(err, 0, "container %s is %s, not running", id, status);
        oci_state_free(st);
        return -1;
    }
    snprintf(leaf, sizeof leaf, "osbox-%s", st->runtime_id);
    if (cgroup_of_pid(st->pid, leaf, cg, err) < 0) {
        oci_state_free(st);
        return -1;
    }
    return 0;
}

bool oci_paused(const struct oci_state *s)
{
    struct osbox_cgroup *cg;
    struct osbox_err e;
    char leaf[80];
    bool paused;

    snprintf(leaf, sizeof leaf, "osbox-%s", s->runtime_id);
    if (s->pid <= 0 || cgroup_of_pid(s->pid, leaf, &cg, &e) < 0)
        return false;
    paused = cgroup_freezer_state(cg) == 1;
    cgroup_release(cg);
    return paused;
}

void oci_thaw(const struct oci_state *s)
{
    struct osbox_cgroup *cg;
    struct osbox_err e;
    char leaf[80];

    snprintf(leaf, sizeof leaf, "osbox-%s", s->runtime_id);
    if (s->pid <= 0 || cgroup_of_pid(s->pid, leaf, &cg, &e) < 0)
        return;
    if (cgroup_freezer_state(cg) == 1)
        cgroup_freeze(cg, false, &e);
    cgroup_release(cg);
}

int oci_pause(const char *root, const char *id, bool freeze, struct osbox_err *err)
{
    struct oci_state st;
    struct osbox_cgroup *cg;
    int rc, state;

    if (running_cgroup(root, id, &st, &cg, err) < 0)
        return -1;
    state = cgroup_freezer_state(cg);
    if (state == (freeze ? 1 : 0))
        rc = osbox_error(err, 0, "container %s is %s", id, freeze ? "already paused" : "not paused");
    else
        rc = cgroup_freeze(cg, freeze, err);
    cgroup_release(cg);
    oci_state_free(&st);
    return rc;
}

int oci_update(const char *root, const char *id, const struct osbox_resources *res, struct osbox_err *err)
{
    struct oci_state st;
    struct osbox_cgroup *cg;
    int rc;

    if (running_cgroup(root, id, &st, &cg, err) < 0)
        return -1;
    rc = 0;
    if (res->cpuset_cpus[0] || res->cpuset_mems[0])
        rc = cgroup_ensure_cpuset(cg, st.pid, st.runtime_id, err);
    if (rc == 0)
        rc = cgroup_update(cg, res, false, err);
    cgroup_release(cg);
    oci_state_free(&st);
    return rc;
}
