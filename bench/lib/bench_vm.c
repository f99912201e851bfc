/* bench: where the vm mode runs. With a usable /dev/kvm, `osbox vm run`
 * directly; without one, inside the nested-KVM harness
 * (tests/kvm/run-in-kvm-vm.sh: QEMU software emulation), which the report
 * must say since it changes every absolute vm number. kvm-pvm (a
 * software-assisted KVM without hardware virtualization, found on some cloud
 * machines) is named too: there every guest page fault and system call
 * costs a trip through the host. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/lib/bench.h"
#include "util.h"
#include "vmm/vmm.h"

static char *next_to_exe(const char *rel)
{
    char exe[PATH_MAX], *slash, *p;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    if (!(slash = strrchr(exe, '/')))
        return NULL;
    *slash = '\0';
    p = osbox_strdup_printf("%s/%s", exe, rel);
    if (access(p, R_OK) == 0)
        return p;
    free(p);
    return NULL;
}

int bench_vm_detect(const char *image, struct bench_vm_env *vm, struct osbox_err *err)
{
    struct osbox_err kvm_err = { 0 };

    memset(vm, 0, sizeof *vm);
    if (vmm_check_kvm(&kvm_err) == 0) { /* opens /dev/kvm, checks API and capabilities */
        vm->pvm = access("/sys/module/kvm_pvm", F_OK) == 0;
        vm->slow = vm->pvm;
        if (vm->pvm)
            vm->note = osbox_xstrdup(
                "/dev/kvm here is kvm-pvm, a software-assisted KVM without hardware "
                "virtualization: every guest page fault, system call and exit goes through the "
                "host, so vm numbers are far worse than on hardware KVM, and vm runs use reduced "
                "sizes (same per-operation metrics).");
        return 0;
    }
    if (getenv("OSBOX_KVM_HARNESS"))
        vm->harness = osbox_xstrdup(getenv("OSBOX_KVM_HARNESS"));
    else
        vm->harness = next_to_exe("../tests/kvm/run-in-kvm-vm.sh");
    if (!vm->harness || access(vm->harness, X_OK) < 0)
        return osbox_error(err, 0, "bench: vm mode: no usable KVM here (%s) and no nested-KVM "
                           "harness (tests/kvm/run-in-kvm-vm.sh of a source tree, or "
                           "$OSBOX_KVM_HARNESS)", kvm_err.msg);
    if (!image || !strcmp(image, "busybox") || !strcmp(image, "busybox:latest"))
        vm->harness_oci = next_to_exe("images/busybox.oci");
    vm->slow = true;
    vm->note = osbox_xstrdup(
        "no /dev/kvm here: the vm mode ran inside the nested-KVM harness (QEMU software "
        "emulation of the CPU, with KVM on top), one harness boot per run. Software "
        "emulation changes every absolute vm number; vm start-up is the time to the "
        "workload's first output line, harness boot included; vm memory is the harness's "
        "(QEMU's) RSS; vm runs use reduced sizes.");
    return 0;
}

void bench_vm_env_free(struct bench_vm_env *vm)
{
    free(vm->harness);
    free(vm->harness_oci);
    free(vm->note);
    memset(vm, 0, sizeof *vm);
}
