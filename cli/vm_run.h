/* `osbox vm`: cmd_vm.c (boot, the dispatcher), cmd_vm_run.c (run). Both
 * parse argv into a struct vm_spec and hand it to the VM backend
 * (vmm/backend/vm_backend.h). */
#ifndef OSBOX_VM_RUN_H
#define OSBOX_VM_RUN_H

#include <stdbool.h>

#include "vmm/backend/vm_backend.h"

/* argv[0] is "run". Returns the exit status. */
int vm_run_main(int argc, char **argv);

/* Create, wait for and destroy the VM; print the --boot-time figures and
 * why a VM was stopped. Returns its exit status, or osbox's failure. */
int vm_cli_run(const struct vm_spec *spec, bool boot_time);

#endif
