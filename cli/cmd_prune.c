/* osbox container prune, osbox image prune [-a], osbox system df. */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "images/images.h"
#include "runtime/lifecycle/lifecycle.h"
#include "runtime/ops/ops.h"
#include "util.h"

static void human(char *buf, size_t size, uint64_t v)
{
    static const char *const u[] = { "B", "kB", "MB", "GB", "TB" };
    double x = (double)v;
    int i = 0;

    while (x >= 1000 && i < 4) {
        x /= 1000;
        i++;
    }
    snprintf(buf, size, i ? "%.3g%s" : "%.0f%s", x, u[i]);
}

static int usage_of(const char *cmd, const char *text, int argc, char **argv, bool *all)
{
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("%s", text);
            return 0;
        }
        if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--force"))
            continue; /* nothing asks: -f is accepted as Docker's scripts pass it */
        if (all && (!strcmp(argv[i], "-a") || !strcmp(argv[i], "--all"))) {
            *all = true;
            continue;
        }
        return cli_failf(OSBOX_EXIT_USAGE, "%s: unknown option or argument '%s'", cmd, argv[i]);
    }
    return -1;
}

static int container_main(int argc, char **argv)
{
    char **removed, size[32];
    uint64_t reclaimed;
    struct osbox_err err;
    int rc;

    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        printf("Usage: osbox container prune [-f]\n\n  prune   remove every container that is not running\n");
        return argc < 2 ? OSBOX_EXIT_USAGE : 0;
    }
    if (strcmp(argv[1], "prune"))
        return cli_failf(OSBOX_EXIT_USAGE, "container: unknown subcommand '%s' (see 'osbox container --help')", argv[1]);
    if ((rc = usage_of("container prune", "Usage: osbox container prune [-f]\n\n"
                       "Remove every container that is not running (record, writable layer, log).\n",
                       argc, argv, NULL)) >= 0)
        return rc;
    osbox_err_clear(&err);
    rc = container_prune(&removed, &reclaimed, &err);
    printf("Deleted Containers:\n");
    for (size_t i = 0; removed[i]; i++)
        printf("%s\n", removed[i]);
    human(size, sizeof size, reclaimed);
    printf("\nTotal reclaimed space: %s\n", size);
    osbox_strv_free(removed);
    return rc < 0 ? cli_fail(&err) : 0;
}

static int image_main(int argc, char **argv)
{
    char **deleted;
    struct images_gc_stats gc = { 0 };
    struct osbox_err err;
    bool all = false;
    int rc;

    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        printf("Usage: osbox image prune [-a] [-f]\n\n  prune   remove what no image name and no container uses\n");
        return argc < 2 ? OSBOX_EXIT_USAGE : 0;
    }
    if (strcmp(argv[1], "prune"))
        return cli_failf(OSBOX_EXIT_USAGE, "image: unknown subcommand '%s' (see 'osbox image --help')", argv[1]);
    if ((rc = usage_of("image prune", "Usage: osbox image prune [-a] [-f]\n\n"
                       "Remove blobs and layers no image name and no container uses; with -a also\n"
                       "every image no container uses (all its names). osbox keeps no untagged\n"
                       "images: an image goes with its last name.\n",
                       argc, argv, &all)) >= 0)
        return rc;
    osbox_err_clear(&err);
    rc = images_prune(all, runtime_images_in_use, &deleted, &gc, &err);
    for (size_t i = 0; deleted[i]; i++)
        printf("%s: %s\n", strncmp(deleted[i], "sha256:", 7) ? "Untagged" : "Deleted", deleted[i]);
    printf("Removed %lu blobs, %lu layers\n", gc.blobs, gc.layers);
    osbox_strv_free(deleted);
    return rc < 0 ? cli_fail(&err) : 0;
}

/* osbox system df: what images and containers take on disk, and what a prune would free. */
static int system_main(int argc, char **argv)
{
    struct osbox_err err;
    json_t *rows, *row, *seen = json_object();
    size_t i;
    uint64_t isize = 0, iunused = 0, csize = 0, cstopped = 0;
    int nimg = 0, iactive = 0, nctr = 0, crunning = 0;
    char a[32], b[32];

    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        printf("Usage: osbox system df\n\n  df   disk use of images and containers, and what prune would free\n");
        return argc < 2 ? OSBOX_EXIT_USAGE : 0;
    }
    if (strcmp(argv[1], "df") || argc > 2)
        return cli_failf(OSBOX_EXIT_USAGE, "system: the subcommand is df (see 'osbox system --help')");
    osbox_err_clear(&err);
    if (images_list_json(&rows, &err) < 0)
        return cli_fail(&err);
    char **ids = container_ids();
    json_t *used = json_object();
    for (size_t k = 0; ids[k]; k++) {
        struct osbox_record rec;
        struct container_live l;
        uint64_t sz = container_disk_usage(ids[k]);
        nctr++;
        csize += sz;
        container_live_read(ids[k], &l);
        if (l.running || l.holder_alive)
            crunning++;
        else
            cstopped += sz;
        if (state_read_record(ids[k], &rec, &err) == 0) {
            if (rec.image_digest)
                json_object_set_new(used, rec.image_digest, json_true());
            osbox_record_free(&rec);
        }
    }
    json_array_foreach(rows, i, row) {
        const char *digest = json_string_value(json_object_get(row, "digest"));
        if (!digest || json_object_get(seen, digest))
            continue;
        json_object_set_new(seen, digest, json_true());
        uint64_t sz = (uint64_t)json_integer_value(json_object_get(row, "size"));
        nimg++;
        isize += sz;
        if (json_object_get(used, digest))
            iactive++;
        else
            iunused += sz;
    }
    printf("%-14s %6s %7s %12s %12s\n", "TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE");
    human(a, sizeof a, isize);
    human(b, sizeof b, iunused);
    printf("%-14s %6d %7d %12s %12s\n", "Images", nimg, iactive, a, b);
    human(a, sizeof a, csize);
    human(b, sizeof b, cstopped);
    printf("%-14s %6d %7d %12s %12s\n", "Containers", nctr, crunning, a, b);
    osbox_strv_free(ids);
    json_decref(used);
    json_decref(seen);
    json_decref(rows);
    return 0;
}

OSBOX_COMMAND(container_command, .name = "container", .summary = "container prune: remove stopped containers",
              .main = container_main)
OSBOX_COMMAND(image_command, .name = "image", .summary = "image prune [-a]: remove unused images and layers",
              .main = image_main)
OSBOX_COMMAND(system_command, .name = "system", .summary = "system df: disk use of images and containers",
              .main = system_main)
