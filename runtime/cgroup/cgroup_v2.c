/* cgroup v2: delegating controllers down the tree, writing limits, reading stats.
 *
 * v2 has one tree; a controller works in a cgroup only if every ancestor lists
 * it in cgroup.subtree_control, and (the "no internal processes" rule) a
 * non-root cgroup that enables controllers for its children may not hold
 * processes itself. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/cgroup/cgroup_internal.h"
#include "util.h"

/* Enable the controllers of want (space separated) that dir offers and has
 * not enabled yet, in one write: the kernel vets the set as a whole. */
static int enable_in(const char *dir, bool top, const char *want, struct osbox_err *err)
{
    _cleanup_free_ char *avail = NULL, *enabled = NULL;
    _cleanup_free_ char *avail_path = osbox_strdup_printf("%s/cgroup.controllers", dir);
    _cleanup_free_ char *en_path = osbox_strdup_printf("%s/cgroup.subtree_control", dir);
    char name[32], add[256] = "";

    if (osbox_read_file(avail_path, &avail, NULL, err) < 0 ||
        osbox_read_file(en_path, &enabled, NULL, err) < 0)
        return -1;
    /* Both files are space separated lists; make them comma lists for cg_has_ctrl. */
    for (char *q = avail; *q; q++)
        if (*q == ' ' || *q == '\n')
            *q = ',';
    for (char *q = enabled; *q; q++)
        if (*q == ' ' || *q == '\n')
            *q = ',';
    for (const char *p = want; *p;) {
        size_t len = strcspn(p, " ");
        if (len > 0 && len < sizeof name) {
            memcpy(name, p, len);
            name[len] = '\0';
            /* Skip what is not delegated to us, or already on. */
            if (cg_has_ctrl(avail, name) && !cg_has_ctrl(enabled, name) &&
                strlen(add) + len + 3 < sizeof add) {
                strcat(add, *add ? " +" : "+");
                strcat(add, name);
            }
        }
        p += len + (p[len] == ' ');
    }
    if (!*add)
        return 0;
    /* Check first rather than let the kernel decide: with processes present it
     * accepts threaded controllers (cpu, pids) alone and turns the cgroup into
     * a thread root, which then refuses memory. */
    if (!top && cg_count_procs(dir) > 0)
        return osbox_error(err, EBUSY, "enable controllers in %s: it holds processes, and cgroup v2 "
                           "allows none where children get controllers", dir);
    if (cg_write(dir, "cgroup.subtree_control", add, err) < 0)
        return -1;
    return 0;
}

int cg2_enable_path(const struct cg_hier *h, const char *parent_rel, const char *want,
                    struct osbox_err *err)
{
    _cleanup_free_ char *rel = osbox_xstrdup(parent_rel);
    size_t len = strlen(rel);

    /* Walk from the top of what the mount shows down to parent_rel itself. */
    for (size_t i = 0; i <= len; i++) {
        if (i < len && rel[i] != '/')
            continue;
        if (i == len && len == 1)
            break; /* parent_rel is "/": done at i == 0 */
        if (i > 0 && i < len)
            rel[i] = '\0';
        _cleanup_free_ char *dir = cg_hier_dir(h, i == 0 ? "/" : rel);
        if (i > 0 && i < len)
            rel[i] = '/';
        if (!dir)
            continue; /* above the mount's root: not ours to touch */
        if (enable_in(dir, i == 0 && strcmp(h->root, "/") == 0, want, err) < 0)
            return -1;
    }
    return 0;
}

int cg2_apply(const char *dir, const struct osbox_resources *res, struct osbox_err *err)
{
    int64_t swap = resources_v2_swap_max(res);
    uint64_t weight = res->cpu_weight ? res->cpu_weight
                      : res->cpu_shares ? cgroup_shares_to_weight(res->cpu_shares) : 0;

    if (res->memory_limit != -1 &&
        cg_write_fmt(dir, "memory.max", err, "%" PRId64, res->memory_limit) < 0)
        return -1;
    if (swap != -2) {
        if (!cg_exists(dir, "memory.swap.max")) {
            if (swap != -1 && !res->memory_swap_default)
                return osbox_error(err, ENOTSUP, "cannot limit swap: %s/memory.swap.max is missing "
                                   "(kernel without swap accounting)", dir);
        } else if (swap == -1 ? cg_write(dir, "memory.swap.max", "max", err) < 0
                              : cg_write_fmt(dir, "memory.swap.max", err, "%" PRId64, swap) < 0) {
            return -1;
        }
    }
    if (res->cpu_quota_us != -1 || res->cpu_period_us) {
        uint64_t period = res->cpu_period_us ? res->cpu_period_us : 100000;
        int rc = res->cpu_quota_us == -1
                     ? cg_write_fmt(dir, "cpu.max", err, "max %" PRIu64, period)
                     : cg_write_fmt(dir, "cpu.max", err, "%" PRId64 " %" PRIu64, res->cpu_quota_us, period);
        if (rc < 0)
            return -1;
    }
    if (weight && cg_write_fmt(dir, "cpu.weight", err, "%" PRIu64, weight) < 0)
        return -1;
    if (res->pids_limit > 0 && cg_write_fmt(dir, "pids.max", err, "%" PRId64, res->pids_limit) < 0)
        return -1;
    if ((res->cpuset_cpus[0] && cg_write(dir, "cpuset.cpus", res->cpuset_cpus, err) < 0) ||
        (res->cpuset_mems[0] && cg_write(dir, "cpuset.mems", res->cpuset_mems, err) < 0))
        return -1;
    return 0;
}

int cg2_stats(const char *dir, struct osbox_cgroup_stats *st, struct osbox_err *err)
{
    /* cpu.stat exists in every v2 cgroup; the rest only with their controller. */
    if (cg_read_key(dir, "cpu.stat", "usage_usec", &st->cpu_usage_usec) < 0)
        return osbox_error(err, errno ? errno : EIO, "read %s/cpu.stat", dir);
    cg_read_key(dir, "cpu.stat", "nr_throttled", &st->nr_throttled);
    cg_read_key(dir, "cpu.stat", "throttled_usec", &st->throttled_usec);
    cg_read_u64(dir, "memory.current", &st->memory_current);
    cg_read_u64(dir, "memory.peak", &st->memory_peak); /* kernel 5.19+ */
    cg_read_key(dir, "memory.events", "oom_kill", &st->oom_kills);
    cg_read_u64(dir, "pids.current", &st->pids_current);
    return 0;
}
