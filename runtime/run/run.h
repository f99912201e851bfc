/* osbox run as a library: a request filled one option at a time (each value
 * checked as it comes, before anything exists), checked as a whole, then
 * run: the image pulled or found (or --rootfs), the spec built from it and
 * the options (the image's Entrypoint/Cmd/Env/WorkingDir/User unless the
 * options say otherwise), the record, container_run. The CLI only maps argv
 * onto run_request_opt and prints. */
#ifndef OSBOX_RUNTIME_RUN_H
#define OSBOX_RUNTIME_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "images/images.h"
#include "runtime/core/runtime.h"
#include "runtime/lifecycle/health.h"
#include "runtime/lifecycle/lifecycle.h"
#include "runtime/net/net.h"

/* Every option of osbox run. The values start above any char so that a CLI
 * can use them as getopt_long's codes. A new option: a value here, its case
 * in run_request.c (or run_mounts.c / run_limits.c), its flag in cli/cmd_run.c. */
enum run_opt {
    RUN_OPT_RM = 0x100, RUN_OPT_NAME, RUN_OPT_ENV, RUN_OPT_ENV_FILE, RUN_OPT_WORKDIR,
    RUN_OPT_USER, RUN_OPT_HOSTNAME, RUN_OPT_READ_ONLY, RUN_OPT_TTY, RUN_OPT_INTERACTIVE,
    RUN_OPT_MEMORY, RUN_OPT_MEMORY_SWAP, RUN_OPT_CPUS, RUN_OPT_CPU_SHARES, RUN_OPT_CPU_WEIGHT,
    RUN_OPT_PIDS_LIMIT, RUN_OPT_CPUSET_CPUS, RUN_OPT_CPUSET_MEMS, RUN_OPT_CGROUP_PARENT,
    RUN_OPT_NETWORK, RUN_OPT_PUBLISH, RUN_OPT_IP, RUN_OPT_MAC, RUN_OPT_DNS, RUN_OPT_ADD_HOST,
    RUN_OPT_PRIVILEGED, RUN_OPT_CAP_ADD, RUN_OPT_CAP_DROP, RUN_OPT_SECURITY_OPT, RUN_OPT_USERNS,
    RUN_OPT_DETACH, RUN_OPT_RESTART, RUN_OPT_SDNOTIFY, RUN_OPT_LOG_OPT,
    RUN_OPT_VOLUME, RUN_OPT_MOUNT, RUN_OPT_TMPFS, RUN_OPT_DEVICE, RUN_OPT_VOLUMES_FROM,
    RUN_OPT_ULIMIT, RUN_OPT_OOM_SCORE_ADJ, RUN_OPT_SYSCTL,
    RUN_OPT_ENTRYPOINT, RUN_OPT_SHM_SIZE, RUN_OPT_GROUP_ADD, RUN_OPT_LABEL, RUN_OPT_STOP_SIGNAL,
    RUN_OPT_STOP_TIMEOUT, RUN_OPT_ROOTFS, RUN_OPT_PULL, RUN_OPT_TRACE_STARTUP,
    RUN_OPT_HEALTH_CMD, RUN_OPT_HEALTH_INTERVAL, RUN_OPT_HEALTH_TIMEOUT,
    RUN_OPT_HEALTH_START_PERIOD, RUN_OPT_HEALTH_RETRIES, RUN_OPT_NO_HEALTHCHECK,
    RUN_OPT_END
};

/* -v, --mount, --tmpfs, --device, --volumes-from and the image's VOLUMEs
 * (run_mounts.c): parsed before anything exists, made once the record does. */
enum run_mount_kind { RUN_MOUNT_BIND, RUN_MOUNT_VOLUME, RUN_MOUNT_ANONYMOUS, RUN_MOUNT_TMPFS };
struct run_mount {
    enum run_mount_kind kind;
    char *source;        /* host path (bind), volume name (volume), NULL */
    char *destination;
    unsigned long flags; /* MS_* */
    char *data;          /* tmpfs options */
    bool nocopy;         /* volume: do not fill it from the image */
    char dev_type;       /* --device: 'b' or 'c', else 0 */
    dev_t dev_rdev;
    char dev_access[4];  /* --device: "rwm" or a part of it */
};
struct run_mounts {
    struct run_mount *v;
    size_t n;
    char **volumes_from; /* --volumes-from NAME[:ro|:rw] */
};

/* --ulimit, --oom-score-adj, --sysctl (run_limits.c). */
struct run_limits {
    struct osbox_rlimit *rlimits;
    size_t n_rlimits;
    bool has_oom;
    int oom;
    char **sysctl;
};

/* --health-* and --no-healthcheck (run_health.c); 0 / NULL: not given. */
struct run_health {
    const char *cmd;        /* --health-cmd: run with /bin/sh -c (Docker's CMD-SHELL) */
    int64_t interval_ns, timeout_ns, start_period_ns;
    int retries;
    bool none;              /* --no-healthcheck: not even the image's */
    bool given;             /* any --health-* */
};

struct run_request {
    /* Plain values point into the caller's strings (argv), which must
     * outlive the request. */
    bool rm, tty, interactive, read_only;
    const char *name, *workdir, *user, *rootfs, *cgroup_parent;
    const char *entrypoint;    /* replaces the image's (and its Cmd); "" clears it */
    char **env;                /* -e / --env-file, in order */
    struct osbox_security_opts sec;
    struct container_run_opts life; /* -d, --restart, --sdnotify, --log-opt, -h */
    struct osbox_resources res;
    struct osbox_net_spec net;
    struct run_mounts mounts;
    struct run_limits limits;
    struct run_health health;
    uint64_t shm_size;         /* bytes of /dev/shm, 0 the default (64 MiB) */
    gid_t *group_add;          /* extra supplementary groups */
    size_t n_group_add;
    char **labels;             /* K=V */
    int stop_signal;           /* 0 SIGTERM */
    int stop_timeout;          /* -1 the default */
    enum images_pull_policy pull;
    /* May be NULL: told each warning (a seccomp profile's) as it comes. */
    void (*on_warning)(const char *msg, void *ctx);
    void *warning_ctx;
    /* Filled by run_request_run. */
    char *id;                  /* the container's */
    struct osbox_err warning;  /* a failure after the command ran that did not change
                                  its status (msg[0] == 0: none) */
};

void run_request_init(struct run_request *r);
/* One option (enum run_opt) and its value (NULL for a flag): 0, or -1 with
 * err (a one-line message naming the option). EINVAL for a code that is
 * not an option. */
int run_request_opt(struct run_request *r, int opt, const char *arg, struct osbox_err *err);
/* Once every option is in: what the options say together (net.* sysctls
 * need a network of the container's own, ...), and the defaults that
 * depend on several (-m alone allows as much swap again). */
int run_request_check(struct run_request *r, struct osbox_err *err);
/* Run ref (an image reference; ignored with --rootfs) with cmd (NULL or
 * empty: the image's). Returns the command's exit status (0 once it runs
 * with -d), or -1 with err. */
int run_request_run(struct run_request *r, const char *ref, char **cmd, struct osbox_err *err);
/* The same with an image made in memory (osbox build's steps: layers, env,
 * workdir, user of a stage not in the store yet). */
int run_request_run_image(struct run_request *r, struct osbox_image *img, char **cmd,
                          struct osbox_err *err);
void run_request_free(struct run_request *r);

/* run_build.c: how osbox build's RUN steps run (images_build_runner.run and
 * .remove): a container with the step's layers, env, workdir and user, no
 * network unless asked, stdio the build's own; kept after it exits so its
 * upper dir can become the layer, then removed. */
struct images_build_runner run_build_runner(void);

/* For the process that runs a container in the foreground: SIGINT/SIGTERM
 * are kept for the container (forwarded by runtime_wait) instead of killing
 * osbox halfway through, a closed output pipe must not kill it while the
 * pty is relayed, and fds 0-2 are kept taken (started with stdio closed:
 * cron, daemons) so no socket or pty lands there and becomes the command's
 * stdio. Call first. */
void run_hold_signals_and_stdio(void);

/* Internal to runtime/run/ (run_mounts.c, run_limits.c, run_spec.c). */
int run_mounts_opt(struct run_mounts *rm, int opt, const char *arg, struct osbox_err *err);
/* The image's VOLUME paths as anonymous volumes, unless a mount is already there. */
void run_mounts_add_image_volumes(struct run_mounts *rm, char *const *volumes);
/* Make the volumes (named: on first use; anonymous: "<id>-<n>"), record the
 * container as their user and append the mounts to spec. */
int run_mounts_apply(const struct run_mounts *rm, const char *id, struct osbox_spec *spec,
                     struct osbox_err *err);
void run_mounts_free(struct run_mounts *rm);
int run_limits_opt(struct run_limits *l, int opt, const char *arg, struct osbox_err *err);
/* net.* needs a network namespace of the container's own. */
int run_limits_validate(const struct run_limits *l, bool own_netns, struct osbox_err *err);
void run_limits_apply(const struct run_limits *l, struct osbox_spec *spec);
void run_limits_free(struct run_limits *l);
/* 0, -1 with err, or 1 when opt is not a health option. */
int run_health_opt(struct run_health *h, int opt, const char *arg, struct osbox_err *err);
/* --no-healthcheck with --health-*, durations below 1 ms. */
int run_health_check(const struct run_health *h, struct osbox_err *err);
/* The options over the image's HEALTHCHECK (img may be NULL): the check the
 * container keeps (out->test NULL: none). */
int run_health_build(const struct run_health *h, const struct images_healthcheck *img,
                     struct health_config *out, struct osbox_err *err);
/* img (NULL: --rootfs) + the request -> spec (initialised on every return). */
int run_spec_build(struct run_request *r, struct osbox_image *img, char **cmd,
                   struct osbox_spec *spec, struct osbox_err *err);

#endif
