/* Running a VM in the monitor program, osbox-vmm (vmm/launch.h). */
#ifndef OSBOX_CLI_VM_MONITOR_H
#define OSBOX_CLI_VM_MONITOR_H

#include "vmm/vmm.h"

/* Where osbox-vmm is: next to the running osbox binary. malloc'ed. */
char *vm_monitor_path(struct osbox_err *err);

/* Run cfg's VM in a fork+exec'd osbox-vmm and wait for it. Here: the disks
 * are opened and locked (the errors name their paths), the kernel and initrd
 * go into memfds, everything else is closed in the child. The monitor's
 * seccomp filter lasts for the life of its process, and it has none of
 * osbox's shared libraries. This process forwards SIGINT/SIGTERM/SIGHUP to
 * it and keeps the network lease; the monitor dies with it
 * (PR_SET_PDEATHSIG). Returns <0 if the VM could not be set up. */
int vm_monitor_run(const struct vmm_config *cfg, struct vmm_result *res, struct osbox_err *err);

#endif
