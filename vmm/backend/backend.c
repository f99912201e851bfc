/* vm_backend_create/wait/destroy: a VM from a vm_spec, run in osbox-vmm. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "util.h"

struct vm_backend {
    const struct vm_spec *spec;
    struct vmm_config cfg;
    char *kernel, *initrd;
    struct vm_net net;
    struct vm_monitor mon;
    struct termios saved;
    bool raw;
};

static void log_line(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "osbox: vm: %s\n", msg);
}

static int read_images(struct vm_backend *vb, struct osbox_err *err)
{
    const struct vm_spec *s = vb->spec;
    size_t klen = 0, ilen = 0;

    if (s->kernel) {
        if (osbox_read_file(s->kernel, &vb->kernel, &klen, err) < 0)
            return -1;
    } else if (!s->kernel_in_disk || !s->ndisks) {
        return osbox_error(err, 0, "no kernel to boot");
    } else if (vmm_read_ext2_file(s->disks[0].path, s->kernel_in_disk, (void **)&vb->kernel,
                                  &klen, err) < 0) {
        return -1;
    }
    if (s->initrd && osbox_read_file(s->initrd, &vb->initrd, &ilen, err) < 0)
        return -1;
    vb->cfg.kernel = vb->kernel;
    vb->cfg.kernel_len = klen;
    vb->cfg.initrd = vb->initrd;
    vb->cfg.initrd_len = ilen;
    return 0;
}

static void fill_config(struct vm_backend *vb)
{
    const struct vm_spec *s = vb->spec;

    vb->cfg = (struct vmm_config){ .mem_size = s->mem_size, .ncpus = s->ncpus,
                                   .seccomp = s->seccomp, .console_in = s->console_in,
                                   .console_out = STDOUT_FILENO, .cmdline = s->cmdline,
                                   .log = log_line, .ndisks = s->ndisks };
    memcpy(vb->cfg.disks, s->disks, sizeof s->disks);
    /* Not our terminal if we run in the background (touching it would stop
     * us); one that is nobody's controlling terminal is ours to use. */
    if (s->console_in >= 0 && isatty(s->console_in)) {
        pid_t fg = tcgetpgrp(s->console_in);
        if (fg > 0 && fg != getpgrp())
            vb->cfg.console_in = -1;
    }
}

int vm_backend_create(const struct vm_spec *spec, struct vm_backend **out, struct osbox_err *err)
{
    struct vm_backend *vb = osbox_xcalloc(1, sizeof *vb);

    *out = NULL;
    vb->spec = spec;
    vb->mon.pid = vb->mon.result_r = -1;
    vb->net.nic.tap_fd = -1;
    fill_config(vb);
    if (vm_spec_validate(spec, err) < 0 || read_images(vb, err) < 0 ||
        vm_net_setup(&spec->net, &vb->net, &vb->cfg, err) < 0) /* bridge: NIC, lease, ip= */
        goto fail;
    vb->raw = vm_console_raw(vb->cfg.console_in, &vb->saved);
    if (vm_monitor_start(&vb->cfg, &vb->mon, err) < 0)
        goto fail;
    *out = vb;
    return 0;
fail:
    vm_backend_destroy(vb);
    return -1;
}

int vm_backend_wait(struct vm_backend *vb, struct vmm_result *res, struct osbox_err *err)
{
    int rc = vm_monitor_wait(&vb->mon, res, err);

    if (vb->raw)
        vm_console_restore(vb->cfg.console_in, &vb->saved);
    vb->raw = false;
    return rc < 0 ? -1 : res->exit_status;
}

pid_t vm_backend_monitor_pid(const struct vm_backend *vb)
{
    return vb->mon.pid;
}

void vm_backend_destroy(struct vm_backend *vb)
{
    if (!vb)
        return;
    vm_monitor_stop(&vb->mon);
    if (vb->raw)
        vm_console_restore(vb->cfg.console_in, &vb->saved);
    vm_net_teardown(&vb->net);
    free(vb->kernel);
    free(vb->initrd);
    free(vb);
}
