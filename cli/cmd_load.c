/* osbox load: import images from an OCI layout directory or an archive file. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "runtime/userns/userns.h"
#include "images/images.h"
#include "progress.h"
#include "util.h"

static void load_usage(FILE *out)
{
    fprintf(out,
            "Usage: osbox load --oci-dir DIR [--name NAME[:TAG]] [NAME[:TAG]]\n"
            "       osbox load -i FILE [--name NAME[:TAG]]\n"
            "\n"
            "Import images into the store. Every blob and layer is verified against its\n"
            "digest before it is used; layers already in the store are not unpacked again.\n"
            "\n"
            "  --oci-dir DIR   an OCI image layout (oci-layout, index.json, blobs/sha256)\n"
            "  -i, --input F   a 'docker save' archive or an OCI archive (tar; '-' for stdin)\n"
            "  --name REF      the name to store the image under (default: the archive's own,\n"
            "                  or the layout directory's basename with its tag)\n"
            "  -q, --quiet     print nothing on success\n"
            "On a terminal a progress bar (layer, bytes) is shown on stderr.\n");
}

static int load_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "oci-dir", required_argument, NULL, 'd' },
        { "input", required_argument, NULL, 'i' },
        { "name", required_argument, NULL, 'n' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    const char *dir = NULL, *file = NULL, *name = NULL;
    bool quiet = false;
    struct osbox_err err;
    char **loaded = NULL;
    int c, rc;

    osbox_err_clear(&err);
    optind = 1;
    while ((c = getopt_long(argc, argv, "+i:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'i': file = optarg; break;
        case 'n': name = optarg; break;
        case 'q': quiet = true; break;
        case 'h': load_usage(stdout); return 0;
        default: load_usage(stderr); return OSBOX_EXIT_USAGE;
        }
    }
    if (optind < argc && !name)
        name = argv[optind++];
    if (optind < argc)
        return cli_failf(OSBOX_EXIT_USAGE, "load: unexpected argument '%s'", argv[optind]);
    if (!!dir == !!file)
        return cli_failf(OSBOX_EXIT_USAGE, "load: give exactly one of --oci-dir DIR or -i FILE");
    /* A non-root user loads into its own store, as root of its own user
     * namespace: the image's root-owned files become the user's on disk. */
    bool rootless;
    if (rootless_enter(&rootless, &err) < 0)
        return cli_fail(&err);
    if (rootless_note())
        fprintf(stderr, "osbox: note: %s\n", rootless_note());
    cli_progress_install(quiet);
    if (file && !strcmp(file, "-"))
        file = "/dev/stdin";
    if (dir)
        rc = images_load_oci_dir(dir, name, &loaded, &err);
    else
        rc = images_load_archive(file, name, &loaded, &err);
    cli_progress_done();
    if (rc < 0)
        return cli_fail(&err);
    for (size_t i = 0; !quiet && loaded && loaded[i]; i++)
        printf("Loaded image: %s\n", loaded[i]);
    osbox_strv_free(loaded);
    return 0;
}

OSBOX_COMMAND(load_command, .name = "load", .summary = "Load images from an OCI layout or archive",
              .main = load_main)
