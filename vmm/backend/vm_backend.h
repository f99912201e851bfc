/* The host side of a VM, for osbox: everything `osbox vm boot` and `osbox vm
 * run` do around the monitor program, as one library with one header,
 * symmetric with the container runtime's runtime_create/wait/destroy:
 *
 *   vm_backend_create()   read the kernel and initrd (a file, or a path in an
 *                         ext2 disk), put the VM on the bridge (lease, TAP,
 *                         ip= on the cmdline), open and lock the disks, make
 *                         the terminal raw, fork+exec osbox-vmm;
 *   vm_backend_wait()     forward SIGINT/SIGTERM/SIGHUP to it, take its
 *                         outcome, return the VM's exit status;
 *   vm_backend_destroy()  restore the terminal, release the network, free.
 *
 * vm_image_spec() turns an image and a command into a vm_spec (`vm run`).
 * Built as build/libvmbackend.a: it links runtime (the bridge) and images;
 * the monitor, build/osbox-vmm, links only libvmm.a and never this. */
#ifndef OSBOX_VMM_BACKEND_H
#define OSBOX_VMM_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

#include "images/images.h"
#include "osbox_err.h"
#include "runtime/net/net.h"
#include "vmm/vmm.h"

struct vm_spec {
    uint64_t mem_size;
    int ncpus;
    bool seccomp;                 /* the monitor's allow-list */
    const char *kernel;           /* a file: ELF (PVH or ELF64) or bzImage; or NULL and */
    const char *kernel_in_disk;   /* this path read out of disks[0]'s ext2 */
    const char *initrd;           /* a file, or NULL */
    const char *cmdline;          /* kernel command line; init's arguments after " -- " */
    struct vmm_disk disks[VMM_MAX_DISKS]; /* path and read_only; opened by create */
    int ndisks;
    int console_in;               /* fd for COM1 input (stdin), -1 for none */
    struct osbox_net_spec net;    /* --net bridge|none, -p */
};

/* Defaults: 256 MiB, 1 vCPU, seccomp on, console on stdin; the network
 * mode of containers ($OSBOX_NETWORK, else the compiled default), where a
 * mode a VM cannot use (host, container:) means none. */
void vm_spec_init(struct vm_spec *spec);
void vm_spec_free(struct vm_spec *spec);
/* --net MODE (bridge or none), -p [HOSTIP:]HOSTPORT:GUESTPORT[/tcp|/udp]. */
int vm_spec_set_net(struct vm_spec *spec, const char *mode, struct osbox_err *err);
int vm_spec_publish(struct vm_spec *spec, const char *arg, struct osbox_err *err);
/* Options that do not go together (-p without bridge): a usage error. */
int vm_spec_validate(const struct vm_spec *spec, struct osbox_err *err);

struct vm_backend;

/* spec must stay valid until vm_backend_destroy. On failure nothing is left
 * (no TAP, no lease, terminal as it was). */
int vm_backend_create(const struct vm_spec *spec, struct vm_backend **out, struct osbox_err *err);
/* The VM's exit status (res says how it ended), or <0 if the monitor failed. */
int vm_backend_wait(struct vm_backend *vb, struct vmm_result *res, struct osbox_err *err);
/* NULL-safe. Kills a monitor that still runs. */
void vm_backend_destroy(struct vm_backend *vb);

/* `vm run`: IMAGE's rootfs under the osbox guest kernel. */
struct vm_image_opts {
    const char *image;            /* reference */
    char **cmd;                   /* NULL-terminated, may be empty: the image's Cmd */
    char **env;                   /* -e K=V */
    const char *workdir;          /* -w, or NULL */
    const char *kernel;           /* --kernel, or NULL: vm_default_kernel() */
    enum images_pull_policy pull; /* --pull; 0 (DEFAULT): $OSBOX_PULL, else missing */
};
struct vm_image;
/* Check KVM, resolve the image (by digest from then on), build the process
 * as `osbox run` does (Entrypoint, Cmd, Env, WorkingDir), the guest's
 * command line (guest/include/osbox_guest_abi.h), the image's cached ext2
 * disk and a private copy of it; fill spec's kernel, cmdline and disks[0].
 * *out owns what spec points to. */
int vm_image_spec(const struct vm_image_opts *o, struct vm_spec *spec, struct vm_image **out,
                  struct osbox_err *err);
void vm_image_free(struct vm_image *im);

/* The guest kernel: $OSBOX_GUEST_KERNEL, else next to the osbox binary
 * (build/osbox -> build/guest/osbox-kernel, bin/osbox ->
 * lib/osbox/osbox-kernel), else /usr/local/lib/osbox/osbox-kernel. malloc'ed. */
char *vm_default_kernel(void);

/* Detached VMs (detach.c, vm_state.c, control.c), kept by a process of
 * their own without a daemon. State, all of it live (a VM does not outlive
 * the boot):
 *   $OSBOX_RUN/vms/<name>/vm.json     id, name, image, command, created,
 *       status (created|running|exited), exit_code, error, started_at,
 *       finished_at, auto_remove, log_max, mem_bytes, cpus, network,
 *       keeper_pid/keeper_start (the osbox that holds it), monitor_pid/start
 *   $OSBOX_RUN/vms/<name>/ctr.log[.1] the serial console (stdout records) and
 *       the monitor's lines (stderr), the containers' k8s-file format and cap
 * Names follow the containers' rule ([a-zA-Z0-9][a-zA-Z0-9_.-]*, unique
 * among VMs); without one, the id's first 12 hex digits. */
#define VM_NAME_MAX 128
struct vm_detach_opts {
    const char *name;             /* --name, or NULL */
    const char *image;            /* what ps shows: the image or guest.img */
    char **command;               /* what ps shows, may be NULL */
    bool auto_remove;             /* --rm: state removed once it exits */
    uint64_t log_max;             /* bytes per log file; 0: LOG_MAX_DEFAULT */
};
/* Start spec's VM detached; returns once its monitor runs (id filled), or
 * with the reason it could not, leaving nothing behind. */
int vm_detach_start(struct vm_spec *spec, const struct vm_detach_opts *o, char id[65],
                    struct osbox_err *err);
/* ref: a name or a unique id prefix; ENOENT when no VM has it. */
int vm_lookup(const char *ref, char name[VM_NAME_MAX + 1], struct osbox_err *err);
/* The power button (the osbox guest sends its init SIGTERM), then SIGKILL
 * to the monitor after timeout_s; returns once the VM's keeper is gone.
 * A VM that is not running: 0. */
int vm_detached_stop(const char *name, int timeout_s, struct osbox_err *err);
/* A running VM only with force (killed first). */
int vm_detached_remove(const char *name, bool force, struct osbox_err *err);
struct logs_opts;
int vm_detached_logs(const char *name, const struct logs_opts *o, struct osbox_err *err);
/* Records with "state" (derived status) and "running"; ps and inspect. */
struct json_t *vm_inspect_json(const char *name, struct osbox_err *err);
/* Newest first; all: exited and dead ones too. */
struct json_t *vm_list_json(bool all);
/* osbox gc: VMs whose keeper was killed (monitor killed if it survived,
 * state removed; the lease goes with net_gc). *n: how many. */
int vm_gc(int *n, struct osbox_err *err);

#endif
