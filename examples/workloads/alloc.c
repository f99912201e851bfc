/* alloc: the heap and the stack.
 * malloc/free churn exercises the allocator in user space (it asks the kernel
 * for memory only now and then, with brk or mmap). Deep recursion grows the
 * stack: the first descent faults each new stack page in (the kernel grows the
 * stack mapping on demand), the second descent reuses pages already mapped. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "wl.h"

#define SLOTS 1024
#define FRAME 256 /* bytes of locals per recursion frame */

static const struct wl_usage usage = {
    "alloc",
    "Usage: alloc [N] [DEPTH]\n"
    "\n"
    "N malloc/free operations (default 1000000) on up to 1024 live blocks of\n"
    "16..4096 bytes: malloc_free_ns per operation. Then recursion DEPTH deep\n"
    "(default 10000, 256-byte frames): recurse_first_ns per call while the\n"
    "stack grows, recurse_warm_ns per call once its pages exist.\n",
};

static __attribute__((noinline)) uint64_t recurse(uint64_t depth)
{
    volatile unsigned char frame[FRAME];

    frame[0] = (unsigned char)depth;
    frame[FRAME - 1] = (unsigned char)depth;
    if (depth == 0)
        return frame[0];
    return recurse(depth - 1) + frame[FRAME - 1];
}

int main(int argc, char **argv)
{
    uint64_t n, depth, seed = 42, t0, t1, t2, max_depth = 8u << 20;
    static void *slot[SLOTS];
    struct rlimit rl;

    wl_init(&usage, argc, argv);
    wl_max_args(argc, argv, 2);
    n = wl_arg_count(argc, argv, 1, 1000000, 1, 100000000000ULL, "N");
    /* Keep the deepest stack well inside the stack limit (default 8 MiB). */
    if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        max_depth = rl.rlim_cur / 2 / (FRAME + 64);
    else
        max_depth = (8u << 20) / 2 / (FRAME + 64);
    depth = wl_arg_count(argc, argv, 2, 10000 < max_depth ? 10000 : max_depth, 1, max_depth,
                         "DEPTH");

    t0 = wl_now_ns();
    for (uint64_t i = 0; i < n; i++) {
        unsigned s = (unsigned)(wl_rand(&seed) % SLOTS);
        if (slot[s]) {
            free(slot[s]);
            slot[s] = NULL;
        } else {
            slot[s] = malloc(16 + wl_rand(&seed) % 4081);
            if (!slot[s])
                wl_die("malloc");
            *(volatile char *)slot[s] = 1;
        }
    }
    t1 = wl_now_ns();
    for (unsigned s = 0; s < SLOTS; s++)
        free(slot[s]);
    wl_emit("malloc_free_ns", (double)(t1 - t0) / (double)n, "ns", n, NULL);

    t0 = wl_now_ns();
    WL_KEEP(recurse(depth));
    t1 = wl_now_ns();
    WL_KEEP(recurse(depth));
    t2 = wl_now_ns();
    char extra[48];
    snprintf(extra, sizeof extra, "\"frame_bytes\":%d", FRAME);
    wl_emit("recurse_first_ns", (double)(t1 - t0) / (double)depth, "ns", depth, extra);
    wl_emit("recurse_warm_ns", (double)(t2 - t1) / (double)depth, "ns", depth, extra);
    return 0;
}
