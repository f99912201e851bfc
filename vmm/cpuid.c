/* CPUID: what KVM supports, plus what a guest needs to find itself: the
 * hypervisor bit, its APIC ID and a flat topology of ncpus cores. */
#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include "cleanup.h"
#include "vm.h"

#define CPUID_MAX_ENTRIES 256

static unsigned bits_for(unsigned n)
{
    unsigned b = 0;

    while ((1u << b) < n)
        b++;
    return b;
}

static void patch_topology(struct kvm_cpuid_entry2 *e, int id, int ncpus)
{
    unsigned level = e->index;

    e->edx = (uint32_t)id;  /* x2APIC ID */
    if (level == 0) {       /* SMT: one thread per core */
        e->eax = 0;
        e->ebx = 1;
        e->ecx = (1u << 8) | level;
    } else if (level == 1) { /* cores in the package */
        e->eax = bits_for((unsigned)ncpus);
        e->ebx = (uint32_t)ncpus;
        e->ecx = (2u << 8) | level;
    } else {
        e->eax = e->ebx = 0;
        e->ecx = level;
    }
}

int cpuid_setup(struct vm *vm, struct vcpu *vcpu, struct osbox_err *err)
{
    size_t sz = sizeof(struct kvm_cpuid2) + CPUID_MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2);
    _cleanup_free_ struct kvm_cpuid2 *c = calloc(1, sz);

    if (!c)
        return osbox_error(err, ENOMEM, "cpuid");
    c->nent = CPUID_MAX_ENTRIES;
    if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0)
        return osbox_error(err, errno, "KVM_GET_SUPPORTED_CPUID");
    for (uint32_t i = 0; i < c->nent; i++) {
        struct kvm_cpuid_entry2 *e = &c->entries[i];

        switch (e->function) {
        case 1:
            e->ecx |= 1u << 31; /* running under a hypervisor */
            e->ebx = (e->ebx & 0x0000ffffu) | ((uint32_t)vcpu->id << 24) |
                     ((uint32_t)vm->cfg->ncpus << 16);
            e->edx |= 1u << 28; /* HTT: the count in ebx[23:16] is valid */
            break;
        case 4:
            e->eax = (e->eax & 0x03ffffffu) | ((uint32_t)(vm->cfg->ncpus - 1) << 26);
            break;
        case 0xb:
        case 0x1f:
            patch_topology(e, vcpu->id, vm->cfg->ncpus);
            break;
        }
    }
    if (ioctl(vcpu->fd, KVM_SET_CPUID2, c) < 0)
        return osbox_error(err, errno, "KVM_SET_CPUID2 on vCPU %d", vcpu->id);
    return 0;
}
