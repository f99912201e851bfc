/* The VM: KVM VM fd, in-kernel irqchip and PIT, guest RAM, stop protocol. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vm.h"

/* Just below 4 GiB, inside the MMIO gap, clear of the IOAPIC/LAPIC pages:
 * Intel VMX needs three pages for a real-mode TSS and one for an identity map. */
#define TSS_ADDR      0xfffbd000ULL
#define IDENT_MAP_ADDR 0xfffbc000ULL

static int set_region(struct vm *vm, int slot, const struct guest_slot *s, struct osbox_err *err)
{
    struct kvm_userspace_memory_region r = {
        .slot = (uint32_t)slot,
        .guest_phys_addr = s->gpa,
        .memory_size = s->size,
        .userspace_addr = (uint64_t)(uintptr_t)s->host,
    };

    if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
        return osbox_error(err, errno, "KVM_SET_USER_MEMORY_REGION slot %d", slot);
    return 0;
}

/* Guest RAM aligned to 2 MiB, so transparent huge pages can back it: each
 * guest page the host has to fault in is then 2 MiB, not 4 KiB (nested
 * EPT/NPT faults are expensive). */
static void *map_ram(uint64_t size)
{
    const uint64_t align = 2ULL << 20;
    uint8_t *p = mmap(NULL, size + align, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    uint8_t *start;

    if (p == MAP_FAILED)
        return NULL;
    start = (uint8_t *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
    if (start > p)
        munmap(p, (size_t)(start - p));
    munmap(start + size, (size_t)(p + align - start));
    return start;
}

int vm_create(struct vm *vm, const struct vmm_config *cfg, struct osbox_err *err)
{
    struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
    uint64_t ident = IDENT_MAP_ADDR;
    void *ram;

    vm->cfg = cfg;
    vm->vm_fd = vm->stop_efd = -1;
    pthread_mutex_init(&vm->lock, NULL);
    if (kvm_open(&vm->kvm_fd, &vm->run_size, err) < 0)
        return -1;
    vm->stop_efd = eventfd(0, EFD_CLOEXEC);
    if (vm->stop_efd < 0)
        return osbox_error(err, errno, "eventfd");
    vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
    if (vm->vm_fd < 0)
        return osbox_error(err, errno, "KVM_CREATE_VM");
    if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, TSS_ADDR) < 0)
        return osbox_error(err, errno, "KVM_SET_TSS_ADDR");
    if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &ident) < 0)
        return osbox_error(err, errno, "KVM_SET_IDENTITY_MAP_ADDR");
    if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
        return osbox_error(err, errno, "KVM_CREATE_IRQCHIP");
    if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
        return osbox_error(err, errno, "KVM_CREATE_PIT2");

    ram = map_ram(cfg->mem_size);
    if (!ram)
        return osbox_error(err, errno, "mmap %llu bytes of guest RAM",
                           (unsigned long long)cfg->mem_size);
    /* Huge pages cut EPT/NPT walk costs; a hint, so failure is fine. */
    madvise(ram, cfg->mem_size, MADV_HUGEPAGE);
    guest_mem_layout(&vm->mem, ram, cfg->mem_size);
    for (int i = 0; i < vm->mem.nslots; i++)
        if (set_region(vm, i, &vm->mem.slots[i], err) < 0)
            return -1;
    return 0;
}

void vm_destroy(struct vm *vm)
{
    for (int i = 0; i < vm->ncpus; i++) {
        if (vm->vcpus[i].run)
            munmap(vm->vcpus[i].run, (size_t)vm->run_size);
        if (vm->vcpus[i].fd >= 0)
            close(vm->vcpus[i].fd);
    }
    if (vm->mem.base)
        munmap(vm->mem.base, vm->mem.total);
    if (vm->vm_fd >= 0)
        close(vm->vm_fd);
    if (vm->kvm_fd >= 0)
        close(vm->kvm_fd);
    if (vm->stop_efd >= 0)
        close(vm->stop_efd);
}

double vm_elapsed_ms(const struct vm *vm)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - vm->t0.tv_sec) * 1e3 + (double)(now.tv_nsec - vm->t0.tv_nsec) / 1e6;
}

void vm_set_exit_status(struct vm *vm, int status)
{
    pthread_mutex_lock(&vm->lock);
    vm->status_set = true;
    vm->status = status;
    pthread_mutex_unlock(&vm->lock);
}

void vm_stop(struct vm *vm, enum vmm_stop_reason reason, const char *detail)
{
    uint64_t one = 1;
    bool first;

    pthread_mutex_lock(&vm->lock);
    first = vm->res->reason == VMM_STOP_NONE;
    if (first) {
        vm->res->reason = reason;
        if (detail)
            snprintf(vm->res->detail, sizeof vm->res->detail, "%s", detail);
    }
    pthread_mutex_unlock(&vm->lock);
    if (!first)
        return;
    atomic_store(&vm->stopping, true);
    vcpu_kick_all(vm);
    if (write(vm->stop_efd, &one, sizeof one) < 0) {
        /* eventfd writes only fail on overflow, which a single write cannot cause */
    }
}

void vm_log(struct vm *vm, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (!vm->cfg->log)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    vm->cfg->log(vm->cfg->log_ctx, msg);
}

void vm_irq_line(struct vm *vm, int irq, int level)
{
    struct kvm_irq_level l = { .irq = (uint32_t)irq, .level = (uint32_t)level };

    ioctl(vm->vm_fd, KVM_IRQ_LINE, &l);
}
