/* A container's new network namespace, made ahead of time on a thread.
 * Creating one costs ~0.5 ms (sysctl tables, lo, per-net subsystems), which
 * clone3(CLONE_NEWNET) would spend with osbox waiting; made while osbox
 * resolves the image and writes its state, it costs no wall time. The
 * child is then cloned inside it (osbox enters it for the clone3 call, as
 * for --network container:), with lo already up. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <unistd.h>

#include "runtime/core/internal.h"
#include "util.h"

static pthread_t thread;
static bool started;
static int made = -1;

static void *make_netns(void *unused)
{
    struct osbox_err err;
    int fd;

    (void)unused;
    /* unshare affects this thread alone; it ends right after. */
    if (unshare(CLONE_NEWNET) < 0)
        return NULL;
    fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    if (net_loopback_up(&err) < 0) {
        close(fd);
        return NULL;
    }
    made = fd;
    return NULL;
}

/* Run the thread on another CPU than ours when there is one: placed on our
 * own (the scheduler's usual choice for a new task), it would only take
 * turns with osbox instead of running beside it. It lives ~0.5 ms. */
static void other_cpus(pthread_attr_t *attr)
{
    cpu_set_t set;
    int me = sched_getcpu();

    if (me < 0 || sched_getaffinity(0, sizeof set, &set) < 0 || CPU_COUNT(&set) < 2)
        return;
    CPU_CLR(me, &set);
    pthread_attr_setaffinity_np(attr, sizeof set, &set);
}

void runtime_prefetch_netns(void)
{
    pthread_attr_t attr;
    sigset_t all, old;

    if (started || pthread_attr_init(&attr) != 0)
        return;
    pthread_attr_setstacksize(&attr, 64 * 1024);
    other_cpus(&attr);
    /* No signal may land on the helper thread. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    started = pthread_create(&thread, &attr, make_netns, NULL) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
}

int netns_prefetched(void)
{
    int fd;

    if (!started)
        return -1;
    pthread_join(thread, NULL); /* single-threaded again before any clone3 */
    started = false;
    fd = made;
    made = -1;
    return fd;
}
