/* Between the backend's files (not part of vm_backend.h). */
#ifndef OSBOX_VMM_BACKEND_INTERNAL_H
#define OSBOX_VMM_BACKEND_INTERNAL_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>
#include <termios.h>

#include <jansson.h>

#include "vm_backend.h"

/* net.c: a VM on the bridge, the runtime's net_attach_* with a TAP in place
 * of a veth. */
struct vm_net {
    struct net_attachment *att;   /* the lease (and ports) */
    struct vmm_net nic;           /* TAP fd and MAC */
    char tap[16];
    char *cmdline;                /* cmdline + " ip=ADDR/PREFIX::GATEWAY" */
};
/* Bridge mode: lease, TAP, ports; sets cfg->net and cfg->cmdline. None: nothing. */
int vm_net_setup(const struct osbox_net_spec *ns, struct vm_net *vn, struct vmm_config *cfg,
                 struct osbox_err *err);
/* Every exit path: TAP closed (it vanishes), ports and lease released. */
void vm_net_teardown(struct vm_net *vn);

/* monitor.c: osbox-vmm, fork+exec'd with the launch message (vmm/launch.h). */
struct vm_monitor {
    pid_t pid;
    int result_r;                 /* our end of the outcome pipe */
    sigset_t sigs, old;           /* blocked while it runs, forwarded to it */
    char *path;
};
/* Where osbox-vmm is: next to the running osbox binary. malloc'ed. */
char *vm_monitor_path(struct osbox_err *err);
/* Open the disks (the errors name their paths), put kernel and initrd into
 * memfds, start the monitor with exactly those fds. */
int vm_monitor_start(const struct vmm_config *cfg, struct vm_monitor *m, struct osbox_err *err);
/* Its outcome: <0 if the VM could not be set up or the monitor died. */
int vm_monitor_wait(struct vm_monitor *m, struct vmm_result *res, struct osbox_err *err);
/* Kill (if still running) and reap. */
void vm_monitor_stop(struct vm_monitor *m);

/* console.c: the caller's terminal raw while the VM runs (Ctrl-A x stops it). */
bool vm_console_raw(int fd, struct termios *saved);
void vm_console_restore(int fd, const struct termios *saved);

/* disk.c: a private writable copy of the shared disk at path (O_TMPFILE,
 * reflink or sparse copy); *how says which. Returns the fd. */
int vm_disk_copy(const char *path, const char **how, struct osbox_err *err);

/* vm_state.c: $OSBOX_RUN/vms/<name>/, vm.json (malloc'd paths). */
char *vm_state_root(void);
char *vm_state_dir(const char *name);
/* mkdir the VM's dir: the name checked and made unique ("already in use"). */
int vm_state_create(const char *name, struct osbox_err *err);
json_t *vm_state_read(const char *name, struct osbox_err *err);
int vm_state_write(const char *name, json_t *rec, struct osbox_err *err);
/* flock(LOCK_EX) on the dir; returns the fd. */
int vm_state_lock(const char *name, struct osbox_err *err);
/* Merge fields (stolen) into the record under the lock. */
int vm_state_update(const char *name, json_t *fields, struct osbox_err *err);
bool vm_keeper_alive(json_t *rec);
bool vm_monitor_alive(json_t *rec);
/* created, running, exited; dead: not exited but its keeper is gone. */
const char *vm_state_status(json_t *rec);
/* Every VM's name (NULL-terminated, osbox_strv_free). */
char **vm_state_names(void);

/* backend.c: the monitor's pid (detach.c records it for stop and gc). */
pid_t vm_backend_monitor_pid(const struct vm_backend *vb);

#endif
