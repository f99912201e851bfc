/* Internal state of one VM, shared by the monitor's files (not by the CLI). */
#ifndef OSBOX_VMM_VM_H
#define OSBOX_VMM_VM_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "bus.h"
#include "guest_mem.h"
#include "vmm.h"

struct vm;
struct serial;
struct virtio_mmio;

struct vcpu {
    struct vm *vm;
    int id;
    int fd;
    struct kvm_run *run;
    pthread_t thread;
    bool started;
};

struct vm {
    int kvm_fd, vm_fd;
    int run_size;
    int ncpus;
    struct vcpu vcpus[VMM_MAX_CPUS];
    struct guest_mem mem;
    struct bus pio, mmio;
    const struct vmm_config *cfg;

    atomic_bool stopping;
    int stop_efd;                 /* becomes readable once the VM stops */
    pthread_mutex_t lock;         /* guards the result fields below */
    struct vmm_result *res;
    bool status_set;              /* exit port written */
    int status;

    struct timespec t0;           /* vmm_run start */

    struct serial *serial;
    atomic_bool power_pressed;    /* power_button.c: a press the guest has not read */
    struct virtio_mmio *virtio[VMM_MAX_DISKS + 1]; /* disks and a NIC */
    int nvirtio;
};

/* vm.c */
int vm_create(struct vm *vm, const struct vmm_config *cfg, struct osbox_err *err);
void vm_destroy(struct vm *vm);
double vm_elapsed_ms(const struct vm *vm);
/* First caller wins (except that a reset keeps a status the exit port set). */
void vm_stop(struct vm *vm, enum vmm_stop_reason reason, const char *detail);
void vm_set_exit_status(struct vm *vm, int status);
void vm_log(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Assert or deassert a legacy IRQ line (IOAPIC + PIC). */
void vm_irq_line(struct vm *vm, int irq, int level);

/* kvm.c */
int kvm_open(int *kvm_fd, int *run_size, struct osbox_err *err);

/* cpuid.c */
int cpuid_setup(struct vm *vm, struct vcpu *vcpu, struct osbox_err *err);

/* vcpu.c */
int vcpu_create(struct vm *vm, int id, struct osbox_err *err);
int vcpu_start(struct vcpu *vcpu, struct osbox_err *err);
void vcpu_kick_all(struct vm *vm);
void vcpu_dump(struct vcpu *vcpu, char *buf, size_t len);

/* mptable.c: MP floating pointer + configuration table at gpa. */
int mptable_write(struct guest_mem *gm, uint64_t gpa, int ncpus, int nirqs);

/* boot: loads the kernel and sets the BSP's registers. */
enum boot_mode {
    BOOT_MODE_PVH,     /* ELF with a PVH note: 32-bit entry, ebx = hvm_start_info */
    BOOT_MODE_ELF64,   /* ELF64 without it: 64-bit entry, rsi = hvm_start_info */
    BOOT_MODE_LINUX64, /* bzImage: Linux's 64-bit boot protocol, rsi = zero page */
};
struct boot_info {
    uint64_t entry;
    enum boot_mode mode;
    uint64_t params;   /* guest-physical start info or zero page */
};
int boot_load(struct vm *vm, const char *cmdline, struct boot_info *bi, struct osbox_err *err);
int boot_set_regs(struct vm *vm, struct vcpu *bsp, const struct boot_info *bi,
                  struct osbox_err *err);

/* acpi.c: RSDP, XSDT, FADT, MADT, DSDT (the virtio-mmio windows) at
 * BOOT_ACPI_ADDR; the sleep registers' ports (ACPI power-off). */
struct guest_mem;
int acpi_write(struct guest_mem *gm, int ncpus, int nvirtio);
int acpi_setup(struct vm *vm, struct osbox_err *err);

/* devices */
int serial_setup(struct vm *vm, struct osbox_err *err);
void serial_teardown(struct vm *vm);
int i8042_setup(struct vm *vm, struct osbox_err *err);
int exit_port_setup(struct vm *vm, struct osbox_err *err);
/* power_button.c: port 0x503 + IRQ 3; press() from the monitor's main thread. */
int power_button_setup(struct vm *vm, struct osbox_err *err);
void power_button_press(struct vm *vm);

/* seccomp_vmm.c */
int vmm_syscall_filter_install(struct osbox_err *err);

#endif
