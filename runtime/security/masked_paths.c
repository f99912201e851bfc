/* Paths of /proc and /sys a container must not read (masked: /dev/null on
 * files, an empty read-only tmpfs on directories) or write (bound read-only
 * onto themselves), and where device nodes work: only in /dev, whose nodes
 * osbox made, and /dev is then made read-only, so a node made with
 * CAP_MKNOD (say, the host's disk) cannot be opened anywhere. Runs in the
 * container's init after the rootfs and its mounts are in place. */
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/security/security.h"

static int mask(const char *path, struct osbox_err *err)
{
    struct stat st;

    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : osbox_error(err, errno, "mask %s", path);
    if (S_ISDIR(st.st_mode)) {
        if (mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                  "size=0,mode=555") < 0)
            return osbox_error(err, errno, "mask %s", path);
        return 0;
    }
    if (mount("/dev/null", path, NULL, MS_BIND, NULL) < 0)
        return osbox_error(err, errno, "mask %s", path);
    return 0;
}

static int readonly(const char *path, struct osbox_err *err)
{
    if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
        return errno == ENOENT ? 0 : osbox_error(err, errno, "bind %s read-only", path);
    if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
              NULL) < 0)
        return osbox_error(err, errno, "remount %s read-only", path);
    return 0;
}

static int setattr(const char *path, uint64_t set, struct osbox_err *err)
{
    struct mount_attr a = { .attr_set = set };

    if (syscall(SYS_mount_setattr, AT_FDCWD, path, 0, &a, sizeof a) < 0)
        return osbox_error(err, errno, "set mount attributes of %s", path);
    return 0;
}

static bool is_dev_tmpfs(const struct osbox_spec *spec)
{
    for (size_t i = 0; i < spec->n_mounts; i++)
        if (!strcmp(spec->mounts[i].destination, "/dev") && spec->mounts[i].type &&
            !strcmp(spec->mounts[i].type, "tmpfs"))
            return true;
    return false;
}

int security_setup_mounts(const struct osbox_spec *spec, struct osbox_err *err)
{
    const struct osbox_security *s = &spec->security;

    if (s->privileged)
        return is_dev_tmpfs(spec) ? devices_host_create(s, err) : 0;
    for (size_t i = 0; s->masked_paths && s->masked_paths[i]; i++)
        if (mask(s->masked_paths[i], err) < 0)
            return -1;
    for (size_t i = 0; s->readonly_paths && s->readonly_paths[i]; i++)
        if (readonly(s->readonly_paths[i], err) < 0)
            return -1;
    /* mount_setattr changes only the named attribute (a remount would reset
     * the others, e.g. --read-only's). */
    if (setattr("/", MOUNT_ATTR_NODEV, err) < 0)
        return -1;
    /* OCI linux.devices: made before /dev turns read-only. */
    if (devices_host_create(s, err) < 0)
        return -1;
    if (is_dev_tmpfs(spec) && setattr("/dev", MOUNT_ATTR_RDONLY, err) < 0)
        return -1;
    return 0;
}
