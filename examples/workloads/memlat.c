/* memlat: the cache hierarchy as a latency curve.
 * A chain of pointers laid out in a random single cycle over a working set:
 * each load depends on the previous one and lands on an unpredictable cache
 * line, so prefetchers cannot help and the time per load is the latency of the
 * level the working set fits in -- L1 (~1-2 ns), L2, L3, then main memory
 * (~100 ns), the ladder the course tabulates. Big sets also miss the TLB. */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/mman.h>

#include "wl.h"

#define LINE 64 /* one node per cache line */

static const struct wl_usage usage = {
    "memlat",
    "Usage: memlat [MAX_SIZE] [LOADS] [MIN_SIZE]\n"
    "\n"
    "Pointer-chase through working sets from MIN_SIZE (default 4k) to MAX_SIZE\n"
    "(default 256m), doubling, LOADS dependent loads each (default 4m). One JSON\n"
    "line per size: metric lat_<size>_ns, the average latency of one load.\n",
};

static void size_name(uint64_t b, char *out, size_t len)
{
    if (b >= (1u << 30) && b % (1u << 30) == 0)
        snprintf(out, len, "%lluG", (unsigned long long)(b >> 30));
    else if (b >= (1u << 20) && b % (1u << 20) == 0)
        snprintf(out, len, "%lluM", (unsigned long long)(b >> 20));
    else if (b >= 1024 && b % 1024 == 0)
        snprintf(out, len, "%lluK", (unsigned long long)(b >> 10));
    else
        snprintf(out, len, "%lluB", (unsigned long long)b);
}

/* Link the nodes of `mem` into one random cycle (Sattolo's algorithm over an
 * index array), so a chase visits every line before repeating. */
static void build_cycle(char *mem, uint64_t nodes, uint32_t *idx, uint64_t *seed)
{
    for (uint64_t i = 0; i < nodes; i++)
        idx[i] = (uint32_t)i;
    for (uint64_t i = nodes - 1; i > 0; i--) {
        uint64_t j = wl_rand(seed) % i;
        uint32_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
    for (uint64_t i = 0; i < nodes; i++)
        *(void **)(mem + (uint64_t)idx[i] * LINE) = mem + (uint64_t)idx[(i + 1) % nodes] * LINE;
}

int main(int argc, char **argv)
{
    uint64_t max, loads, min, seed = 0x9E3779B97F4A7C15ULL;
    char *mem;
    uint32_t *idx;

    wl_init(&usage, argc, argv);
    wl_max_args(argc, argv, 3);
    max = wl_arg_size(argc, argv, 1, 256u << 20, 2 * LINE, 4ULL << 30, "MAX_SIZE");
    loads = wl_arg_count(argc, argv, 2, 4000000, 1, 100000000000ULL, "LOADS");
    min = wl_arg_size(argc, argv, 3, 4096, 2 * LINE, 4ULL << 30, "MIN_SIZE");
    if (min > max)
        wl_usage_error("MIN_SIZE is larger than MAX_SIZE");

    mem = mmap(NULL, max, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    idx = mmap(NULL, max / LINE * sizeof *idx, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED || idx == MAP_FAILED)
        wl_die("mmap %llu bytes", (unsigned long long)max);

    for (uint64_t size = min; size <= max; size *= 2) {
        uint64_t nodes = size / LINE, t0, t1;
        void **p = (void **)mem;
        char metric[48], extra[40], name[24];

        build_cycle(mem, nodes, idx, &seed);
        for (uint64_t i = 0; i < nodes; i++) /* warm up: one lap through the set */
            p = *p;
        t0 = wl_now_ns();
        for (uint64_t i = 0; i < loads; i++)
            p = *p;
        t1 = wl_now_ns();
        WL_KEEP(p);

        size_name(size, name, sizeof name);
        snprintf(metric, sizeof metric, "lat_%s_ns", name);
        snprintf(extra, sizeof extra, "\"bytes\":%llu", (unsigned long long)size);
        wl_emit(metric, (double)(t1 - t0) / (double)loads, "ns", loads, extra);
        if (size > max / 2)
            break;
    }
    munmap(idx, max / LINE * sizeof *idx);
    munmap(mem, max);
    return 0;
}
