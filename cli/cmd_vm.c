/* osbox vm boot: boot a guest kernel in a KVM microVM. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "runtime/lifecycle/lifecycle.h"
#include "util.h"
#include "vm_run.h"

#define GUEST_KERNEL_PATH "/boot/osbox-kernel"

static const char vm_usage[] =
    "Usage: osbox vm boot [OPTIONS] [guest.img]\n"
    "       osbox vm run [OPTIONS] IMAGE [CMD...]   (see 'osbox vm run --help')\n"
    "       osbox vm ps [-a] | logs [-f] VM | stop [-t S] VM... | rm [-f] VM... |\n"
    "                inspect VM...                  (detached VMs: -d)\n"
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
    "  --kernel FILE     boot this kernel instead of the one in guest.img: an ELF\n"
    "                    (PVH or ELF64) or a Linux bzImage\n"
    "  --initrd FILE     an initrd: PVH module 0, or the bzImage's ramdisk\n"
    "  --boot-time       print times to kernel entry and to init on stderr\n"
    "  --no-seccomp      do not confine the monitor with its seccomp allow-list\n"
    "  -d, --detach      run in the background, print the VM's id; its console goes\n"
    "                    to 'osbox vm logs' (stop it with 'osbox vm stop')\n"
    "  --name NAME       the detached VM's name (default: the id's first 12 digits)\n"
    "  --rm              remove the detached VM's state once it stops\n"
    "  --log-opt max-size=SIZE  cap of the console log (default 1 MiB, kept twice)\n"
    "\n"
    "Kernels: an ELF with a PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY) starts in\n"
    "32-bit protected mode with ebx = hvm_start_info; an ELF64 without it starts\n"
    "in 64-bit mode at e_entry with rsi = hvm_start_info (identity-mapped 4 GiB).\n"
    "A bzImage (Linux) goes through Linux's own 64-bit boot protocol: zero page\n"
    "with e820 map, command line and initrd; a stock Linux guest wants e.g.\n"
    "--cmdline 'console=ttyS0 reboot=k panic=-1' and ends with exit 0 on reboot\n"
    "or power-off. ACPI tables describe the vCPUs, COM1, the virtio-mmio devices\n"
    "(also named by virtio_mmio.device= on the command line) and an S5 power-off.\n"
    "The guest sets the exit status with a 32-bit OUT to port 0x501; port 0x502\n"
    "takes boot-time marks (1 = kernel entry, 2 = init).\n"
    "\n"
    "Exit status: the guest's (port 0x501, low 8 bits; 0 after an i8042 reset or\n"
    "ACPI power-off without one); 121 guest triple fault; 122 KVM internal error,\n"
    "failed VM entry or unhandled exit (with a register dump); 130 stopped by a\n"
    "signal or Ctrl-A x; 125 osbox failed (no /dev/kvm, bad kernel, bad disk);\n"
    "2 usage error.\n";

int vm_cli_run(const struct vm_spec *spec, bool boot_time)
{
    struct osbox_err err = { 0 };
    struct vmm_result res = { 0 };
    struct vm_backend *vb;
    int rc;

    if (vm_backend_create(spec, &vb, &err) < 0)
        return cli_fail(&err);
    rc = vm_backend_wait(vb, &res, &err);
    vm_backend_destroy(vb);
    if (rc < 0)
        return cli_fail(&err);
    if (boot_time) {
        fprintf(stderr, "boot-time: setup %.2f ms", res.setup_ms);
        if (res.entry_ms >= 0)
            fprintf(stderr, ", kernel entry %.2f ms", res.entry_ms);
        if (res.init_ms >= 0)
            fprintf(stderr, ", init %.2f ms", res.init_ms);
        fputc('\n', stderr);
    }
    if (res.reason == VMM_STOP_TRIPLE_FAULT || res.reason == VMM_STOP_INTERNAL ||
        res.reason == VMM_STOP_SIGNAL)
        fprintf(stderr, "osbox: vm: %s\n", res.detail[0] ? res.detail : "stopped");
    return rc;
}

/* FILE[,ro|,rw] as the next disk. */
static int parse_disk(const char *arg, struct vm_spec *spec)
{
    size_t n = strlen(arg);

    if (spec->ndisks >= VMM_MAX_DISKS)
        return cli_failf(OSBOX_EXIT_USAGE, "vm boot: at most %d disks", VMM_MAX_DISKS);
    struct vmm_disk *d = &spec->disks[spec->ndisks++];
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

struct boot_opts {
    struct vm_spec *spec;
    bool boot_time;
    struct vm_detach_flags det;
};

int vm_parse_detach_opt(int c, struct vm_detach_flags *d, const char *cmd)
{
    struct osbox_err err = { 0 };

    switch (c) {
    case 'd': d->detach = true; return 0;
    case 'N': d->name = optarg; return 0;
    case 'R': d->auto_remove = true; return 0;
    case 'L':
        if (run_log_opt_parse(optarg, &d->log_max, &err) < 0)
            return cli_failf(OSBOX_EXIT_USAGE, "%s: %s", cmd, err.msg);
        return 0;
    default: return 1;
    }
}

int vm_cli_start(struct vm_spec *spec, const struct vm_detach_flags *d, const char *image,
                 char **command, bool boot_time, const char *cmd)
{
    if (!d->detach) {
        if (d->name || d->log_max)
            return cli_failf(OSBOX_EXIT_USAGE, "%s: --name and --log-opt need -d", cmd);
        return vm_cli_run(spec, boot_time); /* --rm: a foreground VM keeps nothing anyway */
    }
    if (boot_time)
        return cli_failf(OSBOX_EXIT_USAGE, "%s: --boot-time needs the foreground (no -d)", cmd);
    struct vm_detach_opts o = { .name = d->name, .image = image, .command = command,
                                .auto_remove = d->auto_remove, .log_max = d->log_max };
    return vm_cli_detach(spec, &o);
}

static int parse_boot_opt(int c, struct boot_opts *o)
{
    struct vm_spec *spec = o->spec;
    struct osbox_err err = { 0 };
    long long v;

    switch (c) {
    case 'm':
        if (osbox_parse_size(optarg, &spec->mem_size, &err) < 0)
            return cli_failf(OSBOX_EXIT_USAGE, "vm boot: --mem: %s", err.msg);
        return 0;
    case 'c':
        if (osbox_parse_int(optarg, 1, VMM_MAX_CPUS, &v, &err) < 0)
            return cli_failf(OSBOX_EXIT_USAGE, "vm boot: --cpus: %s", err.msg);
        spec->ncpus = (int)v;
        return 0;
    case 'K': return parse_disk(optarg, spec) < 0 ? OSBOX_EXIT_USAGE : 0;
    case 'n':
    case 'p':
        if ((c == 'n' ? vm_spec_set_net(spec, optarg, &err) : vm_spec_publish(spec, optarg, &err)) < 0)
            return cli_failf(OSBOX_EXIT_USAGE, "vm boot: %s", err.msg);
        return 0;
    case 'l': spec->cmdline = optarg; return 0;
    case 'k': spec->kernel = optarg; return 0;
    case 'i': spec->initrd = optarg; return 0;
    case 'b': o->boot_time = true; return 0;
    case 's': spec->seccomp = false; return 0;
    case 'h': fputs(vm_usage, stdout); return -1;
    default: {
        int r = vm_parse_detach_opt(c, &o->det, "vm boot");
        return r == 1 ? OSBOX_EXIT_USAGE : r;
    }
    }
}

/* The guest image is the first disk (and holds the kernel unless --kernel); --disk ones follow. */
static int add_guest_image(struct vm_spec *spec, const char *image)
{
    if (spec->ndisks >= VMM_MAX_DISKS)
        return cli_failf(OSBOX_EXIT_USAGE, "vm boot: at most %d disks", VMM_MAX_DISKS);
    memmove(spec->disks + 1, spec->disks, sizeof(spec->disks[0]) * (size_t)spec->ndisks);
    spec->disks[0] = (struct vmm_disk){ .path = image };
    spec->ndisks++;
    if (!spec->kernel)
        spec->kernel_in_disk = GUEST_KERNEL_PATH;
    return 0;
}

static int vm_boot(int argc, char **argv)
{
    static const struct option opts[] = {
        { "mem", required_argument, NULL, 'm' },  { "cpus", required_argument, NULL, 'c' },
        { "disk", required_argument, NULL, 'K' }, { "net", required_argument, NULL, 'n' },
        { "publish", required_argument, NULL, 'p' }, { "cmdline", required_argument, NULL, 'l' },
        { "kernel", required_argument, NULL, 'k' }, { "initrd", required_argument, NULL, 'i' },
        { "boot-time", no_argument, NULL, 'b' },  { "no-seccomp", no_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },       { "detach", no_argument, NULL, 'd' },
        { "name", required_argument, NULL, 'N' }, { "rm", no_argument, NULL, 'R' },
        { "log-opt", required_argument, NULL, 'L' }, { 0 },
    };
    __attribute__((cleanup(vm_spec_free))) struct vm_spec spec;
    struct boot_opts o = { .spec = &spec };
    struct osbox_err err = { 0 };
    int c, r;

    vm_spec_init(&spec);
    spec.cmdline = "console=ttyS0";
    optind = 1;
    while ((c = getopt_long(argc, argv, "hdp:", opts, NULL)) != -1)
        if ((r = parse_boot_opt(c, &o)))
            return r < 0 ? 0 : r;
    if (argc - optind > 1)
        return cli_failf(OSBOX_EXIT_USAGE, "vm boot: unexpected argument '%s'", argv[optind + 1]);
    if (argc == optind && !spec.kernel)
        return cli_failf(OSBOX_EXIT_USAGE, "vm boot: give a guest image or --kernel");
    if (argc > optind && add_guest_image(&spec, argv[optind]) < 0)
        return OSBOX_EXIT_USAGE;
    if (vm_spec_validate(&spec, &err) < 0)
        return cli_failf(OSBOX_EXIT_USAGE, "vm boot: %s", err.msg);
    return vm_cli_start(&spec, &o.det, argc > optind ? argv[optind] : spec.kernel, NULL,
                        o.boot_time, "vm boot");
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
    int rc = vm_detached_main(argc - 1, argv + 1); /* cmd_vm_detach.c */
    if (rc >= 0)
        return rc;
    return cli_failf(OSBOX_EXIT_USAGE, "vm: unknown subcommand '%s' (see 'osbox vm --help')",
                     argv[1]);
}

OSBOX_COMMAND(vm_command, .name = "vm", .summary = "Boot a guest kernel in a KVM microVM",
              .main = vm_main)
