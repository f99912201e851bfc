/* `osbox vm run`: an image's root filesystem booted as a microVM.
 *   cmd_vm_run.c   the command: image -> cmdline, disk, kernel -> osbox-vmm
 *   vm_run_disk.c  the per-run writable copy of the image's cached disk
 * cmd_vm.c dispatches `osbox vm run` here. */
#ifndef OSBOX_VM_RUN_H
#define OSBOX_VM_RUN_H

#include "osbox_err.h"

/* argv[0] is "run". Returns the exit status. */
int vm_run_main(int argc, char **argv);

/* A private writable copy of the shared disk at path: a file with no name
 * (O_TMPFILE) next to it, else under $OSBOX_RUN, filled by a reflink when
 * the filesystem can, else by copying only the data extents (the copy stays
 * sparse). It vanishes when the fd is closed, even if osbox is killed.
 * Returns the fd; *how says "reflink" or "sparse copy". */
int vm_run_disk_copy(const char *path, const char **how, struct osbox_err *err);

/* The guest kernel: $OSBOX_GUEST_KERNEL, else next to the osbox binary
 * (build/osbox -> build/guest/osbox-kernel, bin/osbox ->
 * lib/osbox/osbox-kernel), else /usr/local/lib/osbox/osbox-kernel. */
char *vm_run_default_kernel(void);

#endif
