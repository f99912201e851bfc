/* osbox volume create|ls|inspect|rm|prune: the volume store
 * (runtime/volume/volume.h), as Docker's `docker volume`. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "runtime/volume/volume.h"
#include "util.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: osbox volume create [--label K=V] [NAME]\n"
            "       osbox volume ls [-q] [--format json]\n"
            "       osbox volume inspect NAME...\n"
            "       osbox volume rm NAME...\n"
            "       osbox volume prune [-a]\n"
            "\n"
            "Volumes: directories kept apart from any container (in $OSBOX_ROOT/volumes),\n"
            "mounted with 'osbox run -v NAME:/path' (made on first use and filled from the\n"
            "image's content at /path) or '-v /path' (anonymous: removed with the\n"
            "container by --rm or rm -v). A volume a container uses cannot be removed.\n"
            "\n"
            "  create    make a volume (a random name when NAME is left out); prints its name\n"
            "  ls        list volumes; --format json: one JSON object per line; -q: names\n"
            "  inspect   the volumes as a JSON array (Docker's fields, and UsedBy)\n"
            "  rm        remove volumes no container uses\n"
            "  prune     remove unused anonymous volumes (-a: all unused volumes)\n");
}

static int create_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "label", required_argument, NULL, 'l' }, { "help", no_argument, NULL, 'h' }, { 0 },
    };
    char **labels = NULL;
    struct osbox_err err;
    struct osbox_volume v;
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        if (c == 'l' && strchr(optarg, '=') && optarg[0] != '=') {
            osbox_strv_push(&labels, optarg);
        } else if (c == 'h') {
            usage(stdout);
            return 0;
        } else {
            osbox_strv_free(labels);
            return cli_failf(OSBOX_EXIT_USAGE, "volume create: bad option '%s' (--label K=V)",
                             argv[optind - 1]);
        }
    }
    if (argc - optind > 1) {
        osbox_strv_free(labels);
        return cli_failf(OSBOX_EXIT_USAGE, "volume create: one NAME at most");
    }
    osbox_err_clear(&err);
    c = volume_create(optind < argc ? argv[optind] : NULL, false, labels, &v, NULL, &err);
    osbox_strv_free(labels);
    if (c < 0)
        return cli_fail(&err);
    printf("%s\n", v.name);
    osbox_volume_free(&v);
    return 0;
}

static int ls_main(int argc, char **argv)
{
    bool json = false, quiet = false;
    struct osbox_volume *vs;
    struct osbox_err err;
    size_t n;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet"))
            quiet = true;
        else if (!strcmp(argv[i], "--format") && i + 1 < argc && !strcmp(argv[i + 1], "json"))
            json = true, i++;
        else if (!strcmp(argv[i], "--format=json"))
            json = true;
        else
            return cli_failf(OSBOX_EXIT_USAGE, "volume ls: unknown option '%s' (-q, --format json)", argv[i]);
    }
    osbox_err_clear(&err);
    if (volume_list(&vs, &n, &err) < 0)
        return cli_fail(&err);
    if (!json && !quiet)
        printf("%-8s %s\n", "DRIVER", "VOLUME NAME");
    for (size_t i = 0; i < n; i++) {
        if (json) {
            json_t *o = volume_to_json(&vs[i]);
            char *s = json_dumps(o, JSON_COMPACT);
            printf("%s\n", s);
            free(s);
            json_decref(o);
        } else if (quiet) {
            printf("%s\n", vs[i].name);
        } else {
            printf("%-8s %s\n", "local", vs[i].name);
        }
        osbox_volume_free(&vs[i]);
    }
    free(vs);
    return 0;
}

static int inspect_main(int argc, char **argv)
{
    json_t *arr = json_array();
    struct osbox_err err;
    int status = 0;
    char *s;

    if (argc < 2) {
        json_decref(arr);
        return cli_failf(OSBOX_EXIT_USAGE, "volume inspect: NAME required");
    }
    for (int i = 1; i < argc; i++) {
        struct osbox_volume v;
        osbox_err_clear(&err);
        if (volume_inspect(argv[i], &v, &err) < 0) {
            status = cli_fail(&err);
            continue;
        }
        json_array_append_new(arr, volume_to_json(&v));
        osbox_volume_free(&v);
    }
    if (status && !json_array_size(arr)) { /* nothing found: the error alone */
        json_decref(arr);
        return status;
    }
    s = json_dumps(arr, JSON_INDENT(4));
    printf("%s\n", s);
    free(s);
    json_decref(arr);
    return status;
}

static int rm_main(int argc, char **argv)
{
    struct osbox_err err;
    int status = 0, i = 1;

    if (i < argc && (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--force")))
        i++; /* Docker's -f: no error for a missing volume */
    if (i >= argc)
        return cli_failf(OSBOX_EXIT_USAGE, "volume rm: NAME required");
    for (; i < argc; i++) {
        osbox_err_clear(&err);
        if (volume_remove(argv[i], &err) < 0) {
            if (argv[1][0] == '-' && strstr(err.msg, "no such volume"))
                continue;
            status = cli_fail(&err);
        } else {
            printf("%s\n", argv[i]);
        }
    }
    return status;
}

static int prune_main(int argc, char **argv)
{
    bool all = false;
    char **removed = NULL;
    struct osbox_err err;
    int rc;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-a") || !strcmp(argv[i], "--all"))
            all = true;
        else if (strcmp(argv[i], "-f") && strcmp(argv[i], "--force")) /* no prompt anyway */
            return cli_failf(OSBOX_EXIT_USAGE, "volume prune: unknown option '%s' (-a)", argv[i]);
    }
    osbox_err_clear(&err);
    rc = volume_prune(all, &removed, &err);
    for (size_t i = 0; removed && removed[i]; i++)
        printf("%s\n", removed[i]);
    osbox_strv_free(removed);
    return rc < 0 ? cli_fail(&err) : 0;
}

static int volume_main(int argc, char **argv)
{
    const char *verb = argc > 1 ? argv[1] : NULL;

    if (!verb || !strcmp(verb, "--help") || !strcmp(verb, "-h") || !strcmp(verb, "help")) {
        usage(verb ? stdout : stderr);
        return verb ? 0 : OSBOX_EXIT_USAGE;
    }
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
    if (!strcmp(verb, "create"))
        return create_main(argc - 1, argv + 1);
    if (!strcmp(verb, "ls") || !strcmp(verb, "list"))
        return ls_main(argc - 1, argv + 1);
    if (!strcmp(verb, "inspect"))
        return inspect_main(argc - 1, argv + 1);
    if (!strcmp(verb, "rm") || !strcmp(verb, "remove"))
        return rm_main(argc - 1, argv + 1);
    if (!strcmp(verb, "prune"))
        return prune_main(argc - 1, argv + 1);
    return cli_failf(OSBOX_EXIT_USAGE, "volume: unknown command '%s' (create, ls, inspect, rm, prune)", verb);
}

OSBOX_COMMAND(volume_command, .name = "volume", .summary = "Manage volumes", .main = volume_main)
