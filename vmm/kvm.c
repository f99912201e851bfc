/* /dev/kvm: open it and check the API version and the capabilities the
 * monitor relies on, with errors that say what is missing. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vm.h"

static const struct {
    int cap;
    const char *name;
} needed_caps[] = {
    { KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
    { KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
    { KVM_CAP_PIT2, "KVM_CAP_PIT2" },
    { KVM_CAP_IRQFD, "KVM_CAP_IRQFD" },
    { KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD" },
    { KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
    { KVM_CAP_SET_IDENTITY_MAP_ADDR, "KVM_CAP_SET_IDENTITY_MAP_ADDR" },
    { KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
    { KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
};

int kvm_open(int *kvm_fd, int *run_size, struct osbox_err *err)
{
    int fd, v;

    fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return osbox_error(err, 0, "/dev/kvm does not exist: this host offers no KVM "
                               "(load kvm-intel/kvm-amd, or run inside the nested-KVM harness "
                               "tests/kvm/run-in-kvm-vm.sh)");
        return osbox_error(err, errno, "open /dev/kvm (is the user in group kvm? "
                           "without KVM, use tests/kvm/run-in-kvm-vm.sh)");
    }
    v = ioctl(fd, KVM_GET_API_VERSION, 0);
    if (v != KVM_API_VERSION) {
        close(fd);
        return osbox_error(err, 0, "/dev/kvm speaks API version %d, osbox needs %d", v,
                           KVM_API_VERSION);
    }
    for (size_t i = 0; i < sizeof needed_caps / sizeof needed_caps[0]; i++) {
        if (ioctl(fd, KVM_CHECK_EXTENSION, needed_caps[i].cap) <= 0) {
            close(fd);
            return osbox_error(err, 0, "KVM lacks %s, which osbox needs", needed_caps[i].name);
        }
    }
    v = ioctl(fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (v < (int)sizeof(struct kvm_run)) {
        close(fd);
        return osbox_error(err, errno, "KVM_GET_VCPU_MMAP_SIZE");
    }
    *kvm_fd = fd;
    if (run_size)
        *run_size = v;
    return 0;
}

int vmm_check_kvm(struct osbox_err *err)
{
    int fd;

    if (kvm_open(&fd, NULL, err) < 0)
        return -1;
    close(fd);
    return 0;
}
