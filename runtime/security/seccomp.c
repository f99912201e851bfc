/* seccomp: libseccomp builds the filter in osbox (before clone) and exports
 * it as classic BPF; the container hands that program to the kernel with
 * one system call right before execve. Denied calls return an errno (EPERM
 * by default), never kill, so programs see an ordinary error. */
#include <errno.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/security/security.h"
#include "util.h"

int syscall_filter_add_default_arches(scmp_filter_ctx ctx, struct osbox_err *err)
{
    int rc;

    if (seccomp_arch_native() != SCMP_ARCH_X86_64)
        return 0;
    /* 32-bit and x32 programs use other syscall numbers: filter them too. */
    if ((rc = seccomp_arch_add(ctx, SCMP_ARCH_X86)) < 0 && rc != -EEXIST)
        return osbox_error(err, -rc, "seccomp: add arch x86");
    if ((rc = seccomp_arch_add(ctx, SCMP_ARCH_X32)) < 0 && rc != -EEXIST)
        return osbox_error(err, -rc, "seccomp: add arch x32");
    return 0;
}

int syscall_filter_compile(scmp_filter_ctx ctx, struct osbox_seccomp **out, struct osbox_err *err)
{
    struct osbox_seccomp *s = NULL;
    struct stat st;
    int fd, rc = -1;

    fd = memfd_create("osbox-seccomp", MFD_CLOEXEC);
    if (fd < 0) {
        osbox_error(err, errno, "seccomp: memfd");
        goto out;
    }
    if ((rc = seccomp_export_bpf(ctx, fd)) < 0) {
        osbox_error(err, -rc, "seccomp: export the filter");
        rc = -1;
        goto out;
    }
    rc = -1;
    if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) ||
        st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS) {
        osbox_error(err, errno ? errno : E2BIG, "seccomp: filter of %lld bytes",
                    (long long)st.st_size);
        goto out;
    }
    s = osbox_xcalloc(1, sizeof *s);
    s->prog.len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
    s->prog.filter = osbox_xcalloc(s->prog.len, sizeof(struct sock_filter));
    if (pread(fd, s->prog.filter, (size_t)st.st_size, 0) != st.st_size) {
        osbox_error(err, errno, "seccomp: read the filter back");
        syscall_filter_free(s);
        goto out;
    }
    *out = s;
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    seccomp_release(ctx);
    return rc;
}

int syscall_filter_install(const struct osbox_seccomp *s, struct osbox_err *err)
{
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &s->prog) < 0)
        return osbox_error(err, errno, "load the seccomp filter");
    return 0;
}

void syscall_filter_free(struct osbox_seccomp *s)
{
    if (!s)
        return;
    free(s->prog.filter);
    free(s);
}
