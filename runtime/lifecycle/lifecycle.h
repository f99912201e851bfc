/* Containers after `osbox run`: detached ones kept by a per-container
 * monitor process (no daemon), and the commands that find, signal, stop,
 * restart, remove, exec into and inspect any container.
 *
 * Files besides the runtime's own (see runtime.h):
 *   $OSBOX_ROOT/containers/<id>/config.json  the spec `osbox run` built, as an OCI
 *        config (container_spec.c): start, restart and exec load it
 *   $OSBOX_ROOT/containers/<id>/lifecycle.json  restart policy and count, --sdnotify,
 *        log cap, the monitor's pid + start time, start/finish times
 *   $OSBOX_ROOT/containers/<id>/ctr.log[.1]  stdout and stderr of a detached
 *        container, one k8s-file record per line (logs.c), rotated once at the
 *        size cap (so at most twice the cap)
 *   $OSBOX_ROOT/containers/<id>/container.log[.1]  the same before the record
 *        format (raw bytes, streams mixed): still read, as stdout
 *   $OSBOX_ROOT/containers/<id>/stop-requested  `stop`/`kill`/`rm` ask the monitor
 *        not to restart
 * Commands that change a container hold flock(LOCK_EX) on its directory. */
#ifndef OSBOX_RUNTIME_LIFECYCLE_H
#define OSBOX_RUNTIME_LIFECYCLE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/core/runtime.h"
#include "util.h"

/* flock the container dir (bounded wait); returns the fd. Fails (ENOENT) when
 * the container was removed meanwhile. */
int container_lock(const char *id, struct osbox_err *err);

/* What runs now. */
struct container_live {
    pid_t pid;            /* the container's init (host pid), 0 if none */
    unsigned long long pid_start;
    bool running;         /* init alive */
    pid_t holder;         /* the osbox or monitor that waits for it */
    bool holder_alive;
    pid_t monitor;        /* detached: the monitor, 0 if none */
    bool monitor_alive;
};
void container_live_read(const char *id, struct container_live *l);

enum restart_policy { RESTART_NO, RESTART_ON_FAILURE, RESTART_ALWAYS };
struct restart_spec {
    enum restart_policy policy;
    int max_retries;      /* on-failure:N; 0 = unlimited */
};
/* "no", "on-failure", "on-failure:N", "always" (also "unless-stopped"). */
int restart_parse(const char *s, struct restart_spec *r, struct osbox_err *err);
const char *restart_name(enum restart_policy p);

struct lifecycle {
    struct restart_spec restart;
    int notify;           /* --sdnotify, as monitor_opts.notify */
    int restart_count;
    pid_t monitor_pid;
    unsigned long long monitor_start;
    char *started_at, *finished_at;
    uint64_t log_max;     /* bytes per log file */
};
int lifecycle_read(const char *id, struct lifecycle *l, struct osbox_err *err);
int lifecycle_write(const char *id, const struct lifecycle *l, struct osbox_err *err);
void lifecycle_free(struct lifecycle *l);

#define LOG_MAX_DEFAULT (1024 * 1024)

/* The spec the container was run with (config.json, see runtime/oci/oci.h):
 * saved by `osbox run` before the /etc binds (runtime_prepare_etc adds those
 * at every start), loaded by start, restart and exec. spec is initialised on
 * every return. A container saved by an older osbox (its run arguments in
 * lifecycle.json, no config.json) is refused with its name and the way out. */
int container_spec_save(const char *id, const struct osbox_spec *spec, const char *image_digest,
                        struct osbox_err *err);
int container_spec_load(const char *id, struct osbox_spec *spec, struct osbox_err *err);

/* Start a detached container: fork the monitor, which creates the container
 * (its stdout/stderr into the log), waits, records the exit, restarts by
 * policy and cleans up. Returns once the command runs (or with its error). */
struct monitor_opts {
    struct restart_spec restart;
    uint64_t log_max;
    int notify;           /* to $NOTIFY_SOCKET: 0 nothing, 1 READY=1 + MAINPID, 2 MAINPID */
};
int monitor_start(const struct osbox_spec *spec, const struct osbox_record *rec,
                  const struct monitor_opts *mo, struct osbox_err *err);

/* Logs (logs.c, logs_read.c). */
#define LOG_FILE "ctr.log"              /* records: "TIMESTAMP stdout|stderr F|P text" */
#define LOG_LEGACY_FILE "container.log" /* raw bytes, before the record format */
#define LOG_TS_LEN OSBOX_RFC3339_LEN     /* 2026-11-24T09:16:03.123456789Z */
#define LOG_CHUNK_MAX 16384             /* longest text of one record */
/* The logger process: records from the out and err pipes (err -1: a pty,
 * one stream) into the capped log until both reach EOF. */
__attribute__((noreturn)) void logs_logger_main(int out, int err, const char *id, uint64_t max);
/* The same into dir/ctr.log (a detached VM's console, vmm/backend/). */
__attribute__((noreturn)) void logs_logger_main_at(int out, int err, const char *dir, uint64_t max);
struct logs_opts {
    long tail;            /* the last N lines (over both streams); -1 all */
    bool follow;          /* and then what comes, while the container's holder lives */
    bool timestamps;      /* each line prefixed with its record's time and a space */
};
/* The container's stdout records to out_fd, its stderr records to err_fd, in
 * their logged order. Memory stays bounded whatever the log's size. */
int logs_copy(const char *id, const struct logs_opts *o, int out_fd, int err_fd,
              struct osbox_err *err);
/* The same for the log in dir; -f follows while alive(ctx) says the writer lives. */
int logs_copy_at(const char *dir, const struct logs_opts *o, int out_fd, int err_fd,
                 bool (*alive)(void *ctx), void *ctx, struct osbox_err *err);

/* Control (control.c). The caller holds the lock where it says so. */
int container_kill(const char *id, int sig, struct osbox_err *err);
/* The container's stop signal (--stop-signal, default SIGTERM), SIGKILL after
 * timeout_s (< 0: its --stop-timeout, default 10), then wait for the holder. */
int container_stop(const char *id, int timeout_s, struct osbox_err *err);
/* Wait until the container's holder (osbox or monitor) is gone; ms < 0 forever.
 * 0 when stopped, -1 with ETIMEDOUT. */
int container_wait_stopped(const char *id, int ms, struct osbox_err *err);
/* container_wait_stopped, then the exit code it recorded (osbox wait). */
int container_wait_exit(const char *id, int *code, struct osbox_err *err);
int container_remove(const char *id, bool force, struct osbox_err *err);
/* JSON of the record, lifecycle and live state (inspect). */
int container_inspect_json(const char *ref, json_t **out, struct osbox_err *err);
json_t *container_summary_json(const char *id); /* ps; NULL if unreadable */
/* ps: the summaries of the store's containers, newest first; all: stopped ones too. */
json_t *container_list_json(bool all);
/* ps --filter KEY=VALUE (list_filter.c), as Docker's: label=K or label=K=V,
 * status=S (which lists stopped containers too), name=SUBSTRING, id=PREFIX,
 * health=starting|healthy|unhealthy|none.
 * Filters of one key match if any does; of different keys, all (labels:
 * all). Each summary gets "ports": Docker's PORTS column. */
bool container_filter_valid(const char *filter);
json_t *container_list_filtered_json(bool all, char *const *filters);

/* osbox run once the spec is built (run.c): the record rec (name, image,
 * digest, command, auto_remove set by the caller; id filled), the spec
 * completed (hostname, $HOSTNAME) and saved, the /etc files, lifecycle.json;
 * then -d hands it to a monitor and returns 0 once the command runs, else
 * it runs in the foreground and the command's status is returned. Nothing
 * stays of a container that never ran. */
struct health_config;
enum run_sdnotify { RUN_SDNOTIFY_CONMON, RUN_SDNOTIFY_CONTAINER, RUN_SDNOTIFY_IGNORE };
struct container_run_opts {
    bool detach;               /* -d */
    const char *hostname;      /* -h; NULL: the short id (the host's with --network host) */
    enum run_sdnotify sdnotify;
    struct restart_spec restart;
    uint64_t log_max;          /* --log-opt max-size; 0: LOG_MAX_DEFAULT */
    const struct health_config *health; /* NULL or no test: none (health.h) */
    struct osbox_err *warning; /* may be NULL: a failure that does not change the
                                  status (sd_notify, cleanup after the command) */
    /* May be NULL: run once the record exists (its id known), before the
     * spec is saved: run's volumes, made and named after the container. */
    int (*prepare)(struct osbox_spec *spec, const char *id, void *ctx, struct osbox_err *err);
    void *prepare_ctx;
    /* May be NULL: called once the command runs (-d: once the monitor says
     * so), e.g. to print --trace-startup while the command goes on. */
    void (*on_started)(void *ctx);
    void *started_ctx;
};
int container_run(struct osbox_spec *spec, struct osbox_record *rec,
                  const struct container_run_opts *o, struct osbox_err *err);
/* --sdnotify conmon|container|ignore; --log-opt max-size=SIZE (>= 4k). */
int run_sdnotify_parse(const char *arg, enum run_sdnotify *out, struct osbox_err *err);
int run_log_opt_parse(const char *arg, uint64_t *log_max, struct osbox_err *err);

/* start (start.c): a stopped container again, detached, with its saved spec
 * and lifecycle; 0 at once when it runs. The caller holds the lock. */
int container_start(const char *id, struct osbox_err *err);
/* container_stop, then container_start. */
int container_restart(const char *id, int timeout_s, struct osbox_err *err);

/* osbox exec (container_exec.c): args in the running container id, under
 * its saved spec's process and security; the fields below override. Returns
 * the command's exit status (0 once it runs with detach). */
struct container_exec_opts {
    char **args;
    char **env;                 /* K=V set over the container's */
    const char *user, *workdir; /* NULL: the container's */
    bool tty, interactive, detach;
};
int container_exec(const char *id, const struct container_exec_opts *o, struct osbox_err *err);
/* The same without waiting (not detach): the process's handle for
 * runtime_wait/runtime_destroy (a health probe waits with a timeout). */
int container_exec_start(const char *id, const struct container_exec_opts *o,
                         struct osbox_container **out, struct osbox_err *err);

/* exec (exec_into.c): a new process in every namespace and the cgroup of the
 * running container whose init is pid, under the spec's process settings
 * (user, env, cwd, terminal, stdin) and security (caps, seccomp, no_new_privs).
 * Returns a container handle for runtime_wait/runtime_destroy (which then only
 * reaps that process). */
int runtime_exec_into(pid_t pid, unsigned long long pid_start, const struct osbox_spec *spec,
                      struct osbox_container **out, struct osbox_err *err);
/* The same, detached: returns once the command runs (0) or with its error
 * (exit_status 126/127/125). The command is a child of the container's init,
 * with /dev/null as stdio; no terminal, no stdin. */
int runtime_exec_detached(pid_t pid, unsigned long long pid_start, const struct osbox_spec *spec,
                          struct osbox_err *err);

/* sd_notify (notify.c): send msg to $NOTIFY_SOCKET; 0 without one. */
int systemd_notify_send(const char *msg, struct osbox_err *err);
/* --sdnotify=container: bind the socket into the container and point its
 * NOTIFY_SOCKET there. */
int systemd_notify_into_container(struct osbox_spec *spec, struct osbox_err *err);

#endif
