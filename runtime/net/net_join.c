/* --network container:NAME: the new container is cloned inside another
 * running container's network namespace. The parent enters that namespace
 * just around clone3 (setns affects only the calling thread) and the child
 * inherits it; the target is found through its name and live state, and
 * its pid is checked against the recorded start time after the open, so a
 * reused pid cannot hand us a stranger's namespace. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/core/internal.h"
#include "runtime/net/net_internal.h"
#include "util.h"

/* The container --network container:REF names, by the rules of every other
 * command (core/lookup.c). */
int net_join_resolve(const char *ref, char id[65], struct osbox_err *err)
{
    if (container_lookup(ref, id, err) < 0)
        return osbox_error_prefix(err, "--network container:%s", ref);
    return 0;
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
    if (!proc_alive(pid, start))
        return osbox_error(err, 0, "--network container:%s: the container is not running", ref);
    snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return osbox_error(err, errno, "--network container:%s: open %s", ref, path);
    if (!proc_alive(pid, start)) {
        close(fd);
        return osbox_error(err, 0, "--network container:%s: the container is not running", ref);
    }
    *nsfd = fd;
    return 0;
}
