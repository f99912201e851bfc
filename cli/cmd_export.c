/* osbox export NAME [-o FILE] and osbox diff NAME. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "runtime/lifecycle/lifecycle.h"
#include "runtime/ops/ops.h"
#include "util.h"

static int export_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    const char *out = NULL;
    struct osbox_err err;
    char id[65];
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'h':
            printf("Usage: osbox export [-o FILE] CONTAINER\n\n"
                   "The running container's root filesystem as it sees it (image layers and its\n"
                   "changes; not /proc, /sys, /dev or other mounts) as a tar, to FILE or stdout.\n");
            return 0;
        default:
            return cli_failf(OSBOX_EXIT_USAGE, "export: unknown option or missing value '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_failf(OSBOX_EXIT_USAGE, "export: give one container (see 'osbox export --help')");
    if (!out && isatty(STDOUT_FILENO))
        return cli_failf(OSBOX_EXIT_USAGE, "export: refusing to write a tar to a terminal: use -o FILE or redirect");
    osbox_err_clear(&err);
    if (container_lookup(argv[optind], id, &err) < 0 || container_export(id, out, &err) < 0)
        return cli_fail(&err);
    return 0;
}

static int diff_main(int argc, char **argv)
{
    struct osbox_err err;
    char id[65], **lines;

    if (cli_wants_help(argc, argv)) {
        printf("Usage: osbox diff CONTAINER\n\n"
               "What the container changed against its image, from its writable layer:\n"
               "A added, C changed, D deleted.\n");
        return 0;
    }
    if (argc != 2 || argv[1][0] == '-')
        return cli_failf(OSBOX_EXIT_USAGE, "diff: give one container (see 'osbox diff --help')");
    osbox_err_clear(&err);
    if (container_lookup(argv[1], id, &err) < 0)
        return cli_fail(&err);
    int rc = container_diff(id, &lines, &err);
    for (size_t i = 0; rc == 0 && lines[i]; i++)
        printf("%s\n", lines[i]);
    osbox_strv_free(lines);
    return rc < 0 ? cli_fail(&err) : 0;
}

OSBOX_COMMAND(export_command, .name = "export", .summary = "A container's filesystem as a tar", .main = export_main)
OSBOX_COMMAND(diff_command, .name = "diff", .summary = "What a container changed against its image", .main = diff_main)
