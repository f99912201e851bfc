/* pagefault: the cost of demand paging.
 * mmap() only reserves address space; the first write to each page faults into
 * the kernel, which finds a zeroed physical page and maps it. Touching the same
 * pages again costs only a memory access (plus a TLB miss now and then). */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <unistd.h>

#include "wl.h"

static const struct wl_usage usage = {
    "pagefault",
    "Usage: pagefault [PAGES]\n"
    "\n"
    "Map PAGES anonymous pages (default 16384 = 64 MiB), write one byte to each:\n"
    "the cost of one first-touch page fault (first_touch_ns); write them all\n"
    "again: the cost of touching a page that is already mapped (retouch_ns).\n",
};

int main(int argc, char **argv)
{
    uint64_t pages, t0, t1, t2;
    long psz = sysconf(_SC_PAGESIZE);
    volatile unsigned char *buf;

    wl_init(&usage, argc, argv);
    wl_max_args(argc, argv, 1);
    pages = wl_arg_count(argc, argv, 1, 16384, 1, 16u << 20, "PAGES");

    buf = mmap(NULL, pages * (uint64_t)psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
               -1, 0);
    if (buf == MAP_FAILED)
        wl_die("mmap %llu pages", (unsigned long long)pages);
    t0 = wl_now_ns();
    for (uint64_t p = 0; p < pages; p++)
        buf[p * (uint64_t)psz] = 1;
    t1 = wl_now_ns();
    for (uint64_t p = 0; p < pages; p++)
        buf[p * (uint64_t)psz] = 2;
    t2 = wl_now_ns();
    wl_emit("first_touch_ns", (double)(t1 - t0) / (double)pages, "ns", pages, NULL);
    wl_emit("retouch_ns", (double)(t2 - t1) / (double)pages, "ns", pages, NULL);
    munmap((void *)buf, pages * (uint64_t)psz);
    return 0;
}
