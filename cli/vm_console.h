/* The part `osbox vm boot` and `osbox vm run` share once the VM is set up. */
#ifndef OSBOX_CLI_VM_CONSOLE_H
#define OSBOX_CLI_VM_CONSOLE_H

#include <stdbool.h>

#include "vmm/vmm.h"

/* Run the VM on the caller's terminal: raw while it runs, so keys reach the
 * guest (Ctrl-A x stops it), restored after; left alone when cfg->console_in
 * is -1. Prints the --boot-time figures and why a VM was stopped. Returns the
 * guest's exit status, or osbox's failure. */
int vm_run_attached(struct vmm_config *cfg, bool boot_time);

#endif
