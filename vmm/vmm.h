/* osbox's KVM virtual machine monitor: the one interface the CLI uses.
 *
 * vmm_run() creates a VM, loads a kernel (PVH 32-bit entry, or ELF64 64-bit
 * entry), attaches devices (COM1 8250, i8042 reset, exit/boot-time ports,
 * virtio-mmio v2 block disks) and runs it until the guest stops.
 * `osbox vm` runs it in its own program, build/osbox-vmm (launch.h). */
#ifndef OSBOX_VMM_H
#define OSBOX_VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "osbox_err.h"

/* The ports a guest talks to (exit status, boot marks, COM1, i8042) are
 * guest/include/osbox_guest_abi.h's, which the devices include. Where this
 * monitor puts its virtio-mmio windows (announced on the command line): */
#define VMM_VIRTIO_MMIO_BASE 0xd0000000ULL /* first virtio-mmio window */
#define VMM_VIRTIO_MMIO_SIZE 0x200         /* one window per device */
#define VMM_VIRTIO_IRQ_BASE  5             /* IRQs 5, 6, ... in device order */

#define VMM_MAX_DISKS 8
#define VMM_MAX_CPUS 64

/* How a VM ended; each maps to an `osbox vm boot` exit status. */
enum vmm_stop_reason {
    VMM_STOP_NONE = 0,
    VMM_STOP_EXIT_PORT,     /* guest wrote its status to the exit port */
    VMM_STOP_RESET,         /* i8042 reset / KVM system event */
    VMM_STOP_TRIPLE_FAULT,  /* KVM_EXIT_SHUTDOWN */
    VMM_STOP_INTERNAL,      /* KVM_EXIT_INTERNAL_ERROR, FAIL_ENTRY, unknown exit */
    VMM_STOP_SIGNAL,        /* the monitor was asked to stop (SIGINT/SIGTERM, Ctrl-A x) */
};

/* Exit statuses of `osbox vm boot` for VMs that did not end by themselves. */
#define VMM_EXIT_TRIPLE_FAULT 121
#define VMM_EXIT_INTERNAL     122
#define VMM_EXIT_SIGNAL       130

struct vmm_disk {
    const char *path;           /* as the user named it: messages, the disk's ID */
    int fd;                     /* from vmm_disk_open(); the monitor uses a dup of it */
    bool read_only;
};

/* A virtio-net NIC: a TAP from vmm_tap_open() (the caller closes it after
 * vmm_run) and the guest's MAC. */
struct vmm_net {
    int tap_fd;
    uint8_t mac[6];
};

struct vmm_config {
    uint64_t mem_size;          /* bytes of guest RAM */
    int ncpus;
    const void *kernel;         /* ELF image in memory */
    size_t kernel_len;
    const void *initrd;         /* optional PVH module 0 */
    size_t initrd_len;
    const char *cmdline;        /* user part; the monitor adds virtio_mmio.device=... before " -- " */
    struct vmm_disk disks[VMM_MAX_DISKS];
    int ndisks;
    const struct vmm_net *net;  /* NULL: no NIC; else attached after the disks */
    bool seccomp;               /* install the allow-list after setup */
    int console_in;             /* fd for COM1 input, -1 for none */
    int console_out;            /* fd for COM1 output */
    /* Events worth telling the user (device errors, guest misbehaviour). */
    void (*log)(void *ctx, const char *msg);
    void *log_ctx;
    /* Optional: called once the kernel and initrd are in guest RAM (their
     * buffers are not read again), before the vCPUs start. */
    void (*loaded)(void *ctx);
    void *loaded_ctx;
};

struct vmm_result {
    enum vmm_stop_reason reason;
    int exit_status;            /* status `osbox vm boot` should exit with */
    double setup_ms;            /* vmm_run start -> first KVM_RUN */
    double entry_ms;            /* -> boot-time mark 1 (kernel entry), <0 if never */
    double init_ms;             /* -> boot-time mark 2 (init started), <0 if never */
    char detail[4096];          /* register dump / reason for crashes */
};

/* Is KVM usable here? Fails with a message naming the missing piece. */
int vmm_check_kvm(struct osbox_err *err);

/* Boot and run a VM until it stops. Returns <0 only if the VM could not be
 * set up; a guest crash is a successful run with res->reason saying so. */
int vmm_run(const struct vmm_config *cfg, struct vmm_result *res, struct osbox_err *err);

/* Open a disk for the monitor: read-only or read-write, locked (shared or
 * exclusive: two writers would corrupt it), a regular file or block device.
 * Returns the fd (O_CLOEXEC) or <0 with err naming the path. */
int vmm_disk_open(const char *path, bool read_only, struct osbox_err *err);

/* Create TAP interface `name` (non-persistent: it vanishes with the last
 * fd); its kernel name in ifname, a non-blocking fd in *fd. */
int vmm_tap_open(const char *name, char ifname[16], int *fd, struct osbox_err *err);

/* Where init's arguments start in a kernel command line: the first word
 * "--" outside double quotes (as Linux and the osbox guest read it), or NULL. */
const char *vmm_cmdline_init_args(const char *cmdline);
/* cmdline with params (kernel parameters) added before init's arguments:
 * "a b -- c" + "x=1" is "a b x=1 -- c". malloc'ed (aborts on ENOMEM). */
char *vmm_cmdline_insert(const char *cmdline, const char *params);

/* Read file `path` out of the ext2 filesystem in disk image `image` (read-only). */
int vmm_read_ext2_file(const char *image, const char *path, void **buf, size_t *len,
                       struct osbox_err *err);

#endif
