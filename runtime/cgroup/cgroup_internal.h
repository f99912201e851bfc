/* Shared between cgroup.c (detection, lifecycle), cgroup_v2.c and cgroup_v1.c.
 * Not part of the runtime's interface. */
#ifndef OSBOX_RUNTIME_CGROUP_INTERNAL_H
#define OSBOX_RUNTIME_CGROUP_INTERNAL_H

#include "runtime/cgroup/cgroup.h"

#define CG_MAX_HIER 16

/* One mounted hierarchy, as /proc/self/mountinfo and /proc/self/cgroup show it. */
struct cg_hier {
    char *mnt;         /* mount point, e.g. /sys/fs/cgroup/memory */
    char *root;        /* the hierarchy path mounted there (mountinfo field 4) */
    char *ctrls;       /* v1: "cpu,cpuacct" (named hierarchies are skipped); v2: "" */
    bool v2;
    char *own;         /* our cgroup in it (/proc/self/cgroup), "/" if unknown */
};

struct cg_layout {
    enum osbox_cgroup_mode mode;
    struct cg_hier h[CG_MAX_HIER];
    int n;
};

/* One directory the container's cgroup occupies (one per hierarchy used). */
struct cg_dir {
    char *path;        /* absolute: <mnt>/<rel> */
    char *rel;         /* relative to the hierarchy root, e.g. /osbox-<id> */
    char *ctrls;       /* as in cg_hier */
    bool v2;
    char **made;       /* parent dirs we created (for --cgroup-parent), deepest last */
    char *late;        /* v1 cpuset not joined: the dir osbox update may make (cpuset_join.c), removed with the rest */
};

struct osbox_cgroup {
    enum osbox_cgroup_mode mode;
    struct cg_dir d[CG_MAX_HIER];
    int n;
    int clone_fd;      /* pure v2; hybrid: the unified-tree dir (cgroup_realize_unified) */
    bool unified_early; /* hybrid: the unified dir was made before the rest */
    /* Planned but not yet made (cgroup_plan -> cgroup_realize). */
    struct cg_layout *plan;
    char *id, *parent;
    struct osbox_resources res;
};

int cg_layout_read(struct cg_layout *l, struct osbox_err *err);
/* The same from given files (unit tests feed recorded mountinfo / cgroup files). */
int cg_layout_from(struct cg_layout *l, const char *mountinfo, const char *cgroup,
                   struct osbox_err *err);
void cg_layout_free(struct cg_layout *l);
/* Absolute directory of hierarchy path rel ("/a/b") in h, or NULL when rel lies outside its mount. */
char *cg_hier_dir(const struct cg_hier *h, const char *rel);
bool cg_has_ctrl(const char *ctrls, const char *name);

/* Small file helpers: write a string, read one u64 or a "key value" field. */
int cg_write(const char *dir, const char *file, const char *val, struct osbox_err *err);
int cg_write_fmt(const char *dir, const char *file, struct osbox_err *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
bool cg_exists(const char *dir, const char *file);
int cg_read_u64(const char *dir, const char *file, uint64_t *out);
int cg_read_key(const char *dir, const char *file, const char *key, uint64_t *out);
/* Number of processes listed in dir/cgroup.procs (-1 if unreadable). */
int cg_count_procs(const char *dir);
/* SIGKILL every process in dir/cgroup.procs; returns how many were signalled. */
int cg_kill_procs(const char *dir);
/* SIGKILL until dir is empty (v2: cgroup.events says unpopulated); -1 on timeout. */
int cg_wait_empty(const char *dir, bool v2, unsigned timeout_ms);
/* Kill what is left and rmdir dir with the child cgroups a container made; bounded. */
int cg_remove(const char *dir, unsigned timeout_ms, struct osbox_err *err);

/* v2: enable the controllers for the child dirs of `parent_rel` (all ancestors
 * from the root down), then apply limits / read stats in the container's dir. */
int cg2_enable_path(const struct cg_hier *h, const char *parent_rel, const char *want,
                    struct osbox_err *err);
/* Where the container's cgroup goes when osbox's own cgroup is the natural
 * parent (v2_leaf.c): enable_errnum is how enabling controllers in own failed
 * (0: it worked), delegated whether own carries systemd's delegate mark. */
enum cg2_place {
    CG2_PLACE_OWN,     /* inside own, as asked */
    CG2_PLACE_LEAF,    /* move own's processes to own/supervisor, then inside own */
    CG2_PLACE_SIBLING, /* beside own, in its parent (not delegated to us) */
    CG2_PLACE_FAIL,    /* nowhere with controllers */
};
#define CG2_SUPERVISOR_LEAF "supervisor"
enum cg2_place cg2_choose_place(const char *own, int enable_errnum, bool delegated);
bool cg2_delegated(const char *dir);
/* Move every process of own_dir into own_dir/supervisor (made if missing). */
int cg2_move_to_leaf(const char *own_dir, struct osbox_err *err);
int cg2_apply(const char *dir, const struct osbox_resources *res, struct osbox_err *err);
int cg2_stats(const char *dir, struct osbox_cgroup_stats *st, struct osbox_err *err);

/* v1: prepare a fresh dir of hierarchy ctrls (cpuset needs cpus/mems, memory
 * needs the OOM killer on), then apply limits / read stats. */
int cg1_prepare(const char *dir, const char *parent_dir, const char *ctrls, struct osbox_err *err);
int cg1_apply(const char *dir, const char *ctrls, const struct osbox_resources *res,
              struct osbox_err *err);
int cg1_stats(const struct osbox_cgroup *cg, struct osbox_cgroup_stats *st, struct osbox_err *err);
/* Device cgroup (devices.c): v1 devices.deny/devices.allow of dir; v2 a
 * BPF_PROG_TYPE_CGROUP_DEVICE program attached to dir. No-op without rules. */
int cg1_apply_devices(const char *dir, const struct osbox_resources *res, struct osbox_err *err);
int cg2_apply_devices(const char *dir, const struct osbox_resources *res, struct osbox_err *err);

/* Freeze, SIGKILL everything, thaw: a kill that no fork can outrun. */
void cg1_freeze_kill(const char *freezer_dir);

#endif
