/* The loop every command on named containers shares (stop, kill, start, rm,
 * wait, pause, unpause, update): look each one up, lock it, act, print its
 * name (not for wait), and go on after a failure. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "runtime/lifecycle/lifecycle.h"

/* Run op on each container named in argv[first..], locked unless lock is
 * false; the status of the last failure. */
int cli_for_each_container(int argc, char **argv, int first, container_op op, const void *arg, bool lock)
{
    int status = 0;

    if (first >= argc)
        return cli_failf(OSBOX_EXIT_USAGE, "%s: give at least one container (see 'osbox %s --help')",
                         argv[0], argv[0]);
    for (int i = first; i < argc; i++) {
        struct osbox_err err;
        char id[65];
        int fd = -1;

        osbox_err_clear(&err);
        if (container_lookup(argv[i], id, &err) < 0 || (lock && (fd = container_lock(id, &err)) < 0) ||
            op(id, arg, &err) < 0) {
            status = cli_fail(&err);
        } else if (strcmp(argv[0], "wait")) {
            printf("%s\n", argv[i]);
        }
        if (fd >= 0)
            close(fd);
    }
    fflush(stdout);
    return status;
}

