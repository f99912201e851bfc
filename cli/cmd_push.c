/* osbox push: upload a stored image to a registry. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "images/images.h"
#include "util.h"

static void push_usage(FILE *out)
{
    fprintf(out,
            "Usage: osbox push [--chunk SIZE] [-q] IMAGE [DESTINATION]\n"
            "\n"
            "Upload a stored image to a registry, under DESTINATION (a full reference,\n"
            "e.g. 127.0.0.1:5000/app:1) or the image's own name. Blobs the registry has are\n"
            "not sent again (HEAD); blobs another repository of the same registry has are\n"
            "mounted from it; the manifest goes last, byte for byte as stored.\n"
            "\n"
            "  --chunk SIZE  send blobs larger than SIZE (e.g. 8m) in chunks of SIZE\n"
            "                (default: each blob in one request)\n"
            "  -q, --quiet   print only the manifest digest\n"
            "Exit status: 0 pushed, 2 usage, 125 failure.\n");
}

static int push_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "chunk", required_argument, NULL, 'c' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    uint64_t chunk = 0;
    bool quiet = false;
    struct images_push_result res;
    struct osbox_err err;
    int c;

    osbox_err_clear(&err);
    optind = 1;
    while ((c = getopt_long(argc, argv, "+qh", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            if (osbox_parse_size(optarg, &chunk, &err) < 0 || chunk == 0)
                return cli_failf(OSBOX_EXIT_USAGE, "push: invalid --chunk '%s'", optarg);
            break;
        case 'q': quiet = true; break;
        case 'h': push_usage(stdout); return 0;
        default: push_usage(stderr); return OSBOX_EXIT_USAGE;
        }
    }
    if (optind >= argc || argc - optind > 2) {
        push_usage(stderr);
        return OSBOX_EXIT_USAGE;
    }
    if (images_push(argv[optind], optind + 1 < argc ? argv[optind + 1] : NULL, chunk, &res, &err) < 0)
        return cli_fail(&err);
    if (quiet)
        printf("%s\n", res.digest);
    else
        printf("Pushed %s (%s): %u blobs, %u sent (%.1f MB), %u mounted, %u already there\n",
               res.dest, res.digest, res.blobs, res.uploaded, (double)res.bytes_sent / 1e6,
               res.mounted, res.blobs - res.uploaded - res.mounted);
    images_push_result_clear(&res);
    return 0;
}

OSBOX_COMMAND(push_command, .name = "push", .summary = "Push an image to a registry",
              .main = push_main)
