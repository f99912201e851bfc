/* vm run: an image and a command as a VM. The image's layers, flattened
 * into an ext2 disk (cached by image digest, images_ext2_disk()), boot with
 * the osbox guest kernel; the guest runs CMD (with the image's Entrypoint,
 * Cmd, Env and WorkingDir) as its init.
 *
 * What the guest gets travels on its kernel command line (the contract is in
 * guest/include/osbox_guest_abi.h): init="PATH" osbox.cwd="DIR"
 * osbox.env="K=V"... -- "ARG"... Values are double-quoted, so they may hold
 * spaces but not '"' or control characters (refused here). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "images/images.h"
#include "internal.h"
#include "runtime/core/runtime.h"
#include "util.h"

/* Free space in the image's disk (sparse: costs nothing until written). */
#define VM_RUN_DISK_EXTRA (256ULL << 20)
/* The guest keeps 1 KiB of cmdline; the monitor appends ~40 bytes per device
 * and --net bridge an ip= of ~35. */
#define VM_RUN_CMDLINE_MAX 880
#define VM_RUN_MAX_ARGS 62
#define VM_RUN_MAX_ENV 63

struct vm_image {
    struct osbox_image *img;
    char **args, **env;
    char *kernel, *disk, *disk_fd_path, *cmdline;
    int disk_fd;
};

/* A value the guest's cmdline can carry inside double quotes. */
static bool quotable(const char *s)
{
    for (; *s; s++)
        if (*s == '"' || (unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

/* `osbox run`'s rules: Entrypoint + (CMD or the image's Cmd); the image's Env,
 * a default PATH, then -e; -w or the image's WorkingDir or "/". */
static int build_process(const struct vm_image_opts *o, const struct osbox_image *img,
                         char ***args, char ***env, const char **cwd, struct osbox_err *err)
{
    for (size_t i = 0; img->entrypoint && img->entrypoint[i]; i++)
        osbox_strv_push(args, img->entrypoint[i]);
    for (size_t i = 0; o->cmd && o->cmd[i]; i++)
        osbox_strv_push(args, o->cmd[i]);
    if (!o->cmd || !o->cmd[0])
        for (size_t i = 0; img->cmd && img->cmd[i]; i++)
            osbox_strv_push(args, img->cmd[i]);
    if (!*args || !(*args)[0] || !(*args)[0][0])
        return osbox_error(err, 0, "no command specified (the image has no Cmd or Entrypoint)");
    for (size_t i = 0; img->env && img->env[i]; i++)
        osbox_env_set(env, img->env[i]);
    if (!osbox_env_get(*env, "PATH"))
        osbox_env_set(env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    if (!osbox_env_get(*env, "HOME"))
        osbox_env_set(env, "HOME=/root");
    for (size_t i = 0; o->env && o->env[i]; i++)
        osbox_env_set(env, o->env[i]);
    *cwd = o->workdir ? o->workdir : img->workdir && *img->workdir ? img->workdir : "/";
    if ((*cwd)[0] != '/')
        return osbox_error(err, 0, "working directory '%s' is not an absolute path", *cwd);
    return 0;
}

/* console=ttyS0 quiet osbox.rawcon init="A0" osbox.cwd="DIR" osbox.env="K=V"...
 * -- "A1"... (what follows " -- " is init's; the network's ip= and the
 * monitor's devices are put before it, vmm_cmdline_insert). */
static char *guest_cmdline(char **args, char **env, const char *cwd, struct osbox_err *err)
{
    char *buf = NULL;
    size_t len = 0, nargs = osbox_strv_len(args), nenv = osbox_strv_len(env);
    FILE *f;

    if (nargs - 1 > VM_RUN_MAX_ARGS) {
        osbox_error(err, 0, "too many arguments for the guest (%zu, at most %d)", nargs - 1,
                    VM_RUN_MAX_ARGS);
        return NULL;
    }
    if (nenv > VM_RUN_MAX_ENV) {
        osbox_error(err, 0, "too many environment variables for the guest (%zu, at most %d)",
                    nenv, VM_RUN_MAX_ENV);
        return NULL;
    }
    if (!quotable(cwd)) {
        osbox_error(err, 0, "working directory '%s': '\"' and control characters cannot reach "
                    "the guest", cwd);
        return NULL;
    }
    for (char **v = args; *v; v++)
        if (!quotable(*v)) {
            osbox_error(err, 0, "argument '%s': '\"' and control characters cannot reach the "
                        "guest", *v);
            return NULL;
        }
    for (char **v = env; *v; v++)
        if (!quotable(*v)) {
            osbox_error(err, 0, "environment '%s': '\"' and control characters cannot reach "
                        "the guest", *v);
            return NULL;
        }
    if (!(f = open_memstream(&buf, &len)))
        abort();
    fprintf(f, "console=ttyS0 quiet osbox.rawcon init=\"%s\" osbox.cwd=\"%s\"", args[0], cwd);
    for (char **v = env; *v; v++)
        fprintf(f, " osbox.env=\"%s\"", *v);
    for (char **v = args + 1; *v; v++)
        fprintf(f, "%s \"%s\"", v == args + 1 ? " --" : "", *v);
    fclose(f);
    if (len > VM_RUN_CMDLINE_MAX) {
        osbox_error(err, 0, "command, environment and working directory take %zu bytes of the "
                    "guest's kernel command line; at most %d fit", len, VM_RUN_CMDLINE_MAX);
        free(buf);
        return NULL;
    }
    return buf;
}

static int check_kernel(struct vm_image *im, const struct vm_image_opts *o, struct osbox_err *err)
{
    im->kernel = o->kernel ? osbox_xstrdup(o->kernel) : vm_default_kernel();
    if (access(im->kernel, R_OK) < 0)
        return osbox_error(err, 0, "no guest kernel at %s (build it with 'make', or set "
                           "OSBOX_GUEST_KERNEL or --kernel)", im->kernel);
    return 0;
}

int vm_image_spec(const struct vm_image_opts *o, struct vm_spec *spec, struct vm_image **out,
                  struct osbox_err *err)
{
    struct vm_image *im = osbox_xcalloc(1, sizeof *im);
    const char *cwd = NULL, *how = NULL;

    im->disk_fd = -1;
    *out = im;
    /* Cheap checks first: no disk is built for a run that cannot boot. */
    if (vmm_check_kvm(err) < 0 || images_resolve_pull(o->image, o->pull, &im->img, err) < 0)
        return -1;
    if (build_process(o, im->img, &im->args, &im->env, &cwd, err) < 0 ||
        !(im->cmdline = guest_cmdline(im->args, im->env, cwd, err)) ||
        check_kernel(im, o, err) < 0)
        return -1;
    /* By digest, as resolved: a tag moved meanwhile cannot mix two images. */
    if (images_ext2_disk(im->img->digest, VM_RUN_DISK_EXTRA, &im->disk, err) < 0 ||
        (im->disk_fd = vm_disk_copy(im->disk, &how, err)) < 0) {
        osbox_error_prefix(err, "disk for %s", o->image);
        return -1;
    }
    im->disk_fd_path = osbox_strdup_printf("/proc/self/fd/%d", im->disk_fd);
    if (getenv("OSBOX_VM_RUN_DEBUG"))
        fprintf(stderr, "osbox: vm run: disk %s (%s), kernel %s, cmdline: %s\n", im->disk,
                how, im->kernel, im->cmdline);
    spec->kernel = im->kernel;
    spec->cmdline = im->cmdline;
    spec->disks[0] = (struct vmm_disk){ .path = im->disk_fd_path };
    spec->ndisks = 1;
    return 0;
}

void vm_image_free(struct vm_image *im)
{
    if (!im)
        return;
    if (im->disk_fd >= 0)
        close(im->disk_fd);
    images_image_free(im->img);
    osbox_strv_free(im->args);
    osbox_strv_free(im->env);
    free(im->kernel);
    free(im->disk);
    free(im->disk_fd_path);
    free(im->cmdline);
    free(im);
}
