/* syscall: the cost of a mode switch.
 * getpid() does almost no work in the kernel, so a loop of them measures the
 * trip user -> kernel -> user itself (the course's "system calls" chapter). */
#define _GNU_SOURCE
#include <sys/syscall.h>
#include <unistd.h>

#include "wl.h"

static const struct wl_usage usage = {
    "syscall",
    "Usage: syscall [N]\n"
    "\n"
    "Call getpid() N times (default 1000000) and print the cost of one call\n"
    "(a round trip from user mode into the kernel and back) as a JSON line:\n"
    "  {\"workload\":\"syscall\",\"metric\":\"getpid_ns\",...}\n",
};

int main(int argc, char **argv)
{
    uint64_t n, t0, t1;

    wl_init(&usage, argc, argv);
    wl_max_args(argc, argv, 1);
    n = wl_arg_count(argc, argv, 1, 1000000, 1, 10000000000ULL, "N");

    /* syscall() directly: a libc could cache getpid() and never enter the kernel. */
    t0 = wl_now_ns();
    for (uint64_t i = 0; i < n; i++) {
        long pid = syscall(SYS_getpid);
        WL_KEEP(pid);
    }
    t1 = wl_now_ns();
    wl_emit("getpid_ns", (double)(t1 - t0) / (double)n, "ns", n, NULL);
    return 0;
}
