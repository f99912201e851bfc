/* fork: the cost of creating a process, and of copy-on-write.
 * fork() copies no memory: parent and child share every page read-only until
 * one of them writes, and that write faults and copies one page (the course's
 * "CoW - copy on write"). The second metric makes the child write one byte in
 * each of PAGES pages that the parent had filled, so each write is a COW fault. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wl.h"

static const struct wl_usage usage = {
    "fork",
    "Usage: fork [N] [PAGES]\n"
    "\n"
    "fork()+_exit()+wait N times (default 2000) and print the cost of one\n"
    "(fork_us); then fill PAGES pages (default 4096 = 16 MiB) and do the same\n"
    "N times again (fork_big_us: more page tables to copy); finally fork once\n"
    "more and let the child write one byte per page: the cost of one\n"
    "copy-on-write fault (cow_fault_ns).\n",
};

static void wait_ok(pid_t pid)
{
    int status;

    if (waitpid(pid, &status, 0) != pid)
        wl_die("waitpid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        errno = 0;
        wl_die("child failed (status %d)", status);
    }
}

/* n times fork + _exit + wait; returns the elapsed ns. */
static uint64_t fork_loop(uint64_t n)
{
    uint64_t t0 = wl_now_ns();

    for (uint64_t i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0)
            wl_die("fork");
        if (pid == 0)
            _exit(0);
        wait_ok(pid);
    }
    return wl_now_ns() - t0;
}

int main(int argc, char **argv)
{
    uint64_t n, pages, fork_ns = 0, cow_ns = 0;
    long psz = sysconf(_SC_PAGESIZE);
    unsigned char *buf;
    int fds[2];
    pid_t pid;

    wl_init(&usage, argc, argv);
    wl_max_args(argc, argv, 2);
    n = wl_arg_count(argc, argv, 1, 2000, 1, 100000000, "N");
    pages = wl_arg_count(argc, argv, 2, 4096, 1, 16u << 20, "PAGES");

    wl_emit("fork_us", (double)fork_loop(n) / 1e3 / (double)n, "us", n, NULL);

    buf = mmap(NULL, pages * (uint64_t)psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
               -1, 0);
    if (buf == MAP_FAILED)
        wl_die("mmap %llu pages", (unsigned long long)pages);
    memset(buf, 1, pages * (uint64_t)psz); /* populate: the pages now exist in the parent */
    if (pipe(fds))
        wl_die("pipe");
    fork_ns = fork_loop(n);

    pid = fork();
    if (pid < 0)
        wl_die("fork");
    if (pid == 0) {
        uint64_t c0 = wl_now_ns(), c1;
        for (uint64_t p = 0; p < pages; p++)
            buf[p * (uint64_t)psz] = 2; /* write fault: copy this page */
        c1 = wl_now_ns() - c0;
        _exit(wl_write_full(fds[1], &c1, sizeof c1) == sizeof c1 ? 0 : 1);
    }
    if (wl_read_full(fds[0], &cow_ns, sizeof cow_ns) != sizeof cow_ns)
        wl_die("read child timing");
    wait_ok(pid);
    if (buf[0] != 1) { /* the child's writes must not show through */
        errno = 0;
        wl_die("copy-on-write broken: parent saw the child's write");
    }

    char extra[48];
    snprintf(extra, sizeof extra, "\"pages\":%llu", (unsigned long long)pages);
    wl_emit("fork_big_us", (double)fork_ns / 1e3 / (double)n, "us", n, extra);
    wl_emit("cow_fault_ns", (double)cow_ns / (double)pages, "ns", pages, NULL);
    munmap(buf, pages * (uint64_t)psz);
    return 0;
}
