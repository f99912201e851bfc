/* Containers after `osbox run`: detached ones kept by a per-container
 * monitor process (no daemon), and the commands that find, signal, stop,
 * restart, remove, exec into and inspect any container.
 *
 * Files besides the runtime's own (see runtime.h):
 *   $OSBOX_ROOT/containers/<id>/lifecycle.json  the `osbox run` arguments (start and
 *        exec rebuild the spec from them), restart policy and count, the monitor's
 *        pid + start time, start/finish times
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

#include "runtime/runtime.h"

/* Name, full id, or a unique prefix of an id. Not found: errnum ENOENT. */
int container_lookup(const char *ref, char id[65], struct osbox_err *err);
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
    char **run_args;      /* argv of `osbox run` ("run" first) */
    char *cwd;            /* where it ran: relative paths in run_args resolve from there */
    struct restart_spec restart;
    int restart_count;
    pid_t monitor_pid;
    unsigned long long monitor_start;
    char *started_at, *finished_at;
    uint64_t log_max;     /* bytes per log file */
};
int lifecycle_read(const char *id, struct lifecycle *l, struct osbox_err *err);
int lifecycle_write(const char *id, const struct lifecycle *l, struct osbox_err *err);
void lifecycle_free(struct lifecycle *l);
char *lifecycle_now(void); /* RFC 3339 UTC */

#define LOG_MAX_DEFAULT (1024 * 1024)

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
#define LOG_TS_LEN 30                   /* 2026-11-24T09:16:03.123456789Z */
#define LOG_CHUNK_MAX 16384             /* longest text of one record */
/* The logger process: records from the out and err pipes (err -1: a pty,
 * one stream) into the capped log until both reach EOF. */
__attribute__((noreturn)) void logs_logger_main(int out, int err, const char *id, uint64_t max);
struct logs_opts {
    long tail;            /* the last N lines (over both streams); -1 all */
    bool follow;          /* and then what comes, while the container's holder lives */
    bool timestamps;      /* each line prefixed with its record's time and a space */
};
/* The container's stdout records to out_fd, its stderr records to err_fd, in
 * their logged order. Memory stays bounded whatever the log's size. */
int logs_copy(const char *id, const struct logs_opts *o, int out_fd, int err_fd,
              struct osbox_err *err);

/* Control (control.c). The caller holds the lock where it says so. */
int container_kill(const char *id, int sig, struct osbox_err *err);
/* SIGTERM, SIGKILL after timeout_s, then wait for the holder to finish. */
int container_stop(const char *id, int timeout_s, struct osbox_err *err);
/* Wait until the container's holder (osbox or monitor) is gone; ms < 0 forever.
 * 0 when stopped, -1 with ETIMEDOUT. */
int container_wait_stopped(const char *id, int ms, struct osbox_err *err);
int container_remove(const char *id, bool force, struct osbox_err *err);
/* JSON of the record, lifecycle and live state (inspect). */
int container_inspect_json(const char *ref, json_t **out, struct osbox_err *err);
json_t *container_summary_json(const char *id); /* ps; NULL if unreadable */

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
int sd_notify_send(const char *msg, struct osbox_err *err);
/* --sdnotify=container: bind the socket into the container and point its
 * NOTIFY_SOCKET there. */
int sd_notify_into_container(struct osbox_spec *spec, struct osbox_err *err);

#endif
