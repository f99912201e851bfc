/* osbox commit [-m MSG] [-a AUTHOR] [-c INSTR]... CONTAINER [IMAGE]: the
 * container's writable layer as a new image (images_commit_container). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "images/images.h"
#include "runtime/lifecycle/lifecycle.h"
#include "runtime/ops/ops.h"
#include "util.h"

static const char commit_usage[] =
    "Usage: osbox commit [OPTIONS] CONTAINER [IMAGE[:TAG]]\n\n"
    "Make a new image from a container's changes: its writable layer becomes one more\n"
    "layer on its image (deletions as whiteouts, xattrs, file capabilities and hardlinks\n"
    "kept). A running container is paused meanwhile.\n\n"
    "Options:\n"
    "  -m, --message MSG     the history entry's comment\n"
    "  -a, --author NAME     the image's author\n"
    "  -c, --change INSTR    apply a Containerfile instruction to the config (CMD,\n"
    "                        ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER,\n"
    "                        VOLUME, WORKDIR); repeatable\n"
    "  -p, --pause=false     do not pause a running container\n"
    "      --help            show this help\n";

static int commit_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "message", required_argument, NULL, 'm' },
        { "author", required_argument, NULL, 'a' },
        { "change", required_argument, NULL, 'c' },
        { "pause", optional_argument, NULL, 'p' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    struct images_commit_opts o = { 0 };
    struct container_fs fs = { 0 };
    struct osbox_err err;
    char **changes = osbox_xcalloc(1, sizeof *changes);
    char id[65], image_id[72];
    bool pause = true, paused = false;
    int c, status = 0;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+m:a:c:p", opts, NULL)) != -1) {
        switch (c) {
        case 'm': o.message = optarg; break;
        case 'a': o.author = optarg; break;
        case 'c': osbox_strv_push(&changes, optarg); break;
        case 'p': pause = !optarg || strcmp(optarg, "false"); break;
        case 'h': fputs(commit_usage, stdout); osbox_strv_free(changes); return 0;
        default:
            osbox_strv_free(changes);
            return cli_failf(OSBOX_EXIT_USAGE, "commit: unknown option or missing value '%s'",
                             argv[optind - 1]);
        }
    }
    if (optind >= argc || argc - optind > 2) {
        osbox_strv_free(changes);
        return cli_failf(OSBOX_EXIT_USAGE, "commit: give a container and optionally an image name "
                         "(see 'osbox commit --help')");
    }
    o.changes = changes;
    osbox_err_clear(&err);
    _cleanup_free_ char *by = osbox_strdup_printf("osbox commit %s", argv[optind]);
    o.created_by = by;
    if (container_lookup(argv[optind], id, &err) < 0 || container_commit_source(id, &fs, &err) < 0) {
        status = cli_fail(&err);
        goto out;
    }
    /* Docker pauses too: a consistent layer, not one written while it changes. */
    if (pause && !container_is_paused(id)) {
        struct osbox_err ignored;
        paused = container_pause(id, &ignored) == 0;
    }
    if (images_commit_container(fs.image_digest, fs.lowers, fs.upper,
                                optind + 1 < argc ? argv[optind + 1] : NULL, &o, image_id, &err) < 0)
        status = cli_fail(&err);
    else
        printf("%s\n", image_id + 7);
    if (paused) {
        struct osbox_err ignored;
        container_unpause(id, &ignored);
    }
out:
    container_fs_free(&fs);
    osbox_strv_free(changes);
    return status;
}

OSBOX_COMMAND(commit_command, .name = "commit", .summary = "Make an image from a container's changes",
              .main = commit_main)
