/* vCPUs: one thread each, running KVM_RUN and dispatching exits to the bus. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "vm.h"

#define KICK_SIGNAL SIGUSR1

/* MTRRs enabled with write-back as the default type: left at reset
 * (disabled = uncachable), some hosts run all guest memory uncached. */
static int set_msrs(struct vcpu *v, struct osbox_err *err)
{
    struct {
        struct kvm_msrs hdr;
        struct kvm_msr_entry e[2];
    } m = { .hdr.nmsrs = 2 };

    m.e[0] = (struct kvm_msr_entry){ .index = 0x2ff, .data = (1u << 11) | 6 }; /* MTRRdefType */
    m.e[1] = (struct kvm_msr_entry){ .index = 0x1a0, .data = 1 };               /* MISC_ENABLE: fast strings */
    if (ioctl(v->fd, KVM_SET_MSRS, &m) != 2)
        return osbox_error(err, errno, "KVM_SET_MSRS on vCPU %d", v->id);
    return 0;
}

int vcpu_create(struct vm *vm, int id, struct osbox_err *err)
{
    struct vcpu *v = &vm->vcpus[id];
    void *run;

    v->vm = vm;
    v->id = id;
    v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
    if (v->fd < 0)
        return osbox_error(err, errno, "KVM_CREATE_VCPU %d", id);
    run = mmap(NULL, (size_t)vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
    if (run == MAP_FAILED)
        return osbox_error(err, errno, "mmap kvm_run of vCPU %d", id);
    v->run = run;
    if (cpuid_setup(vm, v, err) < 0)
        return -1;
    return set_msrs(v, err);
}

void vcpu_dump(struct vcpu *v, char *buf, size_t len)
{
    struct kvm_regs r;
    struct kvm_sregs s;
    int n;

    if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 || ioctl(v->fd, KVM_GET_SREGS, &s) < 0) {
        snprintf(buf, len, "vCPU %d: registers unavailable: %s", v->id, strerror(errno));
        return;
    }
    n = snprintf(buf, len,
                 "vCPU %d registers:\n"
                 " rip %016llx rflags %016llx\n"
                 " rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
                 " rsi %016llx rdi %016llx rsp %016llx rbp %016llx\n"
                 " r8  %016llx r9  %016llx r10 %016llx r11 %016llx\n"
                 " r12 %016llx r13 %016llx r14 %016llx r15 %016llx\n"
                 " cr0 %016llx cr2 %016llx cr3 %016llx cr4 %016llx efer %llx\n"
                 " cs %04x base %llx l=%d db=%d  ss %04x  ds %04x\n"
                 " gdt %llx/%x idt %llx/%x",
                 v->id, r.rip, r.rflags, r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rsp, r.rbp,
                 r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15, s.cr0, s.cr2, s.cr3, s.cr4,
                 s.efer, s.cs.selector, s.cs.base, s.cs.l, s.cs.db, s.ss.selector, s.ds.selector,
                 s.gdt.base, s.gdt.limit, s.idt.base, s.idt.limit);
    if (n < 0 || (size_t)n >= len)
        return;
    /* On AMD (SVM), KVM re-INITs a vCPU when it takes the shutdown intercept,
     * so after a triple fault these are the reset registers, not the fault's. */
    if (r.rip == 0xfff0 && s.cs.base == 0xffff0000ull)
        n += snprintf(buf + n, len - (size_t)n,
                      "\n (reset state: KVM re-initialised the vCPU on shutdown, as it does on"
                      " AMD; the faulting registers are lost)");
    if (n < 0 || (size_t)n >= len)
        return;
    /* The code at rip, through the guest's own page tables. */
    struct kvm_translation tr = { .linear_address = r.rip };
    const uint8_t *code;
    if (ioctl(v->fd, KVM_TRANSLATE, &tr) == 0 && tr.valid &&
        (code = guest_ptr(&v->vm->mem, tr.physical_address, 16))) {
        n += snprintf(buf + n, len - (size_t)n, "\n code at rip (gpa %llx):",
                      (unsigned long long)tr.physical_address);
        for (int i = 0; i < 16 && (size_t)n < len; i++)
            n += snprintf(buf + n, len - (size_t)n, " %02x", code[i]);
    }
}

static void crash(struct vcpu *v, enum vmm_stop_reason reason, const char *what)
{
    char dump[3072], detail[4096];

    vcpu_dump(v, dump, sizeof dump);
    snprintf(detail, sizeof detail, "%s\n%s", what, dump);
    vm_stop(v->vm, reason, detail);
}

static void handle_io(struct vcpu *v)
{
    struct kvm_run *run = v->run;
    uint8_t *data = (uint8_t *)run + run->io.data_offset;

    for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size) {
        if (run->io.direction == KVM_EXIT_IO_OUT)
            bus_write(&v->vm->pio, run->io.port, data, run->io.size);
        else
            bus_read(&v->vm->pio, run->io.port, data, run->io.size);
    }
}

static void handle_mmio(struct vcpu *v)
{
    struct kvm_run *run = v->run;
    uint32_t len = run->mmio.len;
    bool ok;

    if (len > sizeof run->mmio.data)
        len = sizeof run->mmio.data;
    if (run->mmio.is_write)
        ok = bus_write(&v->vm->mmio, run->mmio.phys_addr, run->mmio.data, len);
    else
        ok = bus_read(&v->vm->mmio, run->mmio.phys_addr, run->mmio.data, len);
    (void)ok; /* unclaimed MMIO reads as all ones, writes vanish, as on real hardware */
}

static void *vcpu_thread(void *arg)
{
    struct vcpu *v = arg;
    struct vm *vm = v->vm;
    char what[256];
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, KICK_SIGNAL);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    while (!atomic_load(&vm->stopping)) {
        if (ioctl(v->fd, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                v->run->immediate_exit = 0;
                continue;
            }
            snprintf(what, sizeof what, "KVM_RUN failed on vCPU %d: %s", v->id, strerror(errno));
            crash(v, VMM_STOP_INTERNAL, what);
            break;
        }
        switch (v->run->exit_reason) {
        case KVM_EXIT_IO:
            handle_io(v);
            break;
        case KVM_EXIT_MMIO:
            handle_mmio(v);
            break;
        case KVM_EXIT_HLT:
            break;
        case KVM_EXIT_SHUTDOWN:
            snprintf(what, sizeof what, "guest triple fault (KVM_EXIT_SHUTDOWN) on vCPU %d", v->id);
            crash(v, VMM_STOP_TRIPLE_FAULT, what);
            break;
        case KVM_EXIT_FAIL_ENTRY:
            snprintf(what, sizeof what, "VM entry failed on vCPU %d (hardware reason 0x%llx)", v->id,
                     (unsigned long long)v->run->fail_entry.hardware_entry_failure_reason);
            crash(v, VMM_STOP_INTERNAL, what);
            break;
        case KVM_EXIT_INTERNAL_ERROR:
            snprintf(what, sizeof what, "KVM internal error on vCPU %d (suberror %u%s)", v->id,
                     v->run->internal.suberror,
                     v->run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION
                         ? ": instruction emulation failed" : "");
            crash(v, VMM_STOP_INTERNAL, what);
            break;
        case KVM_EXIT_SYSTEM_EVENT:
            vm_stop(vm, VMM_STOP_RESET, NULL);
            break;
        case KVM_EXIT_INTR:
            break;
        default:
            snprintf(what, sizeof what, "unhandled KVM exit %u on vCPU %d", v->run->exit_reason,
                     v->id);
            crash(v, VMM_STOP_INTERNAL, what);
            break;
        }
    }
    return NULL;
}

static void kick_handler(int sig)
{
    (void)sig; /* only there to interrupt KVM_RUN with EINTR */
}

int vcpu_start(struct vcpu *v, struct osbox_err *err)
{
    static bool handler_set;
    struct sigaction sa = { .sa_handler = kick_handler };
    int r;

    if (!handler_set) {
        sigemptyset(&sa.sa_mask);
        if (sigaction(KICK_SIGNAL, &sa, NULL) < 0)
            return osbox_error(err, errno, "sigaction");
        handler_set = true;
    }
    r = pthread_create(&v->thread, NULL, vcpu_thread, v);
    if (r)
        return osbox_error(err, r, "start vCPU %d thread", v->id);
    v->started = true;
    return 0;
}

void vcpu_kick_all(struct vm *vm)
{
    for (int i = 0; i < vm->ncpus; i++) {
        struct vcpu *v = &vm->vcpus[i];
        if (v->run)
            v->run->immediate_exit = 1;
        if (v->started)
            pthread_kill(v->thread, KICK_SIGNAL);
    }
}
