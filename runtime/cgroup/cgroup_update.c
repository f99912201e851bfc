/* New limits for a cgroup whose tasks run (osbox update): the same files as
 * at creation, in an order the kernel accepts against the old values (v1
 * refuses memory above memory+swap and memory+swap below memory), and
 * "unlimited" written out, which a fresh cgroup never needs. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "runtime/cgroup/cgroup_internal.h"
#include "util.h"

static int v1_memory(const char *dir, const struct osbox_resources *res, struct osbox_err *err)
{
    uint64_t memsw = 0;
    bool has_memsw = cg_read_u64(dir, "memory.memsw.limit_in_bytes", &memsw) == 0;

    if (res->memory_swap > 0 || res->memory_swap == -1) {
        if (!has_memsw)
            return osbox_error(err, ENOTSUP, "cannot limit swap: %s/memory.memsw.limit_in_bytes is missing "
                               "(kernel without swap accounting)", dir);
        int64_t want = res->memory_swap;
        /* Growing: memory+swap first; shrinking: memory first. */
        if ((want == -1 || (uint64_t)want > memsw) &&
            (want == -1 ? cg_write(dir, "memory.memsw.limit_in_bytes", "-1", err)
                        : cg_write_fmt(dir, "memory.memsw.limit_in_bytes", err, "%" PRId64, want)) < 0)
            return -1;
        if (res->memory_limit != -1 &&
            cg_write_fmt(dir, "memory.limit_in_bytes", err, "%" PRId64, res->memory_limit) < 0)
            return -1;
        if (want != -1 && (uint64_t)want <= memsw &&
            cg_write_fmt(dir, "memory.memsw.limit_in_bytes", err, "%" PRId64, want) < 0)
            return -1;
        return 0;
    }
    if (res->memory_limit == -1)
        return 0;
    if (has_memsw && (uint64_t)res->memory_limit > memsw)
        return osbox_error(err, EINVAL, "memory limit %" PRId64 " is above the container's memory+swap "
                           "limit %" PRIu64 ": give --memory-swap as well", res->memory_limit, memsw);
    return cg_write_fmt(dir, "memory.limit_in_bytes", err, "%" PRId64, res->memory_limit);
}

int cgroup_update(struct osbox_cgroup *cg, const struct osbox_resources *res, bool pids_unlimited,
                  struct osbox_err *err)
{
    struct osbox_resources rest = *res;

    if (cg->mode != OSBOX_CGROUP_V2) {
        rest.memory_limit = -1; /* the memory files in their order, below */
        rest.memory_swap = 0;
    }
    for (int i = 0; i < cg->n; i++) {
        const struct cg_dir *d = &cg->d[i];
        bool v2 = cg->mode == OSBOX_CGROUP_V2;
        if (!d->path || (d->v2 && !v2))
            continue;
        if (!v2 && cg_has_ctrl(d->ctrls, "memory") && v1_memory(d->path, res, err) < 0)
            return -1;
        if ((v2 ? cg2_apply(d->path, &rest, err) : cg1_apply(d->path, d->ctrls, &rest, err)) < 0)
            return -1;
        if (pids_unlimited && (v2 || cg_has_ctrl(d->ctrls, "pids")) && cg_exists(d->path, "pids.max") &&
            cg_write(d->path, "pids.max", "max", err) < 0)
            return -1;
    }
    return 0;
}
