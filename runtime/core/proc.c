/* A process named by (pid, start time), as live state, leases, lifecycle
 * files and OCI state record their holders: the start time (field 22 of
 * /proc/<pid>/stat, clock ticks since boot) tells the recorded process from
 * a later one that got the same pid.
 *
 * One rule for "alive" everywhere: the pid exists, has the recorded start
 * time and is not a zombie. A zombie has exited: it runs nothing and will
 * never clean up after itself, it only waits for a reaper that may take its
 * time (a monitor re-parented to pid 1, an osbox whose parent does not
 * wait). Counting it alive would keep its lease, its live state and its
 * "running" status for as long as nobody reaps it. */
#include <stdio.h>
#include <string.h>

#include "runtime/core/internal.h"

/* State letter and start time of pid; 0 when it is gone or unreadable. */
static int proc_stat(pid_t pid, char *state, unsigned long long *start)
{
    char path[64], buf[1024], *p;
    FILE *f;

    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    f = fopen(path, "re");
    if (!f)
        return 0;
    p = fgets(buf, sizeof buf, f);
    fclose(f);
    /* Skip past the comm field, which may hold spaces and parentheses. */
    if (!p || !(p = strrchr(buf, ')')) ||
        sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
                      "%*d %*d %llu", state, start) != 2)
        return 0;
    return 1;
}

unsigned long long proc_start_time(pid_t pid)
{
    char state;
    unsigned long long start;

    return pid > 0 && proc_stat(pid, &state, &start) ? start : 0;
}

bool proc_alive(pid_t pid, unsigned long long start)
{
    char state;
    unsigned long long now;

    if (pid <= 0 || !start || !proc_stat(pid, &state, &now))
        return false;
    return now == start && state != 'Z' && state != 'X';
}
