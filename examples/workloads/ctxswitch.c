/* ctxswitch: process switch vs thread switch.
 * Two processes bounce a byte over two pipes; then two threads of one process
 * bounce a flag through futex wait/wake. Both are pinned to one CPU so every
 * hand-over is a real context switch; a process switch also changes the
 * address space (page table root, TLB), a thread switch does not. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wl.h"

/* From <linux/futex.h>, which musl-gcc does not ship. */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1

static const struct wl_usage usage = {
    "ctxswitch",
    "Usage: ctxswitch [N]\n"
    "\n"
    "Ping-pong N round trips (default 100000) between two processes over two\n"
    "pipes, then between two threads with futex wait/wake, pinned to one CPU.\n"
    "Prints the cost of one hand-over, i.e. a context switch plus the system\n"
    "calls that cause it (a round trip is two hand-overs):\n"
    "  pipe_switch_ns   process to process\n"
    "  futex_switch_ns  thread to thread\n",
};

static uint64_t pipe_pingpong(uint64_t n)
{
    int ab[2], ba[2];
    char c = 'x';
    pid_t pid;
    uint64_t t0, t1;
    int status;

    if (pipe(ab) || pipe(ba))
        wl_die("pipe");
    pid = fork();
    if (pid < 0)
        wl_die("fork");
    if (pid == 0) {
        close(ab[1]);
        close(ba[0]);
        for (uint64_t i = 0; i < n; i++)
            if (wl_read_full(ab[0], &c, 1) != 1 || wl_write_full(ba[1], &c, 1) != 1)
                _exit(1);
        _exit(0);
    }
    close(ab[0]);
    close(ba[1]);
    t0 = wl_now_ns();
    for (uint64_t i = 0; i < n; i++)
        if (wl_write_full(ab[1], &c, 1) != 1 || wl_read_full(ba[0], &c, 1) != 1)
            wl_die("pipe ping-pong");
    t1 = wl_now_ns();
    close(ab[1]);
    close(ba[0]);
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
        wl_die("ping-pong child failed");
    return t1 - t0;
}

/* The turn word: 0 = main thread's turn, 1 = the partner's. */
static atomic_int turn;
static uint64_t rounds;

static void futex_wait(atomic_int *addr, int val)
{
    /* Plain (shared) futex ops: the simplest form for a small kernel to offer. */
    while (atomic_load(addr) == val)
        if (syscall(SYS_futex, addr, FUTEX_WAIT, val, NULL, NULL, 0) < 0 && errno != EAGAIN &&
            errno != EINTR)
            wl_die("futex wait");
}

static void futex_wake(atomic_int *addr)
{
    if (syscall(SYS_futex, addr, FUTEX_WAKE, 1, NULL, NULL, 0) < 0)
        wl_die("futex wake");
}

static void *partner(void *arg)
{
    (void)arg;
    for (uint64_t i = 0; i < rounds; i++) {
        futex_wait(&turn, 0);
        atomic_store(&turn, 0);
        futex_wake(&turn);
    }
    return NULL;
}

static uint64_t futex_pingpong(uint64_t n)
{
    pthread_t th;
    uint64_t t0, t1;
    int e;

    rounds = n;
    atomic_store(&turn, 0);
    e = pthread_create(&th, NULL, partner, NULL);
    if (e) {
        errno = e;
        wl_die("pthread_create");
    }
    t0 = wl_now_ns();
    for (uint64_t i = 0; i < n; i++) {
        atomic_store(&turn, 1);
        futex_wake(&turn);
        futex_wait(&turn, 1);
    }
    t1 = wl_now_ns();
    pthread_join(th, NULL);
    return t1 - t0;
}

int main(int argc, char **argv)
{
    uint64_t n;
    int pinned;
    char extra[32];

    wl_init(&usage, argc, argv);
    wl_max_args(argc, argv, 1);
    n = wl_arg_count(argc, argv, 1, 100000, 1, 1000000000ULL, "N");
    pinned = wl_pin_one_cpu();
    snprintf(extra, sizeof extra, "\"pinned\":%s", pinned ? "true" : "false");

    wl_emit("pipe_switch_ns", (double)pipe_pingpong(n) / (2.0 * (double)n), "ns", n, extra);
    wl_emit("futex_switch_ns", (double)futex_pingpong(n) / (2.0 * (double)n), "ns", n, extra);
    return 0;
}
