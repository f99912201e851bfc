/* Operating running containers: pause/unpause, stats, top, update, and the
 * housekeeping commands around them. Each works on a container some other
 * osbox started (foreground or detached): it finds the container's init from
 * the live state and the init's cgroup from /proc (cgroup_of_pid), so it
 * needs no daemon. Callers hold the container's lock where they change it. */
#ifndef OSBOX_RUNTIME_OPS_H
#define OSBOX_RUNTIME_OPS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "osbox_err.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/lifecycle/lifecycle.h"

/* The cgroup of the running container id (its init's, named osbox-<id>).
 * Not running: errnum ESRCH, "container X is not running". */
int container_cgroup(const char *id, struct osbox_cgroup **out, struct osbox_err *err);

/* pause.c: freeze / thaw every process of the container. Pausing a paused
 * container or unpausing a running one is an error, as in Docker. */
int container_pause(const char *id, struct osbox_err *err);
int container_unpause(const char *id, struct osbox_err *err);
bool container_is_paused(const char *id);
/* Thaw if paused, quietly: a signal sent to a frozen container is only
 * acted on once it runs again (stop, kill and rm do this, as runc does). */
void container_thaw_quietly(const char *id);

/* stats.c: one sample of a running container (ESRCH when it is not). */
struct container_stats {
    char id[65];
    struct osbox_cgroup_usage usage;
    uint64_t net_rx, net_tx;   /* bytes, every interface of its netns but lo */
    uint64_t sampled_us;       /* CLOCK_BOOTTIME of the sample */
    uint64_t started_us;       /* CLOCK_BOOTTIME when its init started */
};
int container_stats_read(const char *id, struct container_stats *st, struct osbox_err *err);
/* CPU time over wall time between two samples (100 = one CPU busy); without
 * prev, over the container's whole life. */
double container_cpu_percent(const struct container_stats *prev, const struct container_stats *cur);
double container_mem_percent(const struct container_stats *st);

/* top.c: the processes of the container's pid namespace, host and
 * container pids (a malloc'd array). */
struct container_pid {
    pid_t pid;      /* on the host */
    pid_t ctr_pid;  /* inside the container */
};
int container_pids(const char *id, struct container_pid **out, size_t *n, struct osbox_err *err);
/* Host `ps ps_args` (NULL or empty: -ef) filtered to the container's
 * processes, each row prefixed by its container pid (CPID), to out. */
int container_top(const char *id, char *const *ps_args, FILE *out, struct osbox_err *err);

/* update.c: limits of a running container (res: the fields that are set;
 * a cpuset joins or enables the cpuset controller where the container was
 * started without one), and the restart policy its monitor applies from the
 * next exit on. */
struct container_update {
    struct osbox_resources res;
    bool pids_unlimited;          /* --pids-limit -1 */
    bool set_restart;
    struct restart_spec restart;
};
int container_update(const char *id, const struct container_update *u, struct osbox_err *err);

/* cp.c: copy ctr_path of running container id to host_path (from_container)
 * or host_path into it; "-" as host_path is a tar stream on stdout/stdin.
 * The container's side resolves every path inside the container. */
int container_copy(const char *id, bool from_container, const char *ctr_path, const char *host_path,
                   struct osbox_err *err);

/* rename.c: a new unique name (caller holds the lock). */
int container_rename(const char *id, const char *name, struct osbox_err *err);

/* prune.c: allocated bytes under path (du: hard links shared, mounts not
 * crossed); a container's directory (writable layer, logs, record); removing
 * every container that is not running (ids appended to *removed). */
uint64_t osbox_du(const char *path);
uint64_t container_disk_usage(const char *id);
int container_prune(char ***removed, uint64_t *reclaimed, struct osbox_err *err);

/* export (cp.c): the container's root filesystem (not the mounts below
 * it) as a tar to out ("-" or NULL: stdout; a file appears whole or not). */
int container_export(const char *id, const char *out, struct osbox_err *err);

/* diff.c: what the container changed against its image, from its writable
 * layer: "A path" added, "C path" changed, "D path" deleted; sorted. */
int container_diff(const char *id, char ***lines, struct osbox_err *err);

/* events.c: the append-only event log ($OSBOX_ROOT/events.log). name NULL:
 * read from the record; exit_code < 0: none. Never fails the caller. */
void event_log(const char *id, const char *name, const char *action, int exit_code);
struct events_opts {
    int64_t since_ns, until_ns;  /* 0: from now on / no end */
    bool follow;                 /* keep reading until until_ns (or forever) */
    const char *container;       /* full id or name; NULL all */
    const char *action;          /* NULL all */
    bool json;                   /* the log's lines as they are, else Docker's text */
};
int events_read(const struct events_opts *o, FILE *out, struct osbox_err *err);
int events_parse_time(const char *s, int64_t *ns, struct osbox_err *err);

/* commit_source.c: what osbox commit reads of a container: the upper dir,
 * the layers below it (bottom first) and its image (digest NULL: --rootfs). */
struct container_fs {
    char *upper;
    char **lowers;
    char *image_digest;
    char *image;
};
int container_commit_source(const char *id, struct container_fs *fs, struct osbox_err *err);
void container_fs_free(struct container_fs *fs);

/* list.c: the ids of every container in the store, sorted (a strv). */
char **container_ids(void);

#endif
