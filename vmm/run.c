/* vmm_run: put a VM together, run it until it stops, take it apart. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cleanup.h"
#include "virtio_blk.h"
#include "virtio_mmio.h"
#include "virtio_net.h"
#include "vm.h"

static int check_config(const struct vmm_config *cfg, struct osbox_err *err)
{
    if (cfg->ncpus < 1 || cfg->ncpus > VMM_MAX_CPUS)
        return osbox_error(err, 0, "--cpus must be between 1 and %d", VMM_MAX_CPUS);
    if (cfg->mem_size < (16u << 20) || cfg->mem_size > (1ULL << 40) || cfg->mem_size % 4096)
        return osbox_error(err, 0, "guest memory must be a multiple of 4 KiB between 16 MiB and 1 TiB");
    if (cfg->ndisks < 0 || cfg->ndisks > VMM_MAX_DISKS)
        return osbox_error(err, 0, "at most %d disks", VMM_MAX_DISKS);
    if (!cfg->kernel || !cfg->kernel_len)
        return osbox_error(err, 0, "no kernel to boot");
    return 0;
}

/* The user's command line with one virtio_mmio.device= per device, placed
 * before init's arguments (vmm_cmdline_insert). */
static char *full_cmdline(const struct vm *vm)
{
    _cleanup_free_ char *devs = NULL;
    size_t cap = 64 * (size_t)(vm->nvirtio + 1);
    char *p;

    if (!(devs = p = malloc(cap)))
        return NULL;
    *p = 0;
    for (int i = 0; i < vm->nvirtio; i++)
        p += snprintf(p, cap - (size_t)(p - devs), "%svirtio_mmio.device=%u@0x%llx:%d",
                      i ? " " : "", VMM_VIRTIO_MMIO_SIZE,
                      VMM_VIRTIO_MMIO_BASE + (unsigned long long)i * VMM_VIRTIO_MMIO_SIZE,
                      VMM_VIRTIO_IRQ_BASE + i);
    return vmm_cmdline_insert(vm->cfg->cmdline, devs);
}

static int setup(struct vm *vm, struct osbox_err *err)
{
    _cleanup_free_ char *cmdline = NULL;
    struct boot_info bi;

    if (vm_create(vm, vm->cfg, err) < 0)
        return -1;
    for (int i = 0; i < vm->cfg->ncpus; i++) {
        vm->ncpus = i + 1;
        if (vcpu_create(vm, i, err) < 0)
            return -1;
    }
    if (serial_setup(vm, err) < 0 || i8042_setup(vm, err) < 0 || exit_port_setup(vm, err) < 0 ||
        power_button_setup(vm, err) < 0 || acpi_setup(vm, err) < 0)
        return -1;
    for (int i = 0; i < vm->cfg->ndisks; i++)
        if (virtio_blk_attach(vm, &vm->cfg->disks[i], err) < 0)
            return -1;
    if (vm->cfg->net && virtio_net_attach(vm, vm->cfg->net->tap_fd, vm->cfg->net->mac, err) < 0)
        return -1;
    cmdline = full_cmdline(vm);
    if (!cmdline)
        return osbox_error(err, ENOMEM, "kernel command line");
    if (boot_load(vm, cmdline, &bi, err) < 0 || boot_set_regs(vm, &vm->vcpus[0], &bi, err) < 0)
        return -1;
    if (vm->cfg->loaded)
        vm->cfg->loaded(vm->cfg->loaded_ctx);
    return 0;
}

/* Wait until the VM stops by itself or the monitor gets a stop signal;
 * SIGUSR2 presses the power button instead (`osbox vm stop`). */
static void wait_for_stop(struct vm *vm, int sfd)
{
    struct pollfd p[2] = { { .fd = vm->stop_efd, .events = POLLIN },
                           { .fd = sfd, .events = POLLIN } };

    while (!atomic_load(&vm->stopping)) {
        if (poll(p, sfd >= 0 ? 2 : 1, -1) < 0 && errno != EINTR)
            break;
        if (p[1].revents & POLLIN) {
            struct signalfd_siginfo si = { 0 };
            if (read(sfd, &si, sizeof si) == (ssize_t)sizeof si && si.ssi_signo == SIGUSR2) {
                power_button_press(vm);
            } else if (si.ssi_signo) {
                char why[64];
                snprintf(why, sizeof why, "stopped by signal %u", si.ssi_signo);
                vm_stop(vm, VMM_STOP_SIGNAL, why);
            }
        }
    }
}

static int start_vcpus(struct vm *vm, struct osbox_err *err)
{
    for (int i = 0; i < vm->ncpus; i++)
        if (vcpu_start(&vm->vcpus[i], err) < 0)
            return -1;
    return 0;
}

static int exit_status_of(struct vm *vm)
{
    switch (vm->res->reason) {
    case VMM_STOP_EXIT_PORT: return vm->status;
    case VMM_STOP_RESET: return vm->status_set ? vm->status : 0;
    case VMM_STOP_TRIPLE_FAULT: return VMM_EXIT_TRIPLE_FAULT;
    case VMM_STOP_SIGNAL: return VMM_EXIT_SIGNAL;
    default: return VMM_EXIT_INTERNAL;
    }
}

int vmm_run(const struct vmm_config *cfg, struct vmm_result *res, struct osbox_err *err)
{
    struct vm *vm;
    sigset_t stopsigs, old;
    int sfd = -1, ret = -1;

    memset(res, 0, sizeof *res);
    res->entry_ms = res->init_ms = -1;
    if (check_config(cfg, err) < 0)
        return -1;
    vm = calloc(1, sizeof *vm);
    if (!vm)
        return osbox_error(err, ENOMEM, "vm");
    clock_gettime(CLOCK_MONOTONIC, &vm->t0);
    vm->res = res;
    vm->cfg = cfg;
    vm->kvm_fd = vm->vm_fd = vm->stop_efd = -1;
    for (int i = 0; i < VMM_MAX_CPUS; i++)
        vm->vcpus[i].fd = -1;

    /* Every thread started from here on inherits the block; the main
     * thread takes the signals through a signalfd. */
    sigemptyset(&stopsigs);
    sigaddset(&stopsigs, SIGINT);
    sigaddset(&stopsigs, SIGTERM);
    sigaddset(&stopsigs, SIGHUP);
    sigaddset(&stopsigs, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &stopsigs, &old);
    sfd = signalfd(-1, &stopsigs, SFD_CLOEXEC);

    if (setup(vm, err) < 0)
        goto out;
    res->setup_ms = vm_elapsed_ms(vm);
    /* A vCPU thread that cannot start, or a filter that cannot be
     * installed, is the host's failure (osbox's 125), not a guest stop. */
    if (start_vcpus(vm, err) == 0 && (!cfg->seccomp || vmm_syscall_filter_install(err) == 0)) {
        wait_for_stop(vm, sfd);
        ret = 0;
    }
    vm_stop(vm, VMM_STOP_INTERNAL, "stopped"); /* no-op unless nothing stopped it yet */
    for (int i = 0; i < vm->ncpus; i++)
        if (vm->vcpus[i].started)
            pthread_join(vm->vcpus[i].thread, NULL);
    if (ret == 0)
        res->exit_status = exit_status_of(vm);
out:
    if (ret < 0)
        vm_stop(vm, VMM_STOP_INTERNAL, NULL); /* release device threads */
    virtio_teardown_all(vm);
    serial_teardown(vm);
    vm_destroy(vm);
    free(vm);
    if (sfd >= 0)
        close(sfd);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return ret;
}
