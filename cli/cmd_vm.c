/* osbox vm boot: boot a guest kernel in a KVM microVM. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"
#include "vm_console.h"
#include "vm_net.h"
#include "vm_run.h"
#include "vmm/vmm.h"

#define GUEST_KERNEL_PATH "/boot/osbox-kernel"

static const char vm_usage[] =
    "Usage: osbox vm boot [OPTIONS] [guest.img]\n"
    "       osbox vm run [OPTIONS] IMAGE [CMD...]   (see 'osbox vm run --help')\n"
    "\n"
    "Boot a guest in a KVM microVM. guest.img is a raw ext2 disk image holding the\n"
    "guest kernel at " GUEST_KERNEL_PATH "; it is also attached as the first\n"
    "virtio-blk disk. The guest's console (COM1) is this terminal; on a terminal,\n"
    "Ctrl-A x stops the VM.\n"
    "\n"
    "Options:\n"
    "  --mem SIZE        guest RAM (default 256M)\n"
    "  --cpus N          vCPUs (default 1)\n"
    "  --disk FILE[,ro]  attach a raw disk as virtio-blk (repeatable; after guest.img)\n"
    "  --net MODE        bridge: a virtio-net NIC on a TAP on osbox0, an address\n"
    "                    from the containers' pool, passed as ip=ADDR/PREFIX::GW on\n"
    "                    the cmdline; none: no NIC. Default as for containers:\n"
    "                    bridge as root, none rootless; $OSBOX_NETWORK changes it\n"
    "  -p, --publish [HOSTIP:]HOSTPORT:GUESTPORT[/tcp|/udp]\n"
    "                    publish a guest port on the host (bridge; repeatable)\n"
    "  --cmdline STR     kernel command line (default 'console=ttyS0')\n"
    "  --kernel ELF      boot this kernel file instead of the one in guest.img\n"
    "  --initrd FILE     pass FILE as PVH module 0\n"
    "  --boot-time       print times to kernel entry and to init on stderr\n"
    "  --no-seccomp      do not confine the monitor with its seccomp allow-list\n"
    "\n"
    "Kernels: an ELF with a PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY) starts in\n"
    "32-bit protected mode with ebx = hvm_start_info; an ELF64 without it starts\n"
    "in 64-bit mode at e_entry with rsi = hvm_start_info (identity-mapped 4 GiB).\n"
    "The guest sets the exit status with a 32-bit OUT to port 0x501; port 0x502\n"
    "takes boot-time marks (1 = kernel entry, 2 = init).\n"
    "\n"
    "Exit status: the guest's (port 0x501, low 8 bits; 0 after an i8042 reset\n"
    "without one); 121 guest triple fault; 122 KVM internal error, failed VM entry\n"
    "or unhandled exit (with a register dump); 130 stopped by a signal or Ctrl-A x;\n"
    "125 osbox failed (no /dev/kvm, bad kernel, bad disk); 2 usage error.\n";

static void log_line(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "osbox: vm: %s\n", msg);
}

static int parse_disk(const char *arg, struct vmm_config *cfg)
{
    size_t n = strlen(arg);

    if (cfg->ndisks >= VMM_MAX_DISKS)
        return cli_failf(OSBOX_EXIT_USAGE, "vm boot: at most %d disks", VMM_MAX_DISKS);
    struct vmm_disk *d = &cfg->disks[cfg->ndisks++];
    if (n > 3 && !strcmp(arg + n - 3, ",ro")) {
        d->path = strndup(arg, n - 3);
        d->read_only = true;
    } else if (n > 3 && !strcmp(arg + n - 3, ",rw")) {
        d->path = strndup(arg, n - 3);
    } else {
        d->path = arg;
    }
    if (!*d->path)
        return cli_failf(OSBOX_EXIT_USAGE, "vm boot: --disk needs a file");
    return 0;
}

static int vm_boot(int argc, char **argv)
{
    static const struct option opts[] = {
        { "mem", required_argument, NULL, 'm' },
        { "cpus", required_argument, NULL, 'c' },
        { "disk", required_argument, NULL, 'd' },
        { "net", required_argument, NULL, 'n' },
        { "publish", required_argument, NULL, 'p' },
        { "cmdline", required_argument, NULL, 'l' },
        { "kernel", required_argument, NULL, 'k' },
        { "initrd", required_argument, NULL, 'i' },
        { "boot-time", no_argument, NULL, 'b' },
        { "no-seccomp", no_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    struct vmm_config cfg = { .mem_size = 256ULL << 20, .ncpus = 1, .seccomp = true,
                              .console_in = STDIN_FILENO, .console_out = STDOUT_FILENO,
                              .cmdline = "console=ttyS0", .log = log_line };
    struct vmm_disk extra[VMM_MAX_DISKS];
    int nextra = 0;
    const char *kernel_path = NULL, *initrd_path = NULL;
    _cleanup_free_ char *kernel = NULL, *initrd = NULL;
    size_t kernel_len = 0, initrd_len = 0;
    bool boot_time = false;
    struct osbox_err err = { 0 };
    __attribute__((cleanup(vm_net_teardown))) struct vm_net net;
    long long v;
    int c;

    vm_net_init(&net);
    optind = 1;
    while ((c = getopt_long(argc, argv, "hp:", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            if (osbox_parse_size(optarg, &cfg.mem_size, &err) < 0)
                return cli_failf(OSBOX_EXIT_USAGE, "vm boot: --mem: %s", err.msg);
            break;
        case 'c':
            if (osbox_parse_int(optarg, 1, VMM_MAX_CPUS, &v, &err) < 0)
                return cli_failf(OSBOX_EXIT_USAGE, "vm boot: --cpus: %s", err.msg);
            cfg.ncpus = (int)v;
            break;
        case 'd':
            if (parse_disk(optarg, &cfg) < 0)
                return OSBOX_EXIT_USAGE;
            break;
        case 'n':
            if (vm_net_set_mode(&net, optarg, &err) < 0)
                return cli_failf(OSBOX_EXIT_USAGE, "vm boot: %s", err.msg);
            break;
        case 'p':
            if (vm_net_publish(&net, optarg, &err) < 0)
                return cli_failf(OSBOX_EXIT_USAGE, "vm boot: %s", err.msg);
            break;
        case 'l': cfg.cmdline = optarg; break;
        case 'k': kernel_path = optarg; break;
        case 'i': initrd_path = optarg; break;
        case 'b': boot_time = true; break;
        case 's': cfg.seccomp = false; break;
        case 'h': fputs(vm_usage, stdout); return 0;
        default: return OSBOX_EXIT_USAGE;
        }
    }
    if (argc - optind > 1)
        return cli_failf(OSBOX_EXIT_USAGE, "vm boot: unexpected argument '%s'", argv[optind + 1]);
    if (argc == optind && !kernel_path)
        return cli_failf(OSBOX_EXIT_USAGE, "vm boot: give a guest image or --kernel");

    /* The guest image is the first disk; --disk ones follow. */
    if (argc > optind) {
        const char *image = argv[optind];
        memcpy(extra, cfg.disks, sizeof(cfg.disks[0]) * (size_t)cfg.ndisks);
        nextra = cfg.ndisks;
        if (nextra >= VMM_MAX_DISKS)
            return cli_failf(OSBOX_EXIT_USAGE, "vm boot: at most %d disks", VMM_MAX_DISKS);
        cfg.disks[0] = (struct vmm_disk){ .path = image };
        memcpy(cfg.disks + 1, extra, sizeof(extra[0]) * (size_t)nextra);
        cfg.ndisks = nextra + 1;
        if (!kernel_path &&
            vmm_read_ext2_file(image, GUEST_KERNEL_PATH, (void **)&kernel, &kernel_len, &err) < 0)
            return cli_fail(&err);
    }
    if (kernel_path && osbox_read_file(kernel_path, &kernel, &kernel_len, &err) < 0)
        return cli_fail(&err);
    if (initrd_path && osbox_read_file(initrd_path, &initrd, &initrd_len, &err) < 0)
        return cli_fail(&err);
    cfg.kernel = kernel;
    cfg.kernel_len = kernel_len;
    cfg.initrd = initrd;
    cfg.initrd_len = initrd_len;
    if (vm_net_validate(&net, &err) < 0)
        return cli_failf(OSBOX_EXIT_USAGE, "vm boot: %s", err.msg);
    if (vm_net_setup(&net, &cfg, &err) < 0)
        return cli_fail(&err);

    return vm_run_attached(&cfg, boot_time);
}

static int vm_main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(vm_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? OSBOX_EXIT_USAGE : 0;
    }
    if (!strcmp(argv[1], "boot"))
        return vm_boot(argc - 1, argv + 1);
    if (!strcmp(argv[1], "run")) /* cmd_vm_run.c */
        return vm_run_main(argc - 1, argv + 1);
    return cli_failf(OSBOX_EXIT_USAGE, "vm: unknown subcommand '%s' (see 'osbox vm --help')",
                     argv[1]);
}

OSBOX_COMMAND(vm_command, .name = "vm", .summary = "Boot a guest kernel in a KVM microVM",
              .main = vm_main)
