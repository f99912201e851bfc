/* osbox-oci state / kill / delete / list / ps / features / spec: options
 * and output; kill and delete are runtime/oci/ (oci_kill.c, oci_lifecycle.c). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli/oci.h"
#include "util.h"

static int one_id(int argc, char **argv, const char *usage_args)
{
    if (cli_wants_help(argc, argv)) {
        printf("Usage: %s %s %s\n", cli_program_name, argv[0], usage_args);
        return 0;
    }
    if (argc != 2)
        return cli_failf(OSBOX_EXIT_USAGE, "%s: exactly one container ID is required", argv[0]);
    return -1;
}

int oci_state_main(int argc, char **argv)
{
    struct oci_state st;
    struct osbox_err err;
    json_t *o;
    int rc = one_id(argc, argv, "ID");

    if (rc >= 0)
        return rc;
    if (oci_state_read(oci_g.root, argv[1], &st, &err) < 0)
        return oci_fail(&err);
    o = oci_state_json(oci_g.root, &st);
    json_dumpf(o, stdout, JSON_INDENT(2));
    putchar('\n');
    json_decref(o);
    oci_state_free(&st);
    return 0;
}

int oci_kill_main(int argc, char **argv)
{
    struct osbox_err err;
    bool all = false;
    int sig = SIGTERM, first = 1;

    if (cli_wants_help(argc, argv)) {
        printf("Usage: %s kill [--all] ID [SIGNAL]\n", cli_program_name);
        return 0;
    }
    if (argc > 1 && (!strcmp(argv[1], "--all") || !strcmp(argv[1], "-a"))) {
        all = true;
        first = 2;
    }
    if (argc - first < 1 || argc - first > 2)
        return cli_failf(OSBOX_EXIT_USAGE, "kill: usage: kill [--all] ID [SIGNAL]");
    if (argc - first == 2 && (sig = osbox_parse_signal(argv[first + 1])) < 0)
        return oci_failf("kill: unknown signal '%s'", argv[first + 1]);
    osbox_err_clear(&err);
    return oci_kill(oci_g.root, argv[first], sig, all, &err) < 0 ? oci_fail(&err) : 0;
}

int oci_delete_main(int argc, char **argv)
{
    struct osbox_err err;
    char **warnings = NULL;
    bool force = false;
    int first = 1, rc;

    if (cli_wants_help(argc, argv)) {
        printf("Usage: %s delete [--force] ID\n", cli_program_name);
        return 0;
    }
    if (argc > 1 && (!strcmp(argv[1], "--force") || !strcmp(argv[1], "-f"))) {
        force = true;
        first = 2;
    }
    if (argc - first != 1)
        return cli_failf(OSBOX_EXIT_USAGE, "delete: exactly one container ID is required");
    osbox_err_clear(&err);
    rc = oci_delete(oci_g.root, argv[first], force, &warnings, &err);
    oci_warn_all(warnings);
    return rc < 0 ? oci_fail(&err) : 0;
}

int oci_list_main(int argc, char **argv)
{
    bool json = false, quiet = false;
    json_t *arr, *o;
    size_t k;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("Usage: %s list [--format table|json] [-q]\n", cli_program_name);
            return 0;
        } else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
            quiet = true;
        } else if (!strcmp(argv[i], "--format=json") ||
                   (!strcmp(argv[i], "--format") && i + 1 < argc && !strcmp(argv[++i], "json"))) {
            json = true;
        } else if (strcmp(argv[i], "--format=table") && strcmp(argv[i], "table")) {
            return cli_failf(OSBOX_EXIT_USAGE, "list: unknown option '%s'", argv[i]);
        }
    }
    arr = oci_list_json(oci_g.root);
    if (json) {
        json_dumpf(arr, stdout, JSON_INDENT(2));
        putchar('\n');
    } else {
        if (!quiet)
            printf("%-20s %-8s %-8s %-40s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED");
        json_array_foreach(arr, k, o) {
            const char *id = json_string_value(json_object_get(o, "id"));
            if (quiet)
                printf("%s\n", id);
            else
                printf("%-20s %-8d %-8s %-40s %s\n", id, (int)json_integer_value(json_object_get(o, "pid")),
                       json_string_value(json_object_get(o, "status")),
                       json_string_value(json_object_get(o, "bundle")),
                       json_string_value(json_object_get(o, "created")));
        }
    }
    json_decref(arr);
    return 0;
}

int oci_ps_main(int argc, char **argv)
{
    struct oci_state st;
    struct osbox_err err;
    bool json = false;
    const char *id = NULL;
    int *pids;
    size_t n;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("Usage: %s ps [--format table|json] ID\n", cli_program_name);
            return 0;
        } else if (!strcmp(argv[i], "--format=json") || !strcmp(argv[i], "-f=json") ||
                   ((!strcmp(argv[i], "--format") || !strcmp(argv[i], "-f")) && i + 1 < argc &&
                    !strcmp(argv[++i], "json"))) {
            json = true;
        } else if (argv[i][0] != '-' && !id) {
            id = argv[i];
        } else if (strcmp(argv[i], "--format=table") && strcmp(argv[i], "table")) {
            return cli_failf(OSBOX_EXIT_USAGE, "ps: unexpected argument '%s'", argv[i]);
        }
    }
    if (!id)
        return cli_failf(OSBOX_EXIT_USAGE, "ps: a container ID is required");
    if (oci_state_read(oci_g.root, id, &st, &err) < 0)
        return oci_fail(&err);
    if (oci_container_pids(&st, &pids, &n) < 0) {
        oci_state_free(&st);
        return oci_failf("container %s is not running", id);
    }
    if (json) {
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(a, json_integer(pids[i]));
        json_dumpf(a, stdout, JSON_COMPACT);
        putchar('\n');
        json_decref(a);
    } else {
        printf("%-8s %s\n", "PID", "CMD");
        for (size_t i = 0; i < n; i++) {
            char path[64];
            _cleanup_free_ char *comm = NULL;
            snprintf(path, sizeof path, "/proc/%d/comm", pids[i]);
            if (osbox_read_file(path, &comm, NULL, &err) < 0)
                continue;
            comm[strcspn(comm, "\n")] = '\0';
            printf("%-8d %s\n", pids[i], comm);
        }
    }
    free(pids);
    oci_state_free(&st);
    return 0;
}

int oci_features_main(int argc, char **argv)
{
    json_t *o;

    if (cli_wants_help(argc, argv)) {
        printf("Usage: %s features\n", cli_program_name);
        return 0;
    }
    o = oci_features_json();
    json_dumpf(o, stdout, JSON_INDENT(2));
    putchar('\n');
    json_decref(o);
    return 0;
}

int oci_spec_main(int argc, char **argv)
{
    const char *bundle = ".";
    _cleanup_free_ char *path = NULL;
    struct osbox_err err;
    json_t *o;
    char *text;
    int rc;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("Usage: %s spec [--bundle DIR]\nWrites DIR/config.json (default: the current directory).\n",
                   cli_program_name);
            return 0;
        } else if ((!strcmp(argv[i], "--bundle") || !strcmp(argv[i], "-b")) && i + 1 < argc) {
            bundle = argv[++i];
        } else if (!strncmp(argv[i], "--bundle=", 9)) {
            bundle = argv[i] + 9;
        } else if (strcmp(argv[i], "--rootless")) {
            return cli_failf(OSBOX_EXIT_USAGE, "spec: unknown option '%s'", argv[i]);
        }
    }
    path = osbox_strdup_printf("%s/config.json", bundle);
    if (access(path, F_OK) == 0)
        return oci_failf("%s already exists: remove it first", path);
    o = oci_default_config();
    text = json_dumps(o, JSON_INDENT(2));
    json_decref(o);
    rc = osbox_write_file(path, text, strlen(text), 0644, &err);
    free(text);
    return rc < 0 ? oci_fail(&err) : 0;
}
