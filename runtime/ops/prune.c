/* Disk use of containers (osbox system df) and removing the stopped ones
 * (osbox container prune). Sizes are allocated blocks, as du counts them,
 * each inode once, not crossing into mounts. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runtime/core/runtime.h"
#include "runtime/lifecycle/lifecycle.h"
#include "runtime/ops/ops.h"
#include "util.h"

static __thread uint64_t du_total;

static int du_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)path, (void)type, (void)ftw;
    if (st->st_nlink <= 1 || S_ISDIR(st->st_mode))
        du_total += (uint64_t)st->st_blocks * 512;
    else
        du_total += (uint64_t)st->st_blocks * 512 / st->st_nlink; /* shared: its part */
    return 0;
}

uint64_t osbox_du(const char *path)
{
    du_total = 0;
    nftw(path, du_one, 32, FTW_PHYS | FTW_MOUNT);
    return du_total;
}

uint64_t container_disk_usage(const char *id)
{
    _cleanup_free_ char *dir = runtime_container_dir(id);
    return osbox_du(dir);
}

int container_prune(char ***removed, uint64_t *reclaimed, struct osbox_err *err)
{
    char **ids = container_ids();
    int rc = 0;

    *removed = osbox_xcalloc(1, sizeof **removed);
    *reclaimed = 0;
    for (size_t i = 0; ids[i]; i++) {
        struct container_live l;
        struct osbox_err e;
        int fd;

        container_live_read(ids[i], &l);
        if (l.running || l.holder_alive)
            continue;
        if ((fd = container_lock(ids[i], &e)) < 0)
            continue; /* removed meanwhile */
        container_live_read(ids[i], &l); /* started while we waited for the lock? */
        if (!l.running && !l.holder_alive) {
            uint64_t size = container_disk_usage(ids[i]);
            if (container_remove(ids[i], false, &e) == 0) {
                osbox_strv_push(removed, ids[i]);
                *reclaimed += size;
            } else if (rc == 0) {
                *err = e;
                rc = -1;
            }
        }
        close(fd);
    }
    osbox_strv_free(ids);
    return rc;
}
