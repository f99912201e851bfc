/* osbox version */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "cli.h"

#ifndef OSBOX_VERSION
#define OSBOX_VERSION "0.1.0"
#endif

static int version_main(int argc, char **argv)
{
    struct utsname u;

    if (cli_wants_help(argc, argv)) {
        printf("Usage: osbox version\n\nPrint the osbox version and the host it runs on.\n");
        return 0;
    }
    if (argc > 1)
        return cli_failf(OSBOX_EXIT_USAGE, "version: unexpected argument '%s'", argv[1]);
    uname(&u);
    printf("osbox %s\n", OSBOX_VERSION);
    printf("host: %s %s %s\n", u.sysname, u.release, u.machine);
    return 0;
}

OSBOX_COMMAND(version_command, .name = "version", .summary = "Print version information",
              .main = version_main)
