/* Entering another namespace for a moment and coming back: the netns made
 * ahead of time or another container's (around clone3, which the child
 * inherits), the namespaces an OCI config names, a netlink socket made in a
 * container's netns. setns() changes the calling thread only.
 *
 * One policy: before leaving, open our own namespace and enter it again,
 * which proves we may come back (setns needs CAP_SYS_ADMIN over its owner);
 * a failure to enter changes nothing and is the caller's to report or to
 * work around. A failure to come back aborts: osbox must not go on working
 * inside a container's namespace. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "runtime/core/internal.h"

/* /proc/thread-self/ns/<name>: for pid and time, the namespace our
 * children get, which is what setns() on them changes. */
static const char *ns_name(int type)
{
    switch (type) {
    case CLONE_NEWNET: return "net";
    case CLONE_NEWIPC: return "ipc";
    case CLONE_NEWUTS: return "uts";
    case CLONE_NEWNS: return "mnt";
    case CLONE_NEWCGROUP: return "cgroup";
    case CLONE_NEWPID: return "pid_for_children";
    case CLONE_NEWTIME: return "time_for_children";
    default: return NULL;
    }
}

int ns_enter(int fd, int type, int *saved, struct osbox_err *err)
{
    const char *name = ns_name(type);
    char own[64];
    int e;

    *saved = -1;
    if (!name)
        return osbox_error(err, EINVAL, "enter a namespace of type %#x", (unsigned)type);
    snprintf(own, sizeof own, "/proc/thread-self/ns/%s", name);
    *saved = open(own, O_RDONLY | O_CLOEXEC);
    if (*saved < 0)
        return osbox_error(err, errno, "open our own %s namespace", name);
    if (setns(*saved, type) < 0) {
        e = errno;
        close(*saved);
        *saved = -1;
        return osbox_error(err, e, "%s namespace: we could not come back to our own", name);
    }
    if (setns(fd, type) < 0) {
        e = errno;
        close(*saved);
        *saved = -1;
        return osbox_error(err, e, "enter the %s namespace", name);
    }
    return 0;
}

void ns_leave(int saved, int type)
{
    if (saved < 0)
        return;
    if (setns(saved, type) < 0)
        abort();
    close(saved);
}
