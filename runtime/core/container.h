/* A running container as the parent (osbox) sees it. Private to runtime/. */
#ifndef OSBOX_RUNTIME_CONTAINER_H
#define OSBOX_RUNTIME_CONTAINER_H

#include "runtime/core/internal.h"

struct osbox_container {
    char id[65];
    char *dir;        /* $OSBOX_ROOT/containers/<id> */
    char *live_dir;   /* $OSBOX_RUN/containers/<id> */
    pid_t pid;        /* the container's init, host pid */
    int pidfd;
    int sock;         /* parent end of the sync socket */
    int master;       /* pty master, -1 without -t */
    bool stdin_open;
    bool exited;
    int exit_status;
    struct host_tty tty;
    struct osbox_cgroup *cg;
    struct netc_state *net; /* network hooks (net_container.c); NULL: nothing to undo */
    int join_fds[CGROUP_MAX_JOIN_FDS]; /* v1 `tasks` files sent with SYNC_GO (cgroup_join.c) */
    int njoin;
};

/* Until the child's command is exec'd, or its error (sync.c). */
int sync_await_exec(struct osbox_container *c, struct osbox_err *err);

/* The last step of runtime_create and runtime_exec_into: let the child go
 * (SYNC_GO) and wait until its command has exec'd. 0 with *out = c, or -1
 * with c torn down. write_live: write c's live state meanwhile, while the
 * child starts (create.c). */
int runtime_release_child(struct osbox_container *c, bool write_live, struct osbox_container **out,
                          struct osbox_err *err);

#endif
