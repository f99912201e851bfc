/* cgroup v1: one tree per controller (or per group of co-mounted controllers),
 * each with its own file names and units. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runtime/cgroup/cgroup_internal.h"
#include "util.h"

/* Copy a cpuset file from the parent when the new cgroup's is empty: a v1
 * cpuset starts with no CPUs and no memory nodes, and refuses tasks until set. */
static int copy_if_empty(const char *dir, const char *parent, const char *file, struct osbox_err *err)
{
    _cleanup_free_ char *mine = NULL, *theirs = NULL;
    _cleanup_free_ char *mp = osbox_strdup_printf("%s/%s", dir, file);
    _cleanup_free_ char *pp = osbox_strdup_printf("%s/%s", parent, file);

    if (osbox_read_file(mp, &mine, NULL, err) < 0)
        return -1;
    if (mine[0] != '\0' && mine[0] != '\n')
        return 0;
    if (osbox_read_file(pp, &theirs, NULL, err) < 0)
        return -1;
    theirs[strcspn(theirs, "\n")] = '\0';
    return cg_write(dir, file, theirs, err);
}

int cg1_prepare(const char *dir, const char *parent_dir, const char *ctrls, struct osbox_err *err)
{
    uint64_t disabled = 0;

    if (cg_has_ctrl(ctrls, "cpuset") &&
        (copy_if_empty(dir, parent_dir, "cpuset.cpus", err) < 0 ||
         copy_if_empty(dir, parent_dir, "cpuset.mems", err) < 0))
        return -1;
    /* A child inherits oom_kill_disable; with it set an over-limit program
     * would hang instead of being killed. */
    if (cg_has_ctrl(ctrls, "memory") &&
        cg_read_key(dir, "memory.oom_control", "oom_kill_disable", &disabled) == 0 && disabled &&
        cg_write(dir, "memory.oom_control", "0", err) < 0)
        return -1;
    return 0;
}

int cg1_apply(const char *dir, const char *ctrls, const struct osbox_resources *res,
              struct osbox_err *err)
{
    if (cg_has_ctrl(ctrls, "memory")) {
        /* memory first: memsw may never be below it. */
        if (res->memory_limit != -1 &&
            cg_write_fmt(dir, "memory.limit_in_bytes", err, "%" PRId64, res->memory_limit) < 0)
            return -1;
        if (res->memory_swap != 0) {
            if (!cg_exists(dir, "memory.memsw.limit_in_bytes")) {
                if (res->memory_swap != -1 && !res->memory_swap_default)
                    return osbox_error(err, ENOTSUP, "cannot limit swap: %s/memory.memsw.limit_in_bytes "
                                       "is missing (kernel without swap accounting)", dir);
            } else if (cg_write_fmt(dir, "memory.memsw.limit_in_bytes", err, "%" PRId64,
                                    res->memory_swap) < 0) {
                return -1;
            }
        }
    }
    if (cg_has_ctrl(ctrls, "cpu")) {
        uint64_t shares = res->cpu_shares ? res->cpu_shares
                          : res->cpu_weight ? cgroup_weight_to_shares(res->cpu_weight) : 0;
        if ((res->cpu_quota_us != -1 || res->cpu_period_us) &&
            cg_write_fmt(dir, "cpu.cfs_period_us", err, "%" PRIu64,
                         res->cpu_period_us ? res->cpu_period_us : 100000) < 0)
            return -1;
        if (res->cpu_quota_us != -1 &&
            cg_write_fmt(dir, "cpu.cfs_quota_us", err, "%" PRId64, res->cpu_quota_us) < 0)
            return -1;
        if (shares && cg_write_fmt(dir, "cpu.shares", err, "%" PRIu64, shares) < 0)
            return -1;
    }
    if (cg_has_ctrl(ctrls, "pids") && res->pids_limit > 0 &&
        cg_write_fmt(dir, "pids.max", err, "%" PRId64, res->pids_limit) < 0)
        return -1;
    if (cg_has_ctrl(ctrls, "cpuset") &&
        ((res->cpuset_cpus[0] && cg_write(dir, "cpuset.cpus", res->cpuset_cpus, err) < 0) ||
         (res->cpuset_mems[0] && cg_write(dir, "cpuset.mems", res->cpuset_mems, err) < 0)))
        return -1;
    if (cg_has_ctrl(ctrls, "devices") && cg1_apply_devices(dir, res, err) < 0)
        return -1;
    return 0;
}

static const char *dir_with(const struct osbox_cgroup *cg, const char *ctrl)
{
    for (int i = 0; i < cg->n; i++)
        if (!cg->d[i].v2 && cg_has_ctrl(cg->d[i].ctrls, ctrl))
            return cg->d[i].path;
    return NULL;
}

int cg1_stats(const struct osbox_cgroup *cg, struct osbox_cgroup_stats *st, struct osbox_err *err)
{
    const char *d;
    uint64_t v;

    if ((d = dir_with(cg, "cpuacct"))) {
        if (cg_read_u64(d, "cpuacct.usage", &v) < 0)
            return osbox_error(err, errno ? errno : EIO, "read %s/cpuacct.usage", d);
        st->cpu_usage_usec = v / 1000; /* ns */
    }
    if ((d = dir_with(cg, "cpu"))) {
        cg_read_key(d, "cpu.stat", "nr_throttled", &st->nr_throttled);
        if (cg_read_key(d, "cpu.stat", "throttled_time", &v) == 0)
            st->throttled_usec = v / 1000; /* ns */
    }
    if ((d = dir_with(cg, "memory"))) {
        cg_read_u64(d, "memory.usage_in_bytes", &st->memory_current);
        cg_read_u64(d, "memory.max_usage_in_bytes", &st->memory_peak);
        cg_read_key(d, "memory.oom_control", "oom_kill", &st->oom_kills);
    }
    if ((d = dir_with(cg, "pids")))
        cg_read_u64(d, "pids.current", &st->pids_current);
    return 0;
}

/* Without cgroup.kill, a SIGKILL sweep races with fork: freeze first, so the
 * set of processes cannot grow, kill them all, then thaw so they can die. */
void cg1_freeze_kill(const char *freezer_dir)
{
    struct osbox_err e;
    char state[32] = "";

    if (cg_write(freezer_dir, "freezer.state", "FROZEN", &e) < 0)
        return;
    for (int i = 0; i < 500; i++) { /* up to ~1 s */
        _cleanup_free_ char *p = osbox_strdup_printf("%s/freezer.state", freezer_dir);
        _cleanup_free_ char *s = NULL;
        if (osbox_read_file(p, &s, NULL, &e) < 0)
            break;
        snprintf(state, sizeof state, "%s", s);
        if (strncmp(state, "FROZEN", 6) == 0)
            break;
        usleep(2000);
    }
    cg_kill_procs(freezer_dir);
    cg_write(freezer_dir, "freezer.state", "THAWED", &e);
}
