/* How `osbox vm boot|run` starts its monitor, build/osbox-vmm: a separate,
 * statically linked program (no shared libraries, so little memory outside
 * guest RAM), fork+exec'd by the CLI. Everything it gets is inherited:
 *
 *   fd 3  the launch message below (a memfd: read to EOF)
 *   fd 4  the result: the monitor writes one struct vmm_outcome there
 *   the kernel, initrd, TAP and disk fds the message names; 0/1/2 as usual
 *
 * The CLI keeps doing what needs paths and permissions (reading the kernel
 * out of an ext2 image, opening and locking disks, the TAP, the lease); the
 * monitor only runs the VM. Nothing else is open in it. */
#ifndef OSBOX_VMM_LAUNCH_H
#define OSBOX_VMM_LAUNCH_H

#include <stddef.h>
#include <stdint.h>

#include "osbox_err.h"
#include "vmm.h"

#define VMM_LAUNCH_FD 3
#define VMM_RESULT_FD 4

#define VMM_LAUNCH_MAGIC   0x314d4d56u /* "VMM1" */
#define VMM_LAUNCH_VERSION 1
#define VMM_OUTCOME_MAGIC  0x524d4d56u /* "VMMR" */

/* A disk's name (the path the user gave: messages, the virtio-blk ID). */
#define VMM_LAUNCH_NAME_MAX 1024
/* The command line that follows the header, without its NUL (the boot
 * protocol's own limit is checked by the monitor). */
#define VMM_LAUNCH_CMDLINE_MAX 65535

enum {
    VMM_LAUNCH_SECCOMP = 1u << 0, /* install the monitor's allow-list */
    VMM_LAUNCH_NET = 1u << 1,     /* tap_fd and mac are a NIC */
};
enum { VMM_LAUNCH_DISK_RO = 1u << 0 };

struct vmm_launch_disk {
    int32_t fd;                   /* opened by vmm_disk_open() */
    uint32_t flags;               /* VMM_LAUNCH_DISK_* */
    char name[VMM_LAUNCH_NAME_MAX]; /* NUL-terminated, not empty */
};

/* The message: this header, then cmdline_len bytes of command line and a
 * NUL. Fixed-size fields, host byte order (both ends are this build). */
struct vmm_launch {
    uint32_t magic, version;
    uint32_t header_size;         /* sizeof(struct vmm_launch) */
    uint32_t flags;               /* VMM_LAUNCH_* */
    uint64_t mem_size;
    uint32_t ncpus, ndisks;
    int32_t kernel_fd;            /* the ELF image, read from offset 0 to its size */
    int32_t initrd_fd;            /* -1: none */
    int32_t console_in;           /* -1: none */
    int32_t console_out;
    int32_t tap_fd;               /* with VMM_LAUNCH_NET, else -1 */
    uint8_t mac[6];
    uint8_t pad[2];               /* zero */
    uint32_t cmdline_len;
    uint32_t reserved;            /* zero */
    struct vmm_launch_disk disks[VMM_MAX_DISKS]; /* [ndisks..] all zero */
};

/* What the monitor writes on VMM_RESULT_FD once, before it exits: rc <0
 * means the VM could not be set up (err says why), else res says how it
 * ended. exec_errno is set instead by the CLI's fork child when it could not
 * exec the monitor at all. */
struct vmm_outcome {
    uint32_t magic, version;
    int32_t rc;
    int32_t exec_errno;
    struct osbox_err err;
    struct vmm_result res;
};

/* The fds the monitor is to use, as numbered in its own process. */
struct vmm_launch_fds {
    int kernel, initrd, tap;      /* initrd/tap -1: none */
    int disks[VMM_MAX_DISKS];
};

/* Encode cfg (everything but its kernel/initrd bytes and log callback) with
 * the given fds; *msg is malloc'ed. Fails for a command line or disk name
 * that does not fit. */
int vmm_launch_encode(const struct vmm_config *cfg, const struct vmm_launch_fds *fds,
                      void **msg, size_t *len, struct osbox_err *err);

/* Check a received message strictly (size, magic, version, flags, counts,
 * fd ranges, NUL-terminated strings, zero padding) and fill cfg (its strings
 * point into buf), net (the NIC, when there is one) and fds->kernel/initrd.
 * The kernel/initrd bytes are the caller's business. */
int vmm_launch_decode(const void *buf, size_t len, struct vmm_config *cfg, struct vmm_net *net,
                      struct vmm_launch_fds *fds, struct osbox_err *err);

#endif
