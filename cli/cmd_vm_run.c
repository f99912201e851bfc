/* osbox vm run: the VM twin of `osbox run`. It parses argv; the VM backend
 * (vmm/backend/image.c) turns the image and command into a VM, whose exit
 * status is ours. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"
#include "vm_run.h"

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
    "  --pull WHEN       pull IMAGE: missing (default), always, never\n"
    "  -d, --detach      run in the background and print the VM's id; the console\n"
    "                    goes to 'osbox vm logs'; 'osbox vm stop' asks CMD to end\n"
    "                    (SIGTERM in the guest), then kills the VM\n"
    "  --name NAME       the detached VM's name (default: the id's first 12 digits)\n"
    "  --rm              remove the detached VM's state once it stops\n"
    "  --log-opt max-size=SIZE  cap of the console log (default 1 MiB, kept twice)\n"
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
    struct vm_spec *spec;
    struct vm_image_opts img;
    bool boot_time;
    struct vm_detach_flags det;
};

enum { OPT_MEM = 256, OPT_CPUS, OPT_NET, OPT_KERNEL, OPT_BOOT_TIME, OPT_NO_SECCOMP, OPT_PULL };

static int parse_opt(int c, char **argv, struct vm_run_opts *o)
{
    struct osbox_err err = { 0 };
    long long v;

    switch (c) {
    case OPT_MEM:
        if (osbox_parse_size(optarg, &o->spec->mem_size, &err) < 0)
            return cli_failf(OSBOX_EXIT_USAGE, "vm run: --mem: %s", err.msg);
        return 0;
    case OPT_CPUS:
        if (osbox_parse_int(optarg, 1, VMM_MAX_CPUS, &v, &err) < 0)
            return cli_failf(OSBOX_EXIT_USAGE, "vm run: --cpus: %s", err.msg);
        o->spec->ncpus = (int)v;
        return 0;
    case OPT_NET:
        if (vm_spec_set_net(o->spec, optarg, &err) < 0)
            return cli_failf(OSBOX_EXIT_USAGE, "vm run: %s", err.msg);
        return 0;
    case 'p':
        if (vm_spec_publish(o->spec, optarg, &err) < 0)
            return cli_failf(OSBOX_EXIT_USAGE, "vm run: %s", err.msg);
        return 0;
    case 'e':
        if (!strchr(optarg, '=') || optarg[0] == '=')
            return cli_failf(OSBOX_EXIT_USAGE, "vm run: -e %s: expected NAME=VALUE", optarg);
        osbox_strv_push(&o->img.env, optarg);
        return 0;
    case 'w':
        if (optarg[0] != '/')
            return cli_failf(OSBOX_EXIT_USAGE, "vm run: -w %s: not an absolute path", optarg);
        o->img.workdir = optarg;
        return 0;
    case OPT_KERNEL: o->img.kernel = optarg; return 0;
    case OPT_BOOT_TIME: o->boot_time = true; return 0;
    case OPT_NO_SECCOMP: o->spec->seccomp = false; return 0;
    case OPT_PULL:
        if (images_pull_policy_parse(optarg, &o->img.pull, &err) < 0)
            return cli_failf(OSBOX_EXIT_USAGE, "vm run: %s", err.msg);
        return 0;
    case 'h': fputs(vm_run_usage, stdout); return -1;
    case 'd':
    case 'N':
    case 'R':
    case 'L': return vm_parse_detach_opt(c, &o->det, "vm run");
    default:
        return cli_failf(OSBOX_EXIT_USAGE, "vm run: bad option '%s' (see 'osbox vm run --help')",
                         argv[optind - 1]);
    }
}

static int parse_opts(int argc, char **argv, struct vm_run_opts *o)
{
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
        { "pull", required_argument, NULL, OPT_PULL },
        { "help", no_argument, NULL, 'h' },
        { "detach", no_argument, NULL, 'd' },
        { "name", required_argument, NULL, 'N' },
        { "rm", no_argument, NULL, 'R' },
        { "log-opt", required_argument, NULL, 'L' },
        { 0 },
    };
    struct osbox_err err = { 0 };
    int c, r;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+de:w:p:h", opts, NULL)) != -1)
        if ((r = parse_opt(c, argv, o)))
            return r;
    if (optind >= argc)
        return cli_failf(OSBOX_EXIT_USAGE, "vm run: which image? (see 'osbox vm run --help')");
    if (vm_spec_validate(o->spec, &err) < 0)
        return cli_failf(OSBOX_EXIT_USAGE, "vm run: %s", err.msg);
    return 0;
}

int vm_run_main(int argc, char **argv)
{
    __attribute__((cleanup(vm_spec_free))) struct vm_spec spec;
    struct vm_run_opts o = { .spec = &spec };
    struct vm_image *im = NULL;
    struct osbox_err err = { 0 };
    int rc;

    vm_spec_init(&spec);
    if ((rc = parse_opts(argc, argv, &o)))
        goto out;
    o.img.image = argv[optind];
    o.img.cmd = argv + optind + 1;
    if (vm_image_spec(&o.img, &spec, &im, &err) < 0) {
        osbox_error_prefix(&err, "vm run");
        rc = cli_fail(&err);
        goto out;
    }
    rc = vm_cli_start(&spec, &o.det, o.img.image, o.img.cmd, o.boot_time, "vm run");
out:
    vm_image_free(im);
    osbox_strv_free(o.img.env);
    return rc < 0 ? 0 : rc;
}
