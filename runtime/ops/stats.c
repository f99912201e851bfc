/* osbox stats: one sample of what a running container uses. CPU % comes
 * from two samples (CPU time over wall time, so one busy CPU is 100 %, as
 * Docker shows it); with one sample only, the average since the init
 * started. Network counters are those of the container's network namespace
 * (/proc/<init>/net/dev, loopback left out). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runtime/core/internal.h"
#include "runtime/lifecycle/lifecycle.h"
#include "runtime/ops/ops.h"
#include "util.h"

static uint64_t boottime_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* "  eth0: rx_bytes packets ... (8 fields) tx_bytes ..." per interface. */
static void read_net_dev(pid_t pid, uint64_t *rx, uint64_t *tx)
{
    char path[64], line[512];

    snprintf(path, sizeof path, "/proc/%d/net/dev", (int)pid);
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    while (f && fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':'), *name = line;
        uint64_t v[9];
        if (!colon)
            continue; /* the two header lines */
        *colon = '\0';
        name += strspn(name, " ");
        if (!strcmp(name, "lo"))
            continue;
        if (sscanf(colon + 1, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
                   " %" SCNu64 " %" SCNu64 " %" SCNu64, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                   &v[6], &v[7], &v[8]) == 9) {
            *rx += v[0];
            *tx += v[8];
        }
    }
}

int container_stats_read(const char *id, struct container_stats *st, struct osbox_err *err)
{
    struct container_live l;
    struct osbox_cgroup *cg;
    char leaf[80];
    long hz = sysconf(_SC_CLK_TCK);
    int rc;

    memset(st, 0, sizeof *st);
    snprintf(st->id, sizeof st->id, "%s", id);
    container_live_read(id, &l);
    if (!l.running) {
        osbox_error(err, 0, "container %.12s is not running", id);
        err->errnum = ESRCH;
        return -1;
    }
    snprintf(leaf, sizeof leaf, "osbox-%s", id);
    if (cgroup_of_pid(l.pid, leaf, &cg, err) < 0)
        return -1;
    rc = cgroup_usage(cg, &st->usage, err);
    cgroup_release(cg);
    if (rc < 0)
        return -1;
    read_net_dev(l.pid, &st->net_rx, &st->net_tx);
    st->sampled_us = boottime_us();
    st->started_us = hz > 0 ? l.pid_start * 1000000 / (unsigned long long)hz : 0;
    return 0;
}

double container_cpu_percent(const struct container_stats *prev, const struct container_stats *cur)
{
    uint64_t cpu0 = prev ? prev->usage.cpu_usec : 0;
    uint64_t t0 = prev ? prev->sampled_us : cur->started_us;

    if (cur->sampled_us <= t0 || cur->usage.cpu_usec < cpu0)
        return 0.0;
    return 100.0 * (double)(cur->usage.cpu_usec - cpu0) / (double)(cur->sampled_us - t0);
}

double container_mem_percent(const struct container_stats *st)
{
    return st->usage.memory_limit ? 100.0 * (double)st->usage.memory_usage / (double)st->usage.memory_limit
                                  : 0.0;
}
