/* What a container uses now, as `osbox stats` shows it: CPU time, memory
 * (without the page cache the kernel can drop at once, as Docker counts it),
 * the memory limit, block I/O and the number of tasks, from whichever
 * hierarchy carries each number (v2: one directory; v1: per controller). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/cgroup/cgroup_internal.h"
#include "util.h"

static const char *dir_with(const struct osbox_cgroup *cg, const char *ctrl)
{
    for (int i = 0; i < cg->n; i++) {
        const struct cg_dir *d = &cg->d[i];
        if (!d->path)
            continue;
        if (cg->mode == OSBOX_CGROUP_V2 ? d->v2 : !d->v2 && cg_has_ctrl(d->ctrls, ctrl))
            return d->path;
    }
    return NULL;
}

/* Sum "MAJ:MIN rbytes=N wbytes=N ..." lines (v2 io.stat). */
static int read_io_stat(const char *dir, uint64_t *rd, uint64_t *wr)
{
    _cleanup_free_ char *path = osbox_strdup_printf("%s/io.stat", dir);
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    char word[128];

    if (!f)
        return -1;
    while (fscanf(f, "%127s", word) == 1) {
        uint64_t v;
        if (sscanf(word, "rbytes=%" SCNu64, &v) == 1)
            *rd += v;
        else if (sscanf(word, "wbytes=%" SCNu64, &v) == 1)
            *wr += v;
    }
    return 0;
}

/* v1 blkio.throttle.io_service_bytes: "MAJ:MIN Read N" ... "Total N". */
static int read_blkio(const char *dir, uint64_t *rd, uint64_t *wr)
{
    _cleanup_free_ char *path = osbox_strdup_printf("%s/blkio.throttle.io_service_bytes", dir);
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    char dev[64], op[16];
    uint64_t v;

    if (!f)
        return -1;
    while (fscanf(f, "%63s %15s %" SCNu64, dev, op, &v) == 3) {
        if (!strcmp(op, "Read"))
            *rd += v;
        else if (!strcmp(op, "Write"))
            *wr += v;
    }
    return 0;
}

/* Without a blkio cgroup (osbox joins no blkio hierarchy on v1: it would cost
 * every start a mkdir and an rmdir), the tasks' own storage I/O counters,
 * summed over the processes alive now. */
static void read_proc_io(const char *procs_dir, uint64_t *rd, uint64_t *wr)
{
    _cleanup_free_ char *path = osbox_strdup_printf("%s/cgroup.procs", procs_dir);
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    long pid;

    while (f && fscanf(f, "%ld", &pid) == 1) {
        char p[64];
        uint64_t v;
        snprintf(p, sizeof p, "/proc/%ld", pid);
        if (cg_read_key(p, "io", "read_bytes:", &v) == 0)
            *rd += v;
        if (cg_read_key(p, "io", "write_bytes:", &v) == 0)
            *wr += v;
    }
}

static uint64_t host_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : 0;
}

int cgroup_usage(const struct osbox_cgroup *cg, struct osbox_cgroup_usage *u, struct osbox_err *err)
{
    bool v2 = cg->mode == OSBOX_CGROUP_V2;
    const char *d;
    uint64_t v, host = host_memory();

    memset(u, 0, sizeof *u);
    u->memory_limit = host;
    if ((d = dir_with(cg, "cpuacct"))) {
        if (v2 ? cg_read_key(d, "cpu.stat", "usage_usec", &u->cpu_usec) < 0
               : cg_read_u64(d, "cpuacct.usage", &v) < 0)
            return osbox_error(err, errno ? errno : EIO, "read the CPU usage in %s", d);
        if (!v2)
            u->cpu_usec = v / 1000;
    }
    if ((d = dir_with(cg, "memory"))) {
        uint64_t inactive = 0;
        cg_read_u64(d, v2 ? "memory.current" : "memory.usage_in_bytes", &u->memory_usage);
        /* Docker's "usage": minus the inactive page cache (v1: of the whole subtree). */
        if (cg_read_key(d, "memory.stat", v2 ? "inactive_file" : "total_inactive_file", &inactive) == 0 &&
            inactive < u->memory_usage)
            u->memory_usage -= inactive;
        if (cg_read_u64(d, v2 ? "memory.max" : "memory.limit_in_bytes", &v) == 0 && v < host)
            u->memory_limit = v;
    }
    if ((d = dir_with(cg, "pids")))
        cg_read_u64(d, "pids.current", &u->pids);
    if (v2 && (d = dir_with(cg, "io")) && read_io_stat(d, &u->io_read, &u->io_write) == 0)
        return 0;
    if (!v2 && (d = dir_with(cg, "blkio")) && read_blkio(d, &u->io_read, &u->io_write) == 0)
        return 0;
    if (cg->n > 0)
        read_proc_io(cg->d[0].path, &u->io_read, &u->io_write);
    return 0;
}
