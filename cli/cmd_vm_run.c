/* osbox vm run: the VM twin of `osbox run`. The image's layers, flattened
 * into an ext2 disk (cached by image digest, images_ext2_disk()), boot with
 * the osbox guest kernel; the guest runs CMD (with the image's Entrypoint,
 * Cmd, Env and WorkingDir) as its init, and its exit status is ours.
 *
 * What the guest gets travels on its kernel command line (the contract is in
 * guest/include/osbox_guest_abi.h): init="PATH" osbox.cwd="DIR"
 * osbox.env="K=V"... -- "ARG"... Values are double-quoted, so they may hold
 * spaces but not '"' or control characters (refused here). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "images/images.h"
#include "runtime/runtime.h"
#include "util.h"
#include "vm_console.h"
#include "vm_net.h"
#include "vm_run.h"
#include "vmm/vmm.h"

/* Free space in the image's disk (sparse: costs nothing until written). */
#define VM_RUN_DISK_EXTRA (256ULL << 20)
/* The guest keeps 1 KiB of cmdline; the monitor appends ~40 bytes per device
 * and --net bridge an ip= of ~35. */
#define VM_RUN_CMDLINE_MAX 880
#define VM_RUN_MAX_ARGS 62
#define VM_RUN_MAX_ENV 63

static const char vm_run_usage[] =
    "Usage: osbox vm run [OPTIONS] IMAGE [CMD [ARG...]]\n"
    "\n"
    "Run CMD from IMAGE in a KVM microVM: the image's layers become an ext2 disk\n"
    "(built once per image digest, then reused), the osbox guest kernel boots from\n"
    "it and runs CMD as its first process, with the image's Entrypoint, Cmd, Env\n"
    "and WorkingDir as `osbox run` uses them. The guest's console (its stdout and\n"
    "stderr) is this terminal. Each run boots a private copy of the disk (a reflink\n"
    "or sparse copy, deleted afterwards): what the guest writes is thrown away.\n"
    "\n"
    "Options:\n"
    "  --mem SIZE        guest RAM (default 256M)\n"
    "  --cpus N          vCPUs (default 1)\n"
    "  --net MODE        bridge: a virtio-net NIC on osbox0 with an address from\n"
    "                    the containers' pool; none: no NIC (default: as containers)\n"
    "  -p, --publish [IP:]HOSTPORT:GUESTPORT[/tcp|/udp]  publish a port (bridge)\n"
    "  -e, --env K=V     set an environment variable (repeatable)\n"
    "  -w, --workdir DIR working directory (created if missing)\n"
    "  --kernel ELF      guest kernel (default: $OSBOX_GUEST_KERNEL, else next to\n"
    "                    osbox: build/guest/osbox-kernel or ../lib/osbox/osbox-kernel)\n"
    "  --boot-time       print times to kernel entry and to init on stderr\n"
    "  --no-seccomp      do not confine the monitor with its seccomp allow-list\n"
    "\n"
    "The guest runs everything as root. Values (CMD, ARGs, K=V, DIR) cannot hold\n"
    "'\"' or control characters, and all of them must fit the guest's 1 KiB\n"
    "kernel command line.\n"
    "\n"
    "Exit status: CMD's own (128+N if a signal N killed it); 127 CMD not found,\n"
    "126 CMD not executable or the working directory unusable (reported by the\n"
    "guest); 125 osbox failed (unknown image, no /dev/kvm, no guest kernel);\n"
    "255 guest kernel panic; 121/122 the VM crashed; 130 stopped by a signal\n"
    "(or Ctrl-A x on a terminal); 2 usage error.\n";

struct vm_run_opts {
    struct vm_net *net;
    uint64_t mem;
    int cpus;
    char **env;
    const char *workdir, *kernel;
    bool boot_time, seccomp;
};

static void log_line(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "osbox: vm: %s\n", msg);
}

static int parse_opts(int argc, char **argv, struct vm_run_opts *o)
{
    enum { OPT_MEM = 256, OPT_CPUS, OPT_NET, OPT_KERNEL, OPT_BOOT_TIME, OPT_NO_SECCOMP };
    static const struct option opts[] = {
        { "mem", required_argument, NULL, OPT_MEM },
        { "cpus", required_argument, NULL, OPT_CPUS },
        { "net", required_argument, NULL, OPT_NET },
        { "env", required_argument, NULL, 'e' },
        { "publish", required_argument, NULL, 'p' },
        { "workdir", required_argument, NULL, 'w' },
        { "kernel", required_argument, NULL, OPT_KERNEL },
        { "boot-time", no_argument, NULL, OPT_BOOT_TIME },
        { "no-seccomp", no_argument, NULL, OPT_NO_SECCOMP },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    struct osbox_err err = { 0 };
    long long v;
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+e:w:p:h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_MEM:
            if (osbox_parse_size(optarg, &o->mem, &err) < 0)
                return cli_failf(OSBOX_EXIT_USAGE, "vm run: --mem: %s", err.msg);
            break;
        case OPT_CPUS:
            if (osbox_parse_int(optarg, 1, VMM_MAX_CPUS, &v, &err) < 0)
                return cli_failf(OSBOX_EXIT_USAGE, "vm run: --cpus: %s", err.msg);
            o->cpus = (int)v;
            break;
        case OPT_NET:
            if (vm_net_set_mode(o->net, optarg, &err) < 0)
                return cli_failf(OSBOX_EXIT_USAGE, "vm run: %s", err.msg);
            break;
        case 'p':
            if (vm_net_publish(o->net, optarg, &err) < 0)
                return cli_failf(OSBOX_EXIT_USAGE, "vm run: %s", err.msg);
            break;
        case 'e':
            if (!strchr(optarg, '=') || optarg[0] == '=')
                return cli_failf(OSBOX_EXIT_USAGE, "vm run: -e %s: expected NAME=VALUE", optarg);
            osbox_strv_push(&o->env, optarg);
            break;
        case 'w':
            if (optarg[0] != '/')
                return cli_failf(OSBOX_EXIT_USAGE, "vm run: -w %s: not an absolute path", optarg);
            o->workdir = optarg;
            break;
        case OPT_KERNEL: o->kernel = optarg; break;
        case OPT_BOOT_TIME: o->boot_time = true; break;
        case OPT_NO_SECCOMP: o->seccomp = false; break;
        case 'h': fputs(vm_run_usage, stdout); return -1;
        default:
            return cli_failf(OSBOX_EXIT_USAGE, "vm run: bad option '%s' (see 'osbox vm run --help')",
                             argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_failf(OSBOX_EXIT_USAGE, "vm run: which image? (see 'osbox vm run --help')");
    if (vm_net_validate(o->net, &err) < 0)
        return cli_failf(OSBOX_EXIT_USAGE, "vm run: %s", err.msg);
    return 0;
}

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
static int build_process(const struct vm_run_opts *o, const struct osbox_image *img, char **cmd,
                         char ***args, char ***env, const char **cwd, struct osbox_err *err)
{
    for (size_t i = 0; img->entrypoint && img->entrypoint[i]; i++)
        osbox_strv_push(args, img->entrypoint[i]);
    for (size_t i = 0; cmd[i]; i++)
        osbox_strv_push(args, cmd[i]);
    if (!cmd[0])
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
 * and, in *tail, ` -- "A1"...` (the network's ip= goes between the two: what
 * follows " -- " is init's). */
static char *guest_cmdline(char **args, char **env, const char *cwd, char **tail,
                           struct osbox_err *err)
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
    fclose(f);
    *tail = osbox_xstrdup("");
    for (char **v = args + 1; *v; v++) {
        char *t = osbox_strdup_printf("%s%s \"%s\"", *tail, v == args + 1 ? " --" : "", *v);
        free(*tail);
        *tail = t;
    }
    len += strlen(*tail);
    if (len > VM_RUN_CMDLINE_MAX) {
        osbox_error(err, 0, "command, environment and working directory take %zu bytes of the "
                    "guest's kernel command line; at most %d fit", len, VM_RUN_CMDLINE_MAX);
        free(buf);
        free(*tail);
        *tail = NULL;
        return NULL;
    }
    return buf;
}

static int run_vm(const struct vm_run_opts *o, const char *cmdline, const char *tail, int disk_fd,
                  const char *kernel_path)
{
    struct vmm_config cfg = { .mem_size = o->mem, .ncpus = o->cpus, .seccomp = o->seccomp,
                              .console_in = STDIN_FILENO, .console_out = STDOUT_FILENO,
                              .cmdline = cmdline, .log = log_line, .ndisks = 1 };
    _cleanup_free_ char *kernel = NULL, *disk = NULL, *full = NULL;
    struct osbox_err err = { 0 };
    size_t kernel_len = 0;

    if (osbox_read_file(kernel_path, &kernel, &kernel_len, &err) < 0) {
        osbox_error_prefix(&err, "vm run: guest kernel (build it with 'make', or set "
                                 "OSBOX_GUEST_KERNEL or --kernel)");
        return cli_fail(&err);
    }
    disk = osbox_strdup_printf("/proc/self/fd/%d", disk_fd);
    cfg.disks[0] = (struct vmm_disk){ .path = disk };
    cfg.kernel = kernel;
    cfg.kernel_len = kernel_len;
    if (vm_net_setup(o->net, &cfg, &err) < 0) /* bridge: NIC, lease, ip= on the cmdline */
        return cli_fail(&err);
    full = osbox_strdup_printf("%s%s", cfg.cmdline, tail);
    cfg.cmdline = full;
    /* Not our terminal if we run in the background (touching it would stop us). */
    if (isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) != getpgrp())
        cfg.console_in = -1;
    return vm_run_attached(&cfg, o->boot_time);
}

int vm_run_main(int argc, char **argv)
{
    __attribute__((cleanup(vm_net_teardown))) struct vm_net net;
    struct vm_run_opts o = { .net = &net, .mem = 256ULL << 20, .cpus = 1, .seccomp = true };
    _cleanup_free_ char *kernel = NULL, *disk = NULL, *cmdline = NULL, *tail = NULL;
    struct osbox_image *img = NULL;
    struct osbox_err err = { 0 };
    char **args = NULL, **env = NULL;
    const char *cwd = NULL, *how = NULL;
    int rc, fd = -1;

    vm_net_init(&net);
    if ((rc = parse_opts(argc, argv, &o)))
        goto out;
    const char *ref = argv[optind];
    kernel = o.kernel ? osbox_xstrdup(o.kernel) : vm_run_default_kernel();
    /* Cheap checks first: no disk is built for a run that cannot boot. */
    if (vmm_check_kvm(&err) < 0 || images_resolve(ref, &img, &err) < 0) {
        osbox_error_prefix(&err, "vm run");
        rc = cli_fail(&err);
        goto out;
    }
    if (build_process(&o, img, argv + optind + 1, &args, &env, &cwd, &err) < 0 ||
        !(cmdline = guest_cmdline(args, env, cwd, &tail, &err))) {
        osbox_error_prefix(&err, "vm run");
        rc = cli_fail(&err);
        goto out;
    }
    if (access(kernel, R_OK) < 0) {
        rc = cli_failf(OSBOX_EXIT_FAILED, "vm run: no guest kernel at %s (build it with 'make', "
                       "or set OSBOX_GUEST_KERNEL or --kernel)", kernel);
        goto out;
    }
    /* By digest, as resolved: a tag moved meanwhile cannot mix two images. */
    if (images_ext2_disk(img->digest, VM_RUN_DISK_EXTRA, &disk, &err) < 0 ||
        (fd = vm_run_disk_copy(disk, &how, &err)) < 0) {
        osbox_error_prefix(&err, "vm run: disk for %s", ref);
        rc = cli_fail(&err);
        goto out;
    }
    if (getenv("OSBOX_VM_RUN_DEBUG"))
        fprintf(stderr, "osbox: vm run: disk %s (%s), kernel %s, cmdline: %s%s\n", disk, how,
                kernel, cmdline, tail);
    rc = run_vm(&o, cmdline, tail, fd, kernel);
out:
    if (fd >= 0)
        close(fd);
    images_image_free(img);
    osbox_strv_free(args);
    osbox_strv_free(env);
    osbox_strv_free(o.env);
    return rc < 0 ? 0 : rc;
}
