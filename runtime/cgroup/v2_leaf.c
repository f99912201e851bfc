/* Pure v2 under a delegating manager (systemd's Delegate=yes): the "no
 * internal processes" rule forbids controllers for the children of a cgroup
 * that holds processes, and the unit's cgroup holds osbox. Rather than put the
 * container beside the unit (outside its accounting and limits), osbox moves
 * the unit's processes into a leaf "<unit cgroup>/supervisor" so that the
 * unit's cgroup can enable controllers and hold the container's cgroup.
 * Only where the cgroup is delegated: moving processes out of a cgroup that
 * some other manager owns would break its bookkeeping. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "runtime/cgroup/cgroup_internal.h"
#include "util.h"

/* Rounds of "move every listed pid": a process forking while we move it
 * shows up again in the next round. */
#define LEAF_MOVE_ROUNDS 50

enum cg2_place cg2_choose_place(const char *own, int enable_errnum, bool delegated)
{
    if (enable_errnum == 0)
        return CG2_PLACE_OWN;
    if (strcmp(own, "/") == 0 || (enable_errnum != EBUSY && enable_errnum != EOPNOTSUPP))
        return CG2_PLACE_FAIL;
    /* EBUSY: own holds processes. Under delegation they may move. */
    if (enable_errnum == EBUSY && delegated)
        return CG2_PLACE_LEAF;
    return CG2_PLACE_SIBLING;
}

bool cg2_delegated(const char *dir)
{
    char v[16];

    /* systemd marks a Delegate=yes unit's cgroup: trusted.* when it runs as
     * root, user.* for a user manager (which cannot write trusted.*). */
    return getxattr(dir, "trusted.delegate", v, sizeof v) >= 0 ||
           getxattr(dir, "user.delegate", v, sizeof v) >= 0;
}

/* One pass: every pid in from/cgroup.procs to leaf; returns how many were listed. */
static int move_listed(const char *from, const char *leaf, struct osbox_err *err)
{
    _cleanup_free_ char *path = osbox_strdup_printf("%s/cgroup.procs", from);
    _cleanup_free_ char *list = NULL;
    int n = 0;

    if (osbox_read_file(path, &list, NULL, err) < 0)
        return -1;
    for (char *save = NULL, *tok = strtok_r(list, "\n", &save); tok; tok = strtok_r(NULL, "\n", &save)) {
        struct osbox_err e;
        n++;
        /* A process that exited meanwhile is not an error. */
        if (cg_write(leaf, "cgroup.procs", tok, &e) < 0 && e.errnum != ESRCH)
            return osbox_error(err, e.errnum, "move pid %s into %s", tok, leaf);
    }
    return n;
}

int cg2_move_to_leaf(const char *own_dir, struct osbox_err *err)
{
    _cleanup_free_ char *leaf = osbox_strdup_printf("%s/" CG2_SUPERVISOR_LEAF, own_dir);

    if (mkdir(leaf, 0755) < 0 && errno != EEXIST)
        return osbox_error(err, errno, "create cgroup %s", leaf);
    for (int round = 0; round < LEAF_MOVE_ROUNDS; round++) {
        int n = move_listed(own_dir, leaf, err);
        if (n <= 0)
            return n;
    }
    return osbox_error(err, EBUSY, "cannot empty cgroup %s into %s: processes keep appearing",
                       own_dir, leaf);
}
