/* `osbox vm`: cmd_vm.c (boot, the dispatcher), cmd_vm_run.c (run). Both
 * parse argv into a struct vm_spec and hand it to the VM backend
 * (vmm/backend/vm_backend.h). */
#ifndef OSBOX_VM_RUN_H
#define OSBOX_VM_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/backend/vm_backend.h"

/* argv[0] is "run". Returns the exit status. */
int vm_run_main(int argc, char **argv);

/* Create, wait for and destroy the VM; print the --boot-time figures and
 * why a VM was stopped. Returns its exit status, or osbox's failure. */
int vm_cli_run(const struct vm_spec *spec, bool boot_time);

/* cmd_vm_detach.c: ps, logs, stop, rm, inspect (argv[0] is the
 * subcommand); -1 if argv[0] is none of them. */
int vm_detached_main(int argc, char **argv);
/* -d: start the VM detached, print its id. Returns the exit status. */
int vm_cli_detach(struct vm_spec *spec, const struct vm_detach_opts *o);

/* -d, --name, --rm of vm run and vm boot. */
struct vm_detach_flags {
    bool detach, auto_remove;
    const char *name;
    uint64_t log_max;
};
/* Option c of vm_detach_opts' getopt codes ('d', 'N', 'R', 'L'): 0 taken,
 * 1 not one of them, else the usage error's status. */
int vm_parse_detach_opt(int c, struct vm_detach_flags *d, const char *cmd);
/* Foreground (vm_cli_run) or detached (vm_cli_detach), by d. */
int vm_cli_start(struct vm_spec *spec, const struct vm_detach_flags *d, const char *image,
                 char **command, bool boot_time, const char *cmd);

#endif
