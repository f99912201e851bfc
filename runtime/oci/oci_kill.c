/* osbox-oci kill and ps: the processes of a container's pid namespace, as
 * the host sees them, and signals to its init (or, --all, to every one). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/core/internal.h"
#include "runtime/oci/oci.h"
#include "util.h"

int oci_container_pids(const struct oci_state *st, int **pids, size_t *n)
{
    pid_t init = st->pid;
    char path[300], want[64], got[64];
    DIR *d;
    struct dirent *e;
    ssize_t len;

    *pids = NULL;
    *n = 0;
    if (!proc_alive(st->pid, st->pid_start))
        return -1;
    snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)init);
    len = readlink(path, want, sizeof want - 1);
    if (len <= 0)
        return -1;
    want[len] = '\0';
    if (!(d = opendir("/proc")))
        return -1;
    while ((e = readdir(d))) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        snprintf(path, sizeof path, "/proc/%s/ns/pid", e->d_name);
        len = readlink(path, got, sizeof got - 1);
        if (len <= 0)
            continue;
        got[len] = '\0';
        if (strcmp(got, want))
            continue;
        *pids = realloc(*pids, (*n + 1) * sizeof **pids);
        if (!*pids)
            abort();
        (*pids)[(*n)++] = atoi(e->d_name);
    }
    closedir(d);
    return 0;
}

int oci_kill(const char *root, const char *id, int sig, bool all, struct osbox_err *err)
{
    struct oci_state st;
    const char *status;
    int *pids, rc = 0;
    size_t n;

    if (oci_state_read(root, id, &st, err) < 0)
        return -1;
    status = oci_state_status(root, &st);
    if (strcmp(status, "created") && strcmp(status, "running") && strcmp(status, "paused")) {
        osbox_error(err, 0, "container %s is %s: nothing to signal", id, status);
        oci_state_free(&st);
        return -1;
    }
    if (all && oci_container_pids(&st, &pids, &n) == 0) {
        for (size_t i = 0; i < n; i++)
            if (pids[i] != st.pid)
                kill(pids[i], sig);
        free(pids);
    }
    if (kill(st.pid, sig) < 0)
        rc = osbox_error(err, errno, "kill %s", id);
    if (rc == 0 && sig == SIGKILL)
        oci_thaw(&st); /* as runc: a frozen task dies only once thawed */
    oci_state_free(&st);
    return rc;
}
