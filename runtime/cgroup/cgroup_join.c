/* The init moves itself into its v1 cgroups (cgroup.h: cgroup_join_open).
 *
 * Writing a pid to cgroup.procs takes the kernel's global threadgroup lock
 * for writing, and the first writer after an idle spell waits for an RCU
 * grace period (4-16 ms measured here, most of a container's start). Moving
 * only the calling thread ("0" written to `tasks`) skips that lock (Linux
 * 6.2+; older kernels take it anyway, so it is never slower). The init is
 * single-threaded then, so its thread is the whole process. The files are
 * opened by osbox, before the init's pivot_root hides the host's /sys. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "runtime/cgroup/cgroup_internal.h"
#include "util.h"

int cgroup_join_open(const struct osbox_cgroup *cg, int *fds, int max, struct osbox_err *err)
{
    int n = 0;

    for (int i = 0; i < cg->n; i++) {
        const struct cg_dir *d = &cg->d[i];
        if (!d->path || d->v2) /* the unified tree: born there (cgroup_clone_fd) */
            continue;
        _cleanup_free_ char *p = osbox_strdup_printf("%s/tasks", d->path);
        int fd = n < max ? open(p, O_WRONLY | O_CLOEXEC) : -1;
        if (fd < 0) {
            int e = n < max ? errno : E2BIG;
            cgroup_join_close(fds, n);
            return osbox_error(err, e, "open %s", p);
        }
        fds[n++] = fd;
    }
    return n;
}

int cgroup_join_self(int *fds, int n, struct osbox_err *err)
{
    int rc = 0;

    for (int i = 0; i < n && rc == 0; i++)
        if (write(fds[i], "0", 1) != 1)
            rc = osbox_error(err, errno, "join the container's cgroup (write 0 to tasks)");
    cgroup_join_close(fds, n);
    return rc;
}

void cgroup_join_close(int *fds, int n)
{
    for (int i = 0; i < n; i++)
        if (fds[i] >= 0) {
            close(fds[i]);
            fds[i] = -1;
        }
}
