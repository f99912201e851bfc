/* Private to the runtime library: the parent/child protocol and the steps
 * the container's first process runs. */
#ifndef OSBOX_RUNTIME_INTERNAL_H
#define OSBOX_RUNTIME_INTERNAL_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <termios.h>

#include <sched.h>

#include "runtime/core/runtime.h"

/* Messages on the parent/child socketpair (SOCK_SEQPACKET). The child's end
 * is close-on-exec, so the parent sees EOF once the command has been exec'd
 * (or everything died). */
enum sync_type {
    SYNC_GO = 1,    /* parent -> child: the command may start; v1 cgroup `tasks`
                       files to join first, as SCM_RIGHTS (cgroup_join.c) */
    SYNC_PTY,       /* child -> parent: the pty master, as SCM_RIGHTS */
    SYNC_PTY_SIZED, /* parent -> child: the pty has the caller's window size */
    SYNC_ERROR,     /* child -> parent: setup or exec failed */
    SYNC_CREATED,   /* child -> parent: set up, waiting at the start gate */
};

struct sync_msg {
    int type;
    int exit_status;
    int errnum;
    char msg[1024];
};

#define SYNC_MAX_FDS 16
int sync_send(int sock, const struct sync_msg *m, int fd);
int sync_send_fds(int sock, const struct sync_msg *m, const int *fds, int n);
/* Returns 1 on a message, 0 on EOF, -1 on error; *fd gets a passed fd or -1. */
int sync_recv(int sock, struct sync_msg *m, int *fd);
/* The same with every fd passed (up to SYNC_MAX_FDS; more are closed). */
int sync_recv_fds(int sock, struct sync_msg *m, int fds[SYNC_MAX_FDS], int *nfds);
/* Child side: send err as SYNC_ERROR (best effort). */
void sync_send_error(int sock, const struct osbox_err *err);

/* What the child needs besides the spec (all computed by the parent). */
struct child_ctx {
    const struct osbox_spec *spec;
    const struct osbox_runtime_opts *opts;
    int sock;               /* child end of the socketpair */
    bool cgroupns_in_clone; /* CLONE_NEWCGROUP already done by clone3 */
    bool netns_ready;       /* born in a prefetched netns, lo already up */
    bool cpus_saved;        /* cpus: our affinity, restored by the child at SYNC_GO */
    cpu_set_t cpus;
    const char *mountpoint; /* $OSBOX_RUN/containers/<id> (the live dir) */
    const char *upper, *work;
};

/* The start gate (start_gate.c): opened before pivot_root, waited on after setup. */
int start_gate_open(const char *path, struct osbox_err *err);
int start_gate_wait(int gate, const char *path, int sock, struct osbox_err *err);

/* Runs in the cloned child; never returns. */
__attribute__((noreturn)) void child_main(struct child_ctx *ctx);

/* Rootfs: overlay or bind, pivot_root, the spec's mounts. Runs in the child. */
int rootfs_setup(const struct child_ctx *ctx, struct osbox_err *err);
int rootfs_make_readonly(struct osbox_err *err);
/* One spec mount inside the new root (mounts.c): tree is a detached bind
 * source (open_tree) or -1 for a fresh filesystem. */
int mount_one(const struct osbox_mount *m, int tree, struct osbox_err *err);
bool mount_is_bind(const struct osbox_mount *m);
/* Rlimits, oom_score_adj and sysctls of the spec, in the child (limits.c). */
int limits_apply(const struct osbox_spec *spec, struct osbox_err *err);
/* Device nodes and links in a tmpfs /dev. */
int devices_populate(struct osbox_err *err);
/* Rootless, before pivot_root: hold the host's nodes to bind them later. */
int devices_grab_host(struct osbox_err *err);
/* A pty from the container's devpts; *slave_path for /dev/console. */
int pty_open_in_container(int *master, int *slave, struct osbox_err *err);

/* The user the command runs as, resolved inside the container's /etc. */
struct resolved_user {
    uid_t uid;
    gid_t gid;
    gid_t *gids;
    size_t n_gids;
    char *home; /* NULL when unknown */
};
int user_resolve(const struct osbox_process *p, struct resolved_user *out, struct osbox_err *err);
void resolved_user_free(struct resolved_user *u);
/* The command's environment: the spec's, plus PATH, HOME (the user's) and,
 * with a terminal, TERM when absent. The same for `run` and `exec`. */
char **command_env(const struct osbox_process *p, const struct resolved_user *u);

/* Bring lo up in a fresh network namespace. */
int net_loopback_up(struct osbox_err *err);
/* The netns runtime_prefetch_netns made (fd, caller closes), or -1. Waits
 * for the helper thread, so the process is single-threaded afterwards. */
int netns_prefetched(void);
/* Enter the namespace fd of one type (CLONE_NEWNET ...) on this thread
 * (ns.c): *saved gets our own, for ns_leave. Fails, changing nothing, when
 * we could not come back. ns_leave aborts rather than stay (saved < 0: no-op). */
int ns_enter(int fd, int type, int *saved, struct osbox_err *err);
void ns_leave(int saved, int type);

/* PID 1: fork the command, forward signals, reap, exit with its status. */
struct exec_ctx {
    const struct osbox_process *process;
    char **env;               /* final environment (HOME added) */
    struct resolved_user user;
    int sock;                 /* error channel, close-on-exec */
    int pty_slave;            /* -1 without -t */
    const struct osbox_security *security; /* caps, no_new_privs, seccomp */
    /* An OCI start: whoever created the container stopped reading sock at
     * the start gate, so a failure is also said on the command's stderr
     * (the engine's log of the container). */
    bool errors_to_stderr;
};
__attribute__((noreturn)) void init_main(struct exec_ctx *x);
/* In the command's process: stdio, credentials, cwd, PATH lookup, execve.
 * On failure reports on x->sock and _exits with 125/126/127. */
__attribute__((noreturn)) void exec_command(struct exec_ctx *x);
/* PATH lookup inside the container: 0 and *out (malloc'd), or -1 with
 * err->exit_status 127 (not found) / 126 (not executable). */
int exec_find(const char *cmd, const char *path_env, char **out, struct osbox_err *err);

/* Signals forwarded from osbox to the container and from our init to the command. */
extern const int runtime_forwarded_signals[];
void runtime_forward_sigset(sigset_t *set);

/* Host terminal handling for -t. */
struct host_tty {
    bool raw;
    struct termios saved;
};
void host_tty_make_raw(struct host_tty *t);
void host_tty_restore(struct host_tty *t);
void host_tty_copy_winsize(int master);

/* Replace path with o, atomically (temp + rename). */
int runtime_write_json(const char *path, json_t *o, struct osbox_err *err);

/* Live state ($OSBOX_RUN/containers/<id>/state.json). */
int live_write(const char *live_dir, const char *id, pid_t pid, struct osbox_err *err);

#endif
