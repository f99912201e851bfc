/* osbox pull: fetch an image from its registry into the store. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "runtime/userns/userns.h"
#include "images/images.h"
#include "progress.h"

static void pull_usage(FILE *out)
{
    fprintf(out,
            "Usage: osbox pull [--platform OS/ARCH[/VARIANT]] [-q] REFERENCE\n"
            "\n"
            "Fetch an image from a registry. A reference without a registry host means\n"
            "Docker Hub: 'alpine' is docker.io/library/alpine:latest. Manifests, configs and\n"
            "layers are verified against their digests before anything is stored; layers\n"
            "already in the store are not downloaded again. Credentials come from\n"
            "'osbox login'. Loopback registries may be plain HTTP; all others are HTTPS.\n"
            "\n"
            "  --platform P  the image of a multi-platform index to take (default: this\n"
            "                machine's, e.g. linux/amd64)\n"
            "  -q, --quiet   print only the image name\n"
            "Exit status: 0 pulled or up to date, 2 usage, 125 failure.\n");
}

/* Not on a terminal: one line per layer on stdout (as docker pull prints its
 * progress), so stderr keeps only errors. */
static void layer_lines(void *ctx, const struct images_progress *p)
{
    (void)ctx;
    if (!strcmp(p->phase, "pulled") || !strcmp(p->phase, "exists"))
        printf("[%u/%u] %.19s %s (%.1f MB)\n", p->layer, p->layers,
                p->digest ? p->digest : "", !strcmp(p->phase, "pulled") ? "pulled" : "already present",
                (double)p->total / 1e6);
}

static int pull_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "platform", required_argument, NULL, 'p' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    const char *platform = NULL;
    bool quiet = false;
    struct images_pull_result res;
    struct osbox_err err;
    int c, rc;

    osbox_err_clear(&err);
    optind = 1;
    while ((c = getopt_long(argc, argv, "+qh", opts, NULL)) != -1) {
        switch (c) {
        case 'p': platform = optarg; break;
        case 'q': quiet = true; break;
        case 'h': pull_usage(stdout); return 0;
        default: pull_usage(stderr); return OSBOX_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) {
        pull_usage(stderr);
        return OSBOX_EXIT_USAGE;
    }
    /* A non-root user pulls into its own store, as root of its own user
     * namespace (as load does): the image's root-owned files become the user's. */
    bool rootless;
    if (rootless_enter(&rootless, &err) < 0)
        return cli_fail(&err);
    if (!cli_progress_install(quiet) && !quiet)
        images_set_progress(layer_lines, NULL);
    rc = images_pull(argv[optind], platform, &res, &err);
    cli_progress_done();
    if (rc < 0)
        return cli_fail(&err);
    if (quiet)
        printf("%s\n", res.name);
    else if (res.up_to_date)
        printf("%s is up to date (%s)\n", res.name, res.digest);
    else
        printf("Pulled %s (%s): %u of %u layers downloaded, %.1f MB\n", res.name, res.digest,
               res.layers_fetched, res.layers, (double)res.bytes_fetched / 1e6);
    images_pull_result_clear(&res);
    return 0;
}

OSBOX_COMMAND(pull_command, .name = "pull", .summary = "Pull an image from a registry",
              .main = pull_main)
