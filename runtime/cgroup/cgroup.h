/* cgroups for containers: one interface over v2, v1 and hybrid hosts.
 *
 * A container's cgroup is created before its init runs, the init is placed in
 * it (CLONE_INTO_CGROUP on pure v2, or by pid), and it is destroyed when the
 * container goes. The name is "osbox-<container id>" under the cgroup osbox
 * itself runs in (or under --cgroup-parent, a path from the hierarchy's root,
 * made on demand and removed again when empty), so services under systemd
 * keep their containers inside their own subtree.
 *
 * v1: one directory in each hierarchy holding a controller osbox uses (memory,
 * cpu, cpuacct, pids, freezer; cpuset when a cpuset is asked for; devices
 * with device rules); blkio... and named ones such
 * as name=systemd are left alone. Hybrid: the v1 controllers carry the limits,
 * and the container is also placed in the unified tree (tracking, cgroup.kill).
 * v2: controllers are enabled from the root down; when osbox's own cgroup
 * holds processes (v2's "no internal processes" rule forbids controllers
 * below it) and is delegated to osbox (systemd's Delegate=yes marks it with
 * the trusted.delegate or user.delegate xattr), those processes move into a
 * leaf "<own>/supervisor" and the container's cgroup is made beside it;
 * without delegation the container is made its sibling instead. */
#ifndef OSBOX_RUNTIME_CGROUP_H
#define OSBOX_RUNTIME_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "osbox_err.h"

enum osbox_cgroup_mode {
    OSBOX_CGROUP_V2,      /* pure cgroup2 on /sys/fs/cgroup */
    OSBOX_CGROUP_V1,      /* v1 controllers only */
    OSBOX_CGROUP_HYBRID,  /* v1 controllers plus cgroup2 at /sys/fs/cgroup/unified */
};

/* One device cgroup rule (devices.c): "c 1:3 rw" allowed, "a" denied...
 * Rules are checked in order and the last one that matches decides (OCI's
 * linux.resources.devices); a device no rule matches is denied. */
#define OSBOX_DEV_ANY (-1)   /* major or minor wildcard ("*") */
#define OSBOX_DEV_READ 1u
#define OSBOX_DEV_WRITE 2u
#define OSBOX_DEV_MKNOD 4u
#define OSBOX_MAX_DEV_RULES 64
struct osbox_dev_rule {
    char type;          /* 'a' all, 'b' block, 'c' char */
    int64_t major, minor; /* OSBOX_DEV_ANY or a number */
    unsigned access;    /* OSBOX_DEV_* bits */
    bool allow;
};

/* Limits as the CLI and OCI config give them. A field left at its "unset"
 * value is not written. */
struct osbox_resources {
    int64_t memory_limit;   /* bytes; -1 unset */
    int64_t memory_swap;    /* memory+swap bytes (Docker --memory-swap / OCI memory.swap); -1 unlimited; 0 unset */
    bool memory_swap_default; /* memory_swap is Docker's default for -m alone: without swap
                                 accounting it is skipped, not an error */
    int64_t cpu_quota_us;   /* -1 unset */
    uint64_t cpu_period_us; /* 0 unset (100000 when a quota is set) */
    uint64_t cpu_shares;    /* v1 scale 2..262144; 0 unset */
    uint64_t cpu_weight;    /* v2 scale 1..10000; 0 unset (derived from shares if those are set) */
    int64_t pids_limit;     /* -1 unset; 0 or less than -1 invalid */
    char cpuset_cpus[128];  /* cpuset.cpus list ("0-1,3"); "" unset */
    char cpuset_mems[128];  /* cpuset.mems list; "" unset */
    /* Device cgroup: none = not restricted (--privileged, rootless, OCI
     * configs without linux.resources.devices). */
    struct osbox_dev_rule dev_rules[OSBOX_MAX_DEV_RULES];
    unsigned n_dev_rules;
};

static inline void osbox_resources_init(struct osbox_resources *r)
{
    *r = (struct osbox_resources){ .memory_limit = -1, .memory_swap = 0, .cpu_quota_us = -1,
                                   .cpu_period_us = 0, .cpu_shares = 0, .cpu_weight = 0,
                                   .pids_limit = -1 };
}

struct osbox_cgroup_stats {
    uint64_t cpu_usage_usec;
    uint64_t nr_throttled;
    uint64_t throttled_usec;
    uint64_t memory_current;
    uint64_t oom_kills;
    uint64_t pids_current;
    uint64_t memory_peak;     /* high-water mark (v2 memory.peak, v1 max_usage_in_bytes); 0 if unknown */
};

/* Parsers for the `osbox run` flags (resources.c). Each fills one field of r;
 * errors name the flag and the value, e.g. "invalid --memory '12XB': unknown unit". */
int resources_set_memory(struct osbox_resources *r, const char *val, struct osbox_err *err);      /* -m: size, >= 6m */
int resources_set_memory_swap(struct osbox_resources *r, const char *val, struct osbox_err *err); /* size (memory+swap) or -1 */
int resources_set_cpus(struct osbox_resources *r, const char *val, struct osbox_err *err);        /* 0.5 -> 50000/100000 */
int resources_set_cpu_shares(struct osbox_resources *r, const char *val, struct osbox_err *err);  /* 2..262144 */
int resources_set_cpu_weight(struct osbox_resources *r, const char *val, struct osbox_err *err);  /* 1..10000 */
int resources_set_pids_limit(struct osbox_resources *r, const char *val, struct osbox_err *err);  /* > 0, or -1 unlimited */
/* A CPU / memory node list ("0-2,4"), each one present on the host
 * (/sys/devices/system/cpu/online, /sys/devices/system/node/online). */
int resources_set_cpuset_cpus(struct osbox_resources *r, const char *val, struct osbox_err *err);
int resources_set_cpuset_mems(struct osbox_resources *r, const char *val, struct osbox_err *err);
/* Cross-field checks (swap without memory, swap < memory, ranges from OCI configs). */
int resources_validate(const struct osbox_resources *r, struct osbox_err *err);
/* Docker's default for -m without --memory-swap: as much swap as memory
 * (memory+swap = 2 x memory), where the kernel accounts swap. */
void resources_default_swap(struct osbox_resources *r);
/* True when any limit is set. */
bool resources_any(const struct osbox_resources *r);

/* Device rules (devices.c). access is a mix of "rwm" (NULL or "": rwm). */
int resources_add_dev_rule(struct osbox_resources *r, char type, int64_t major, int64_t minor,
                           const char *access, bool allow, struct osbox_err *err);
/* Docker's default for `osbox run`: deny all, then mknod of any node and
 * use of null, zero, full, random, urandom, tty, console, ptmx, pts/N
 * (and tun). */
void resources_default_dev_rules(struct osbox_resources *r);
/* "c 1:3 rw" (the v1 devices.allow form) of one rule; buf of 48 bytes. */
void resources_dev_rule_text(const struct osbox_dev_rule *rule, char *buf, size_t len);

/* --cpus VAL on a host with host_cpus CPUs -> CFS quota/period (microseconds). */
int resources_cpus_to_quota(const char *val, long host_cpus, int64_t *quota_us, uint64_t *period_us,
                            struct osbox_err *err);
/* v1 cpu.shares (2..262144, default 1024) <-> v2 cpu.weight (1..10000, default 100). */
uint64_t cgroup_shares_to_weight(uint64_t shares);
uint64_t cgroup_weight_to_shares(uint64_t weight);
/* memory.swap.max for v2 (swap only, not memory+swap): -1 "max", -2 unset, else bytes. */
int64_t resources_v2_swap_max(const struct osbox_resources *r);

struct osbox_cgroup;

int cgroup_detect(enum osbox_cgroup_mode *mode, struct osbox_err *err);
const char *cgroup_mode_name(enum osbox_cgroup_mode mode); /* "v2", "v1", "hybrid" */

/* Create the container's cgroup ("osbox-<id>") under parent (NULL: the cgroup
 * osbox runs in) and apply res. On failure nothing is left behind. */
int cgroup_create(const char *id, const char *parent, const struct osbox_resources *res,
                  struct osbox_cgroup **out, struct osbox_err *err);
/* The same in two steps: cgroup_plan checks the arguments and reads the
 * host's layout (nothing is made yet); cgroup_realize makes the directories
 * and applies the limits, so on v1 it can run after the clone, while the
 * child builds its rootfs. On failure cgroup_realize leaves nothing behind
 * and sets *cg to NULL; a plan never realized is freed by cgroup_destroy. */
int cgroup_plan(const char *id, const char *parent, const struct osbox_resources *res,
                struct osbox_cgroup **out, struct osbox_err *err);
int cgroup_realize(struct osbox_cgroup **cg, struct osbox_err *err);
enum osbox_cgroup_mode cgroup_mode(const struct osbox_cgroup *cg);
/* Hybrid: make the unified-tree directory of a plan ahead of the rest, so
 * the init can be born in it (cgroup_clone_fd); best effort, as the unified
 * tree is only for tracking here. No-op elsewhere. */
void cgroup_realize_unified(struct osbox_cgroup *cg);
/* A directory fd for clone3(CLONE_INTO_CGROUP): the cgroup on pure v2, the
 * unified-tree directory on hybrid (after cgroup_realize_unified), else -1
 * (owned by cg). */
int cgroup_clone_fd(const struct osbox_cgroup *cg);
/* Move pid into the cgroup (every hierarchy osbox uses). */
int cgroup_add_pid(struct osbox_cgroup *cg, pid_t pid, struct osbox_err *err);

/* v1/hybrid without a migration's RCU grace period (cgroup_join.c): osbox
 * opens one `tasks` file per v1 directory of a realized cgroup (returns how
 * many, at most max, or -1), and hands them to the single-threaded init,
 * which moves itself with cgroup_join_self (that closes them). */
#define CGROUP_MAX_JOIN_FDS 16
int cgroup_join_open(const struct osbox_cgroup *cg, int *fds, int max, struct osbox_err *err);
int cgroup_join_self(int *fds, int n, struct osbox_err *err);
void cgroup_join_close(int *fds, int n);
int cgroup_stats(struct osbox_cgroup *cg, struct osbox_cgroup_stats *st, struct osbox_err *err);
/* Path(s) for the record, e.g. "/osbox-<id>" relative to the hierarchy root. */
const char *cgroup_relpath(const struct osbox_cgroup *cg);
/* Absolute directory holding controller ctrl ("memory", "cpu", "pids"; NULL or ""
 * for the v2/unified one), NULL if the container has none. */
const char *cgroup_dir(const struct osbox_cgroup *cg, const char *ctrl);
/* Kill what is left, remove the cgroup(s) in every hierarchy, free cg. */
int cgroup_destroy(struct osbox_cgroup *cg, struct osbox_err *err);
/* Remove an "osbox-<id>" cgroup left by a killed osbox, by id (for `osbox gc`). */
int cgroup_remove_stale(const char *id, struct osbox_err *err);

/* The cgroup(s) a running process is in (cgroup_pid.c), for commands that act
 * on a container some other osbox created: every hierarchy where the process
 * is below the root and, when leaf is given, in a cgroup of that name
 * ("osbox-<id>"). Free with cgroup_release (which removes nothing). */
int cgroup_of_pid(pid_t pid, const char *leaf, struct osbox_cgroup **out, struct osbox_err *err);
void cgroup_release(struct osbox_cgroup *cg);

/* Freezer (freezer.c): v2 cgroup.freeze, v1 freezer.state. Freezing returns
 * once every task has stopped (bounded; thawed again on timeout). */
int cgroup_freeze(struct osbox_cgroup *cg, bool freeze, struct osbox_err *err);
/* 1 frozen (or freezing), 0 thawed, -1 no freezer. */
int cgroup_freezer_state(const struct osbox_cgroup *cg);

/* New limits on a live cgroup (cgroup_update.c): the fields of res that are
 * set (a cpuset needs cgroup_ensure_cpuset first), pids.max "max" when
 * pids_unlimited. */
int cgroup_update(struct osbox_cgroup *cg, const struct osbox_resources *res, bool pids_unlimited,
                  struct osbox_err *err);
/* Give cg (the cgroup of init pid of container id, from cgroup_of_pid) a
 * cpuset where it was started without one (cpuset_join.c): v1 joins the
 * cpuset hierarchy, moving every task; v2 enables the controller above it. */
int cgroup_ensure_cpuset(struct osbox_cgroup *cg, pid_t pid, const char *id, struct osbox_err *err);

/* What the cgroup uses now (cgroup_usage.c), for `osbox stats`. */
struct osbox_cgroup_usage {
    uint64_t cpu_usec;        /* CPU time of all its tasks, ever */
    uint64_t memory_usage;    /* bytes, without inactive page cache (as Docker) */
    uint64_t memory_limit;    /* bytes; the host's memory when unlimited */
    uint64_t io_read, io_write; /* bytes of block I/O (v1 without blkio: its live tasks' /proc/PID/io) */
    uint64_t pids;            /* tasks now */
};
int cgroup_usage(const struct osbox_cgroup *cg, struct osbox_cgroup_usage *u, struct osbox_err *err);

#endif
