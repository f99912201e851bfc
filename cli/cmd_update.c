/* osbox update: change the limits (and restart policy) of running containers. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "runtime/lifecycle/lifecycle.h"
#include "runtime/ops/ops.h"

static int op_update(const char *id, const void *arg, struct osbox_err *err)
{
    return container_update(id, arg, err);
}

static int update_main(int argc, char **argv)
{
    enum { O_SWAP = 256, O_CPUS, O_SHARES, O_PIDS, O_CPUSET, O_CPUSET_MEMS, O_RESTART };
    static const struct option opts[] = {
        { "memory", required_argument, NULL, 'm' },
        { "memory-swap", required_argument, NULL, O_SWAP },
        { "cpus", required_argument, NULL, O_CPUS },
        { "cpu-shares", required_argument, NULL, O_SHARES },
        { "pids-limit", required_argument, NULL, O_PIDS },
        { "cpuset-cpus", required_argument, NULL, O_CPUSET },
        { "cpuset-mems", required_argument, NULL, O_CPUSET_MEMS },
        { "restart", required_argument, NULL, O_RESTART },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    struct container_update u = { 0 };
    struct osbox_err err;
    int c, rc = 0;

    osbox_resources_init(&u.res);
    osbox_err_clear(&err);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+m:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': rc = resources_set_memory(&u.res, optarg, &err); break;
        case O_SWAP: rc = resources_set_memory_swap(&u.res, optarg, &err); break;
        case O_CPUS: rc = resources_set_cpus(&u.res, optarg, &err); break;
        case O_SHARES: rc = resources_set_cpu_shares(&u.res, optarg, &err); break;
        case O_PIDS:
            if (!strcmp(optarg, "-1"))
                u.pids_unlimited = true;
            else
                rc = resources_set_pids_limit(&u.res, optarg, &err);
            break;
        case O_CPUSET: rc = resources_set_cpuset_cpus(&u.res, optarg, &err); break;
        case O_CPUSET_MEMS: rc = resources_set_cpuset_mems(&u.res, optarg, &err); break;
        case O_RESTART:
            rc = restart_parse(optarg, &u.restart, &err);
            u.set_restart = true;
            break;
        case 'h':
            printf("Usage: osbox update [OPTIONS] CONTAINER...\n\n"
                   "Change the limits of running containers (their cgroup, at once) and the\n"
                   "restart policy (from the next exit on). The limits last until the container\n"
                   "stops: a later start uses the ones it was created with.\n"
                   "  -m, --memory SIZE        memory limit (lowering it under use reclaims, then\n"
                   "                           OOM-kills, as the kernel does)\n"
                   "      --memory-swap SIZE   memory plus swap, or -1 for unlimited swap\n"
                   "      --cpus N             CPU quota (0.5 = half a CPU)\n"
                   "      --cpu-shares N       relative weight, 2..262144\n"
                   "      --pids-limit N       most tasks, -1 for unlimited\n"
                   "      --cpuset-cpus LIST   CPUs it may use (0-1,3; online ones)\n"
                   "      --cpuset-mems LIST   memory nodes it may use\n"
                   "      --restart POLICY     no, on-failure[:N], always\n");
            return 0;
        default:
            return cli_failf(OSBOX_EXIT_USAGE, "update: unknown option or missing value '%s'", argv[optind - 1]);
        }
        if (rc < 0) {
            err.exit_status = OSBOX_EXIT_USAGE;
            return cli_fail(&err);
        }
    }
    if (optind == 1)
        return cli_failf(OSBOX_EXIT_USAGE, "update: nothing to update: give a limit or --restart");
    return cli_for_each_container(argc, argv, optind, op_update, &u, true);
}

OSBOX_COMMAND(update_command, .name = "update", .summary = "Change the limits of running containers",
              .main = update_main)
