/* --privileged gets the host's device nodes, as Docker does: osbox lists
 * them (before the container exists) and the container's init makes the
 * same nodes in its own /dev tmpfs. Skipped: /dev/pts, /dev/shm,
 * /dev/mqueue (the container has its own), the console and ptmx.
 * devices_host_create also makes an OCI config's linux.devices. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/security/security.h"
#include "util.h"

static bool skipped(const char *rel)
{
    static const char *const skip[] = { "pts", "shm", "mqueue", "console", "ptmx", "core",
                                        "fd", "stdin", "stdout", "stderr" };
    for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++)
        if (!strcmp(rel, skip[i]))
            return true;
    return false;
}

static void scan(struct osbox_security *s, const char *dir, const char *rel, int depth)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (!d)
        return;
    while ((e = readdir(d))) {
        struct stat st;
        char *path, *r;
        if (e->d_name[0] == '.')
            continue;
        r = *rel ? osbox_strdup_printf("%s/%s", rel, e->d_name) : osbox_xstrdup(e->d_name);
        path = osbox_strdup_printf("%s/%s", dir, e->d_name);
        if (!skipped(r) && lstat(path, &st) == 0) {
            if (S_ISDIR(st.st_mode) && depth < 3) {
                scan(s, path, r, depth + 1);
            } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
                struct osbox_device *dv = realloc(s->devices, (s->n_devices + 1) * sizeof *dv);
                if (!dv)
                    abort();
                s->devices = dv;
                s->devices[s->n_devices++] = (struct osbox_device){
                    .path = osbox_strdup_printf("/dev/%s", r), .mode = st.st_mode,
                    .rdev = st.st_rdev, .uid = st.st_uid, .gid = st.st_gid,
                };
            }
        }
        free(path);
        free(r);
    }
    closedir(d);
}

void devices_host_scan(struct osbox_security *s)
{
    scan(s, "/dev", "", 0);
}

void devices_host_free(struct osbox_security *s)
{
    for (size_t i = 0; i < s->n_devices; i++)
        free(s->devices[i].path);
    free(s->devices);
    s->devices = NULL;
    s->n_devices = 0;
}

/* In the container: the nodes osbox already made stay as they are. */
int devices_host_create(const struct osbox_security *s, struct osbox_err *err)
{
    mode_t old = umask(0);
    int rc = 0;

    for (size_t i = 0; i < s->n_devices && rc == 0; i++) {
        const struct osbox_device *dv = &s->devices[i];
        _cleanup_free_ char *dir = osbox_xstrdup(dv->path);
        char *slash = strrchr(dir, '/');
        if (slash && slash != dir) {
            *slash = '\0';
            if (osbox_mkdir_p(dir, 0755, err) < 0) {
                rc = -1;
                break;
            }
        }
        if (mknod(dv->path, dv->mode, dv->rdev) < 0) {
            if (errno == EEXIST)
                continue;
            rc = osbox_error(err, errno, "mknod %s", dv->path);
            break;
        }
        /* umask is 0 here: the mode is the one asked for. */
        if (lchown(dv->path, dv->uid, dv->gid) < 0)
            rc = osbox_error(err, errno, "chown %s", dv->path);
    }
    umask(old);
    return rc;
}
