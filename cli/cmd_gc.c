/* osbox gc: remove what killed osbox processes left behind. */
#include <stdio.h>

#include "cli.h"
#include "images/images.h"
#include "runtime/core/runtime.h"
#include "vmm/backend/vm_backend.h"

static int gc_main(int argc, char **argv)
{
    struct osbox_err err;
    struct images_gc_stats st = { 0 };
    int n = 0, nvm = 0;

    if (cli_wants_help(argc, argv)) {
        printf("Usage: osbox gc\n\n"
               "Clean up after osbox processes that were killed: live state whose osbox is\n"
               "gone, its cgroup and mounts, containers started with --rm, half-made\n"
               "container directories, detached VMs whose keeping osbox was killed (their\n"
               "state, a surviving monitor, the address). Containers and VMs of running osbox\n"
               "processes are left alone.\n"
               "Then the image store: entries a killed import left half-written, and blobs\n"
               "and layers that no image name and no container uses.\n");
        return 0;
    }
    if (argc > 1)
        return cli_failf(OSBOX_EXIT_USAGE, "gc: unexpected argument '%s'", argv[1]);
    osbox_err_clear(&err);
    /* VMs first: their leases are the network's gc's, in runtime_gc. */
    if (vm_gc(&nvm, &err) < 0)
        return cli_fail(&err);
    if (runtime_gc(&n, &err) < 0)
        return cli_fail(&err);
    printf("gc: cleaned up %d container%s, %d VM%s\n", n, n == 1 ? "" : "s", nvm,
           nvm == 1 ? "" : "s");
    /* After the containers: a layer only a dead container held is free now. */
    if (images_gc(runtime_images_in_use, &st, &err) < 0)
        return cli_fail(&err);
    printf("gc: removed %lu unfinished import%s, %lu unused blob%s, %lu unused layer%s\n",
           st.temp, st.temp == 1 ? "" : "s", st.blobs, st.blobs == 1 ? "" : "s", st.layers,
           st.layers == 1 ? "" : "s");
    return 0;
}

OSBOX_COMMAND(gc_command, .name = "gc", .summary = "Clean up after killed osbox processes",
              .main = gc_main)
