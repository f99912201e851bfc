/* --trace-startup (declared in runtime.h). Times are CLOCK_MONOTONIC, which a
 * new time namespace does not shift unless offsets are written (osbox
 * writes none), so the init's stamps and osbox's share one axis. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "runtime/core/runtime.h"

struct phase_times {
    uint64_t first; /* start of the first stretch, ns since the zero; 0: never ran */
    uint64_t open;  /* start of the running stretch */
    uint64_t took;  /* sum of finished stretches */
    uint64_t last_end;
};

struct startup_trace {
    uint64_t zero;
    struct phase_times p[TRACE_NPHASES];
};

static struct startup_trace *trace;

static const char *const phase_names[TRACE_NPHASES] = {
    [TRACE_RESOLVE] = "resolve image", [TRACE_SPEC] = "build spec",
    [TRACE_STATE] = "state, saved spec",
    [TRACE_CGROUP] = "cgroup",         [TRACE_NETWORK] = "network",
    [TRACE_CLONE] = "clone3",          [TRACE_OVERLAY] = "overlay mount",
    [TRACE_MOUNTS] = "rootfs mounts",  [TRACE_PIVOT] = "pivot_root",
    [TRACE_SETUP] = "init setup",      [TRACE_WAIT_GO] = "init waits for osbox",
    [TRACE_CGROUP_JOIN] = "init joins its cgroup",
    [TRACE_FORK] = "fork the command",
    [TRACE_CAPS] = "credentials, caps", [TRACE_SECCOMP] = "seccomp",
    [TRACE_EXEC] = "exec",
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bool startup_trace_enable(void)
{
    void *page;

    if (trace)
        return true;
    page = mmap(NULL, sizeof *trace, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED)
        return false;
    trace = page;
    trace->zero = now_ns();
    return true;
}

bool startup_trace_enabled(void)
{
    return trace != NULL;
}

void startup_trace_begin(enum startup_phase p)
{
    if (!trace)
        return;
    /* +1: a phase that began at the zero itself still reads as begun */
    trace->p[p].open = now_ns() - trace->zero + 1;
    if (!trace->p[p].first)
        trace->p[p].first = trace->p[p].open;
}

void startup_trace_end(enum startup_phase p)
{
    struct phase_times *t;

    if (!trace || !trace->p[p].open)
        return;
    t = &trace->p[p];
    t->last_end = now_ns() - trace->zero + 1;
    t->took += t->last_end - t->open;
    t->open = 0;
}

/* Phases by when they began (the enum's order breaks ties). */
static int by_start(const void *a, const void *b)
{
    const struct phase_times *x = &trace->p[*(const int *)a], *y = &trace->p[*(const int *)b];
    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    return *(const int *)a - *(const int *)b;
}

void startup_trace_print(FILE *out)
{
    int order[TRACE_NPHASES], n = 0;
    uint64_t end = 0;

    if (!trace)
        return;
    for (int i = 0; i < TRACE_NPHASES; i++)
        if (trace->p[i].first && !trace->p[i].open) /* ran, and finished */
            order[n++] = i;
    qsort(order, (size_t)n, sizeof *order, by_start);
    fprintf(out, "startup trace (ms; \"at\" counts from osbox run's start; the init's steps "
                 "overlap osbox's)\n");
    fprintf(out, "%9s %8s  %s\n", "at", "took", "phase");
    for (int k = 0; k < n; k++) {
        const struct phase_times *t = &trace->p[order[k]];
        fprintf(out, "%9.3f %8.3f  %s\n", (double)(t->first - 1) / 1e6, (double)t->took / 1e6,
                phase_names[order[k]]);
        if (t->last_end > end)
            end = t->last_end;
    }
    fprintf(out, "%9.3f %8s  %s\n", (double)(end ? end - 1 : 0) / 1e6, "", "command running");
}
