/* --network container:NAME: the new container is cloned inside another
 * running container's network namespace. The parent enters that namespace
 * just around clone3 (setns affects only the calling thread) and the child
 * inherits it; the target is found through its name and live state, and
 * its pid is checked against the recorded start time after the open, so a
 * reused pid cannot hand us a stranger's namespace. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/internal.h"
#include "runtime/net_internal.h"
#include "util.h"

/* Name, full id or unique id prefix -> id. */
int net_join_resolve(const char *ref, char id[65], struct osbox_err *err)
{
    _cleanup_free_ char *link = osbox_strdup_printf("%s/names/%s", osbox_root_dir(), ref);
    _cleanup_free_ char *dir = osbox_strdup_printf("%s/containers", osbox_root_dir());
    ssize_t n = strchr(ref, '/') ? -1 : readlink(link, id, 64);
    DIR *d;
    struct dirent *e;
    int found = 0;

    if (n == 64) {
        id[64] = '\0';
        return 0;
    }
    d = opendir(dir);
    while (d && (e = readdir(d)))
        if (strlen(e->d_name) == 64 && strlen(ref) >= 4 && !strncmp(e->d_name, ref, strlen(ref))) {
            memcpy(id, e->d_name, 65);
            found++;
        }
    if (d)
        closedir(d);
    if (found == 1)
        return 0;
    return osbox_error(err, 0, "--network container:%s: %s", ref,
                       found ? "ambiguous id prefix" : "no such container");
}

int net_join_open(const char *ref, int *nsfd, struct osbox_err *err)
{
    char id[65], path[64];
    _cleanup_free_ char *state = NULL;
    json_t *o;
    pid_t pid;
    unsigned long long start;
    int fd;

    if (net_join_resolve(ref, id, err) < 0)
        return -1;
    _cleanup_free_ char *live = runtime_live_dir(id);
    state = osbox_strdup_printf("%s/state.json", live);
    o = json_load_file(state, 0, NULL);
    pid = o ? (pid_t)json_integer_value(json_object_get(o, "pid")) : 0;
    start = o ? (unsigned long long)json_integer_value(json_object_get(o, "pid_start")) : 0;
    json_decref(o);
    if (pid <= 0 || !start || proc_start_time(pid) != start)
        return osbox_error(err, 0, "--network container:%s: the container is not running", ref);
    snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return osbox_error(err, errno, "--network container:%s: open %s", ref, path);
    if (proc_start_time(pid) != start) {
        close(fd);
        return osbox_error(err, 0, "--network container:%s: the container is not running", ref);
    }
    *nsfd = fd;
    return 0;
}

int net_join_enter(int nsfd, int *saved, struct osbox_err *err)
{
    *saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (*saved < 0)
        return osbox_error(err, errno, "open our network namespace");
    if (setns(nsfd, CLONE_NEWNET) < 0) {
        int e = errno;
        close(*saved);
        *saved = -1;
        return osbox_error(err, e, "enter the other container's network namespace");
    }
    return 0;
}

void net_join_leave(int saved)
{
    if (saved < 0)
        return;
    if (setns(saved, CLONE_NEWNET) < 0)
        abort(); /* osbox must not go on in a container's namespace */
    close(saved);
}
