/* A running container as the parent (osbox) sees it. Private to runtime/. */
#ifndef OSBOX_RUNTIME_CONTAINER_H
#define OSBOX_RUNTIME_CONTAINER_H

#include "runtime/internal.h"

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
};

#endif
