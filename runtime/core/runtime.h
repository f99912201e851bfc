/* The osbox container runtime: a library with one input, struct osbox_spec.
 *
 * The spec is the in-memory form of an OCI runtime-spec config (process, root,
 * hostname, mounts, namespaces, linux.resources). `osbox run` builds it from an
 * image and flags; the OCI CLI parses it from a bundle's config.json. The
 * runtime never reads images.
 *
 * Lifecycle (crun-like, one error channel):
 *   runtime_create()  parent: cgroup, live state; child (pid 1 of new pid, mount,
 *                     uts, ipc, net, cgroup, time namespaces): rootfs, /dev, /proc,
 *                     pivot_root, hostname, user, then our init forks and execs the
 *                     command. Returns once the command has been exec'd, or with the
 *                     setup/exec error (exit_status 125/126/127).
 *   runtime_wait()    relays the pty, forwards signals, returns Docker's exit code.
 *   runtime_destroy() kills what is left, removes cgroup and live state, frees.
 *
 * State on disk (the runtime owns both):
 *   $OSBOX_ROOT/containers/<id>/   container.json (record), upper/ work/ (overlay),
 *                                  hostname hosts resolv.conf (bind-mounted into /etc)
 *   $OSBOX_RUN/containers/<id>/    state.json (live: pids); also the rootfs mountpoint,
 *                                  only ever mounted inside the container's mount namespace */
#ifndef OSBOX_RUNTIME_H
#define OSBOX_RUNTIME_H

#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/types.h>

#include "osbox_err.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/net/net.h"
#include "runtime/userns/userns.h"

/* One mount, as in the OCI config's "mounts". type "bind" (or MS_BIND in
 * flags) binds a host path; anything else is a fresh filesystem. The
 * destination is resolved inside the container's root (runtime/core/mounts.c).
 * For binds: MS_RDONLY applies to every mount of the bound tree where the
 * kernel has mount_setattr (Docker's recursive read-only, OCI "rro");
 * propagation is MS_PRIVATE (the default), MS_SLAVE, MS_SHARED or
 * MS_UNBINDABLE in flags (with MS_REC: the whole tree). */
struct osbox_mount {
    char *destination;   /* absolute path inside the container */
    char *type;          /* "proc", "tmpfs", "bind", ... */
    char *source;        /* host path for binds, else a name ("proc", "tmpfs") */
    unsigned long flags; /* MS_* (MS_RDONLY, MS_NOSUID, MS_BIND, MS_REC, MS_SLAVE ...) */
    char *data;          /* filesystem options ("mode=755,size=65536k"), may be NULL */
    /* Bind of an empty directory (a new volume): first copy what the
     * rootfs has at the destination into it, as Docker fills a new volume
     * from the image. OCI option "copy" (podman's name). */
    bool copy_up;
};

/* Namespaces the container gets (OCI linux.namespaces). */
enum {
    OSBOX_NS_PID = 1 << 0,
    OSBOX_NS_MOUNT = 1 << 1,
    OSBOX_NS_UTS = 1 << 2,
    OSBOX_NS_IPC = 1 << 3,
    OSBOX_NS_NET = 1 << 4,
    OSBOX_NS_CGROUP = 1 << 5,
    OSBOX_NS_TIME = 1 << 6, /* used only where the kernel has it */
    OSBOX_NS_ALL = 0x7f,
};

/* A resource limit (setrlimit RLIMIT_*), for the command and pid 1. */
struct osbox_rlimit {
    int resource;
    unsigned long long soft, hard; /* RLIM_INFINITY for unlimited */
};

struct osbox_process {
    char **args;          /* argv; args[0] resolved via PATH inside the container */
    char **env;           /* "K=V" */
    char *cwd;            /* absolute; created if missing */
    /* Either a user string ("name", "uid", "name:group", "uid:gid"), resolved
     * against the container's /etc/passwd and /etc/group, or numeric ids. */
    char *user;           /* NULL: use uid/gid below */
    uid_t uid;
    gid_t gid;
    gid_t *additional_gids;
    size_t n_additional_gids;
    bool terminal;        /* allocate a pty in the container's devpts */
    bool stdin_open;      /* keep stdin (-i); else the command's stdin is /dev/null */
    struct osbox_rlimit *rlimits; /* run --ulimit (applied in the child: runtime/core/limits.c) */
    size_t n_rlimits;
    bool has_oom_score_adj;       /* run --oom-score-adj */
    int oom_score_adj;
};

struct osbox_root {
    /* Overlay: read-only layers, BOTTOM first (as an image lists them); the
     * runtime puts the top layer first in lowerdir=. */
    char **layers;
    /* Or a plain directory used as is (OCI bundle rootfs); ignored if layers set. */
    char *path;
    bool readonly;
};

/* Security: capabilities (Docker's rule, osbox run: bounding = permitted =
 * effective, inheritable and ambient empty; an OCI config gives all five
 * sets), no_new_privs, seccomp, masked and read-only paths.
 * osbox_spec_init fills Docker's defaults; the child applies them, seccomp
 * last, just before the command's execve. See runtime/security/security.h. */
struct osbox_seccomp; /* a compiled BPF program */
struct osbox_device {
    char *path; /* under /dev */
    mode_t mode; /* S_IFCHR/S_IFBLK | permissions */
    dev_t rdev;
    uid_t uid;
    gid_t gid;
};
enum osbox_seccomp_mode {
    OSBOX_SECCOMP_DEFAULT,    /* the built-in profile, for the final caps */
    OSBOX_SECCOMP_UNCONFINED,
    OSBOX_SECCOMP_CUSTOM,     /* seccomp below, from an OCI/Docker JSON profile */
};
/* The sets other than bounding, as an OCI config's process.capabilities
 * gives them (bit N = capability N). */
struct osbox_cap_sets {
    uint64_t effective, permitted, inheritable, ambient;
};
struct osbox_security {
    uint64_t caps;             /* bit N = capability N: the bounding set */
    /* false: permitted = effective = caps, inheritable = ambient = 0 (Docker). */
    bool has_cap_sets;
    struct osbox_cap_sets cap_sets;
    bool no_new_privs;
    bool privileged;           /* all caps, no seccomp, no masks, device nodes usable */
    enum osbox_seccomp_mode seccomp_mode;
    struct osbox_seccomp *seccomp; /* owned; NULL until compiled */
    struct json_t *seccomp_profile; /* CUSTOM: the JSON profile it came from (owned
                                       reference), so a saved spec can carry it */
    char **masked_paths;       /* /dev/null (files) or an empty read-only tmpfs (dirs) */
    char **readonly_paths;
    struct osbox_device *devices; /* --privileged: the host's nodes, made in /dev */
    size_t n_devices;
    /* --userns=auto: container ids 0..userns_size-1 are host ids from
     * userns_uid/userns_gid on; 0: the host's user namespace. */
    unsigned long userns_uid, userns_gid, userns_size;
    /* --userns=keep-id: also map host keep_uid/keep_gid to themselves
     * inside (they must lie outside the range above's first ids). */
    bool userns_keep;
    unsigned long userns_keep_uid, userns_keep_gid;
    /* osbox itself runs in a user namespace of a non-root user: no cgroup,
     * overlayfs with userxattr, host device nodes bound instead of mknod. */
    bool rootless;
};
void osbox_security_init(struct osbox_security *s);
void osbox_security_free(struct osbox_security *s);
/* "ALL", "NET_ADMIN", "CAP_NET_ADMIN", "net_admin" (comma lists too). */
int osbox_caps_update(uint64_t *caps, const char *names, bool add, struct osbox_err *err);
/* Docker's --privileged: every capability, no seccomp, no masks. */
void osbox_security_set_privileged(struct osbox_security *s);
/* Load an OCI/Docker seccomp JSON profile (compiled against s->caps, so
 * apply --cap-add/--cap-drop first). Unknown syscall names are skipped and
 * listed in *warnings (a strv the caller prints and frees). */
int osbox_seccomp_load_file(struct osbox_security *s, const char *path, char ***warnings,
                            struct osbox_err *err);
/* Compile the default profile now (in the parent) so the container start
 * does not pay for it; the child compiles it itself when this was skipped. */
int osbox_security_prepare(struct osbox_security *s, struct osbox_err *err);

/* osbox run's security flags, as given (security_opts.c): validated before
 * anything is created, then applied to a spec's security with Docker's
 * rules (ALL in --cap-add/--cap-drop, --privileged, keep-id's SUDO ids). */
struct osbox_security_opts {
    bool privileged;
    char **cap_add, **cap_drop;
    const char *seccomp; /* NULL: the default profile; "unconfined"; a profile file */
    int no_new_privs;    /* -1: default (on) */
    int userns;          /* enum osbox_userns_mode */
    struct osbox_idrange uids, gids; /* --userns=auto and keep-id */
    unsigned long keep_uid, keep_gid; /* --userns=keep-id: SUDO_UID/SUDO_GID */
    bool rootless;                    /* a non-root caller: osbox is in its own user ns */
};
void osbox_security_opts_init(struct osbox_security_opts *o);
void osbox_security_opts_free(struct osbox_security_opts *o);
/* --cap-add (add) / --cap-drop NAME[,NAME]: names checked now. */
int osbox_security_opts_cap(struct osbox_security_opts *o, const char *arg, bool add,
                            struct osbox_err *err);
/* --security-opt no-new-privileges[=BOOL] | seccomp=unconfined|FILE */
int osbox_security_opts_security_opt(struct osbox_security_opts *o, const char *arg,
                                     struct osbox_err *err);
/* --userns host|auto|keep-id */
int osbox_security_opts_userns(struct osbox_security_opts *o, const char *arg,
                               struct osbox_err *err);
/* After parsing, before anything is created: a non-root caller enters its
 * own user namespace (rootless_enter); --userns ranges and keep-id's ids. */
int osbox_security_opts_validate(struct osbox_security_opts *o, struct osbox_err *err);
/* Fill sec: caps, then the seccomp profile compiled for them; a profile's
 * unknown syscalls are appended to *warnings for the caller to print. */
int osbox_security_opts_apply(const struct osbox_security_opts *o, struct osbox_security *sec,
                              char ***warnings, struct osbox_err *err);

struct osbox_spec {
    struct osbox_process process;
    struct osbox_root root;
    char *hostname;
    struct osbox_mount *mounts; /* applied in order after the rootfs */
    size_t n_mounts;
    unsigned namespaces;        /* OSBOX_NS_* */
    struct osbox_resources resources;
    char *cgroup_parent;        /* NULL: the cgroup osbox runs in */
    struct osbox_net_spec net;  /* --network and friends; zeroed: none (see runtime/net/net.h) */
    struct osbox_security security; /* caps, seccomp, no_new_privs, masks (Docker's defaults) */
    char **sysctl;              /* run --sysctl "key=value": namespaced keys, written in the child */
};

void osbox_spec_init(struct osbox_spec *spec);
void osbox_spec_free(struct osbox_spec *spec);
/* Append a mount (strings copied; source/data may be NULL). */
void osbox_spec_add_mount(struct osbox_spec *spec, const char *destination, const char *type,
                          const char *source, unsigned long flags, const char *data);
/* The standard set: /proc, /dev (tmpfs, populated), /dev/pts, /dev/shm,
 * /dev/mqueue, /sys (read-only). */
void osbox_spec_add_default_mounts(struct osbox_spec *spec);
/* Set K=V in env, replacing an existing K. */
void osbox_env_set(char ***env, const char *kv);
const char *osbox_env_get(char *const *env, const char *key);
/* -e K=V | K (env.c): appended to *env; K alone takes the caller's value. */
int osbox_env_add_arg(char ***env, const char *kv, struct osbox_err *err);
/* --env-file: each K=V or K line of path, as -e. */
int osbox_env_read_file(char ***env, const char *path, struct osbox_err *err);

/* How the runtime is driven (not part of the OCI config). */
struct osbox_runtime_opts {
    const char *id;               /* 64-hex container id */
    bool kill_on_parent_death;    /* foreground `osbox run`: the container dies with osbox */
    /* OCI create: a fifo (made by the caller). The container's init stops
     * before starting the command until someone opens it for reading and
     * runtime_create returns at that point (see runtime/core/start_gate.c). */
    const char *start_gate;
    /* The writable layer is deleted when the container exits (--rm): it is
     * never synced (overlay "volatile"; a crash loses nothing that was kept). */
    bool ephemeral;
};

struct osbox_container;

int runtime_create(const struct osbox_spec *spec, const struct osbox_runtime_opts *opts,
                   struct osbox_container **out, struct osbox_err *err);
/* Wait for the container; returns its exit status (0..255, 128+N for signal N).
 * Forwards SIGINT/SIGTERM/SIGHUP/SIGQUIT/SIGUSR1/SIGUSR2 (blocked by the caller
 * with runtime_block_signals()) to the container and relays the pty. */
int runtime_wait(struct osbox_container *c, struct osbox_err *err);
/* Kill what is left, remove mounts, cgroup and live state; restore the terminal. Frees c. */
int runtime_destroy(struct osbox_container *c, struct osbox_err *err);
pid_t runtime_container_pid(const struct osbox_container *c);

/* Start making the new network namespace the next runtime_create will
 * need, on a thread, so that it overlaps the caller's own preparation (image,
 * state files); runtime_create uses it, or creates its own as before when
 * there is none. Call early, single-threaded, as root. */
void runtime_prefetch_netns(void);

/* Block the signals runtime_wait forwards, before runtime_create, so none is
 * lost in between. */
void runtime_block_signals(void);

/* A process named by pid and start time (proc.c). Start time: clock ticks
 * since boot, 0 if gone. Alive: that very process, and not a zombie. Also
 * the rule for a detached VM's keeper and monitor (vmm/backend/). */
unsigned long long proc_start_time(pid_t pid);
bool proc_alive(pid_t pid, unsigned long long start);

/* Names of containers (and of VMs, which follow the same rule): [a-zA-Z0-9]
 * then [a-zA-Z0-9_.-], at most 128. what names the kind in the error. */
int runtime_check_name(const char *name, const char *what, struct osbox_err *err);

/* Paths (paths.c). Returned strings are malloc'd. */
char *runtime_container_dir(const char *id);
char *runtime_live_dir(const char *id);

/* Which container ref means (lookup.c): its name, its full id, or a unique
 * prefix of the id (lowercase hex). Not found: errnum ENOENT; an ambiguous
 * prefix: EINVAL. */
int container_lookup(const char *ref, char id[65], struct osbox_err *err);
bool runtime_container_exists(const char *id);

/* Files osbox writes in the container dir and binds onto /etc/{hostname,hosts,
 * resolv.conf}; adds the bind mounts to spec. host_network copies the host's
 * hosts/resolv.conf. */
int runtime_prepare_etc(struct osbox_spec *spec, const char *container_dir, bool host_network,
                        struct osbox_err *err);

/* Container record ($OSBOX_ROOT/containers/<id>/container.json). */
struct osbox_record {
    char id[65];
    char *name;
    char *image;        /* reference as given, or "rootfs:<dir>" */
    char *image_digest; /* "sha256:<hex>", or NULL for --rootfs */
    char **command;
    char *created;      /* RFC 3339 UTC */
    char *status;       /* "creating", "running", "exited" */
    int exit_code;      /* -1 while unknown */
    bool auto_remove;   /* --rm */
    char **labels;      /* --label "K=V" (Docker's container labels), may be NULL */
    int stop_signal;    /* --stop-signal: what `osbox stop` sends first; 0 SIGTERM */
    int stop_timeout;   /* --stop-timeout seconds before SIGKILL; -1 the default (10) */
};
void osbox_record_free(struct osbox_record *r);
/* Make containers/<id>/ with a "creating" record and reserve the name
 * (unique; fails with a clear message when taken). Fills r->id (random) and
 * a default name when r->name is NULL. */
int state_create_container(struct osbox_record *r, struct osbox_err *err);
int state_write_record(const struct osbox_record *r, struct osbox_err *err);
int state_read_record(const char *id, struct osbox_record *r, struct osbox_err *err);
/* A new unique name for container id (the record and names/ link; the old
 * name is free afterwards). The caller holds the container's lock. */
int state_rename_container(const char *id, const char *name, struct osbox_err *err);
/* Remove the container dir and its name. */
int state_remove_container(const char *id, struct osbox_err *err);
/* Which images containers use, for rmi and gc of the image store:
 * {"sha256:<manifest digest>": "container name (or id)"}, one per image.
 * The store asks through images_users_fn (images/images.h). */
struct json_t *runtime_images_in_use(void);

/* Remove what killed osbox processes left: live state whose osbox is gone
 * (cgroup, mounts, the state itself), containers that should have been
 * removed (--rm) or were never finished. *removed counts containers cleaned. */
int runtime_gc(int *removed, struct osbox_err *err);

/* --trace-startup (startup_trace.c): when each step of a container's start
 * ran and how long it took. osbox and the container's init both write into
 * one shared page (the init is a clone of osbox, the page MAP_SHARED), so
 * steps that run at once on two CPUs show as they ran. Off (every call a
 * no-op) unless startup_trace_enable() was called. */
/* In the order a start usually meets them; the container's steps from
 * TRACE_OVERLAY on run in its init, the others in osbox. */
enum startup_phase {
    TRACE_RESOLVE,   /* the image: tag -> manifest -> layers in the store */
    TRACE_SPEC,      /* the spec from the image and the options (seccomp compiled) */
    TRACE_STATE,     /* record, saved spec, /etc files */
    TRACE_CGROUP,    /* plan, make, limits, move the init in */
    TRACE_NETWORK,   /* the new netns (made on a thread), lease, veth, port rules */
    TRACE_CLONE,     /* clone3 into the new namespaces, until the init runs */
    TRACE_OVERLAY,   /* the overlayfs root */
    TRACE_MOUNTS,    /* /proc, /dev, binds, volumes, tmpfs */
    TRACE_PIVOT,     /* pivot_root, the old root detached */
    TRACE_SETUP,     /* hostname, lo, user, limits, masks */
    TRACE_WAIT_GO,   /* the init waits for osbox's go */
    TRACE_CGROUP_JOIN, /* v1/hybrid: the init moves itself into its cgroup */
    TRACE_FORK,      /* the init forks the command's process */
    TRACE_CAPS,      /* credentials and the capability sets */
    TRACE_SECCOMP,   /* the syscall filter */
    TRACE_EXEC,      /* execve until osbox sees it happen */
    TRACE_NPHASES
};

/* Map the shared page; the clock's zero is now. false if it cannot be had
 * (tracing stays off; the start itself is not affected). */
bool startup_trace_enable(void);
bool startup_trace_enabled(void);
void startup_trace_begin(enum startup_phase p);
/* A phase may run in several stretches (network before and after clone3):
 * their times add up, "at" is the first one's start. */
void startup_trace_end(enum startup_phase p);
/* One line per phase that ran: where it started and what it took, in ms,
 * then the total from the zero to the command's exec. */
void startup_trace_print(FILE *out);

#endif
