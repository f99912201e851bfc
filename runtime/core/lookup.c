/* Which container a user means: a name (the symlink $OSBOX_ROOT/names/<name>
 * -> <id>, followed only to a container that exists), a full id, or a unique
 * prefix of one. One set of rules for every command that takes a container
 * (stop, exec, logs, inspect ...) and for --network container:NAME. */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "runtime/core/runtime.h"
#include "util.h"

bool runtime_container_exists(const char *id)
{
    _cleanup_free_ char *dir = runtime_container_dir(id);
    return access(dir, F_OK) == 0;
}

static int no_such(const char *ref, struct osbox_err *err)
{
    osbox_error(err, 0, "no such container: '%s'", ref);
    err->errnum = ENOENT;
    return -1;
}

/* The one id that starts with prefix: 1, 0 for none, -1 when ambiguous. */
static int by_prefix(const char *prefix, char id[65])
{
    _cleanup_free_ char *parent = osbox_strdup_printf("%s/containers", osbox_root_dir());
    DIR *d = opendir(parent);
    struct dirent *e;
    int found = 0;

    if (!d)
        return 0;
    while (found >= 0 && (e = readdir(d))) {
        if (!osbox_is_hex(e->d_name, 64) || strncmp(e->d_name, prefix, strlen(prefix)))
            continue;
        found = found ? -1 : 1;
        memcpy(id, e->d_name, 65);
    }
    closedir(d);
    return found;
}

int container_lookup(const char *ref, char id[65], struct osbox_err *err)
{
    _cleanup_free_ char *link = NULL;
    char target[128];
    ssize_t n;
    int found;

    if (!ref || !*ref || strchr(ref, '/'))
        return no_such(ref ? ref : "", err);
    link = osbox_strdup_printf("%s/names/%s", osbox_root_dir(), ref);
    n = readlink(link, target, sizeof target - 1);
    if (n == 64) {
        target[n] = '\0';
        if (runtime_container_exists(target)) {
            memcpy(id, target, 65);
            return 0;
        }
    }
    if (!osbox_is_hex(ref, 0) || strlen(ref) > 64)
        return no_such(ref, err);
    found = by_prefix(ref, id);
    if (found < 0) {
        osbox_error(err, 0, "container id prefix '%s' is ambiguous: give more characters", ref);
        err->errnum = EINVAL;
        return -1;
    }
    return found ? 0 : no_such(ref, err);
}
