/* osbox build [OPTIONS] CONTEXT: the flags onto images_build_opts, RUN
 * steps through the runtime (run_build_runner); progress on stdout, the
 * image id last. A failing RUN exits with osbox's 125, as Podman does. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "images/images.h"
#include "runtime/run/run.h"
#include "util.h"

static const char build_usage[] =
    "Usage: osbox build [OPTIONS] CONTEXT\n\n"
    "Build an image from a Containerfile (or Dockerfile) in the directory CONTEXT.\n"
    "Instructions: FROM (an image or scratch; AS NAME), RUN, COPY, ADD (local files;\n"
    "--from=STAGE, --chown, --chmod, globs; .containerignore/.dockerignore), ENV, ARG,\n"
    "WORKDIR, USER, LABEL, EXPOSE, VOLUME, ENTRYPOINT, CMD, SHELL, STOPSIGNAL,\n"
    "HEALTHCHECK, ONBUILD (recorded), MAINTAINER. Each step's layer is cached.\n\n"
    "Options:\n"
    "  -t, --tag NAME[:TAG]   name the image\n"
    "  -f, --file FILE        the Containerfile (default CONTEXT/Containerfile, else\n"
    "                         CONTEXT/Dockerfile)\n"
    "      --build-arg K=V    a value for ARG K\n"
    "      --no-cache         run every step again\n"
    "      --target STAGE     build up to and including stage STAGE\n"
    "      --network MODE     RUN's network: none (default), host, bridge\n"
    "      --timestamp SECS   clamp file mtimes and set created to SECS since the epoch\n"
    "                         (default: $SOURCE_DATE_EPOCH, if set): reproducible digests\n"
    "  -q, --quiet            print only the image id\n"
    "      --help             show this help\n";

static int build_main(int argc, char **argv)
{
    enum { O_BUILD_ARG = 0x100, O_NO_CACHE, O_TARGET, O_NETWORK, O_TIMESTAMP, O_HELP };
    static const struct option opts[] = {
        { "tag", required_argument, NULL, 't' },
        { "file", required_argument, NULL, 'f' },
        { "quiet", no_argument, NULL, 'q' },
        { "build-arg", required_argument, NULL, O_BUILD_ARG },
        { "no-cache", no_argument, NULL, O_NO_CACHE },
        { "target", required_argument, NULL, O_TARGET },
        { "network", required_argument, NULL, O_NETWORK },
        { "timestamp", required_argument, NULL, O_TIMESTAMP },
        { "help", no_argument, NULL, O_HELP },
        { 0 },
    };
    struct images_build_opts o = { .timestamp = -1, .out = stdout };
    struct osbox_err err;
    char **args = osbox_xcalloc(1, sizeof *args);
    const char *ts = getenv("SOURCE_DATE_EPOCH");
    char id[72];
    int c, status = 0;
    long long v;

    optind = 1;
    opterr = 0;
    osbox_err_clear(&err);
    while ((c = getopt_long(argc, argv, "+t:f:q", opts, NULL)) != -1) {
        switch (c) {
        case 't': o.tag = optarg; break;
        case 'f': o.file = optarg; break;
        case 'q': o.out = NULL; break;
        case O_BUILD_ARG:
            if (!strchr(optarg, '=')) { /* K alone: the host's value, as Docker */
                const char *hv = getenv(optarg);
                if (!hv)
                    break;
                char *kv = osbox_strdup_printf("%s=%s", optarg, hv);
                osbox_strv_push(&args, kv);
                free(kv);
            } else
                osbox_strv_push(&args, optarg);
            break;
        case O_NO_CACHE: o.no_cache = true; break;
        case O_TARGET: o.target = optarg; break;
        case O_NETWORK: o.network = optarg; break;
        case O_TIMESTAMP: ts = optarg; break;
        case O_HELP: fputs(build_usage, stdout); osbox_strv_free(args); return 0;
        default:
            osbox_strv_free(args);
            return cli_failf(OSBOX_EXIT_USAGE, "build: unknown option or missing value '%s'",
                             argv[optind - 1]);
        }
    }
    if (optind != argc - 1) {
        osbox_strv_free(args);
        return cli_failf(OSBOX_EXIT_USAGE, "build: give one CONTEXT directory (see 'osbox build --help')");
    }
    if (ts && *ts) {
        if (osbox_parse_int(ts, 0, 253402300799LL, &v, &err) < 0) {
            osbox_strv_free(args);
            return cli_failf(OSBOX_EXIT_USAGE, "build: --timestamp/SOURCE_DATE_EPOCH '%s' is not "
                             "seconds since the epoch", ts);
        }
        o.timestamp = v;
    }
    if (o.network && strcmp(o.network, "none") && strcmp(o.network, "host") &&
        strcmp(o.network, "bridge")) {
        osbox_strv_free(args);
        return cli_failf(OSBOX_EXIT_USAGE, "build: --network %s: use none, host or bridge", o.network);
    }
    run_hold_signals_and_stdio();
    o.context = argv[optind];
    o.build_args = args;
    o.runner = run_build_runner();
    if (images_build(&o, id, &err) < 0)
        status = cli_fail(&err);
    else
        printf("%s\n", id + 7);
    osbox_strv_free(args);
    return status;
}

OSBOX_COMMAND(build_command, .name = "build", .summary = "Build an image from a Containerfile",
              .main = build_main)
