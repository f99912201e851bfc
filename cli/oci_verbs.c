/* osbox-oci state / kill / delete / list / ps / features / spec. */
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

static int parse_signal(const char *s)
{
    long long n;
    struct osbox_err err;

    if (isdigit((unsigned char)s[0]))
        return osbox_parse_int(s, 1, 64, &n, &err) < 0 ? -1 : (int)n;
    if (!strncasecmp(s, "SIG", 3))
        s += 3;
    for (int i = 1; i < NSIG; i++) {
        const char *name = sigabbrev_np(i);
        if (name && !strcasecmp(name, s))
            return i;
    }
    return -1;
}

/* The pid namespace's processes, as the host sees them. */
int oci_container_pids(pid_t init, int **pids, size_t *n)
{
    char path[300], want[64], got[64];
    DIR *d;
    struct dirent *e;
    ssize_t len;

    *pids = NULL;
    *n = 0;
    snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)init);
    len = readlink(path, want, sizeof want - 1);
    if (len <= 0)
        return -1;
    want[len] = '\0';
    if (!(d = opendir("/proc")))
        return -1;
    while ((e = readdir(d))) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        snprintf(path, sizeof path, "/proc/%s/ns/pid", e->d_name);
        len = readlink(path, got, sizeof got - 1);
        if (len <= 0)
            continue;
        got[len] = '\0';
        if (strcmp(got, want))
            continue;
        *pids = realloc(*pids, (*n + 1) * sizeof **pids);
        if (!*pids)
            abort();
        (*pids)[(*n)++] = atoi(e->d_name);
    }
    closedir(d);
    return 0;
}

int oci_kill_main(int argc, char **argv)
{
    struct oci_state st;
    struct osbox_err err;
    bool all = false;
    int sig = SIGTERM, first = 1;
    const char *status;

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
    if (argc - first == 2 && (sig = parse_signal(argv[first + 1])) < 0)
        return oci_failf("kill: unknown signal '%s'", argv[first + 1]);
    if (oci_state_read(oci_g.root, argv[first], &st, &err) < 0)
        return oci_fail(&err);
    status = oci_state_status(oci_g.root, &st);
    if (strcmp(status, "created") && strcmp(status, "running")) {
        oci_state_free(&st);
        return oci_failf("container %s is %s: nothing to signal", argv[first], status);
    }
    if (all) {
        int *pids;
        size_t n;
        if (oci_container_pids(st.pid, &pids, &n) == 0) {
            for (size_t i = 0; i < n; i++)
                if (pids[i] != st.pid)
                    kill(pids[i], sig);
            free(pids);
        }
    }
    if (kill(st.pid, sig) < 0) {
        osbox_error(&err, errno, "kill %s", argv[first]);
        oci_state_free(&st);
        return oci_fail(&err);
    }
    oci_state_free(&st);
    return 0;
}

int oci_delete_main(int argc, char **argv)
{
    struct oci_state st;
    struct osbox_err err;
    bool force = false;
    int first = 1, rc;
    const char *status;

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
    if (oci_state_read(oci_g.root, argv[first], &st, &err) < 0) {
        _cleanup_free_ char *dir = NULL;
        /* A create killed halfway leaves a dir without state: --force removes it. */
        if (force && oci_state_dir(oci_g.root, argv[first], &dir, NULL) == 0 && access(dir, F_OK) == 0)
            return osbox_rm_rf(dir, &err) < 0 ? oci_fail(&err) : 0;
        return oci_fail(&err);
    }
    status = oci_state_status(oci_g.root, &st);
    if (!force && !strcmp(status, "running")) {
        oci_state_free(&st);
        return oci_failf("cannot delete container %s: it is running (stop it, or use --force)",
                         argv[first]);
    }
    rc = oci_do_delete(&st, &err);
    oci_state_free(&st);
    return rc < 0 ? oci_fail(&err) : 0;
}

int oci_list_main(int argc, char **argv)
{
    bool json = false, quiet = false;
    DIR *d;
    struct dirent *e;
    json_t *arr = json_array();

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("Usage: %s list [--format table|json] [-q]\n", cli_program_name);
            json_decref(arr);
            return 0;
        } else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
            quiet = true;
        } else if (!strcmp(argv[i], "--format=json") ||
                   (!strcmp(argv[i], "--format") && i + 1 < argc && !strcmp(argv[++i], "json"))) {
            json = true;
        } else if (strcmp(argv[i], "--format=table") && strcmp(argv[i], "table")) {
            json_decref(arr);
            return cli_failf(OSBOX_EXIT_USAGE, "list: unknown option '%s'", argv[i]);
        }
    }
    if (!json && !quiet)
        printf("%-20s %-8s %-8s %-40s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED");
    d = opendir(oci_g.root);
    while (d && (e = readdir(d))) {
        struct oci_state st;
        struct osbox_err err;
        if (e->d_name[0] == '.' || oci_state_read(oci_g.root, e->d_name, &st, &err) < 0)
            continue;
        if (json) {
            json_array_append_new(arr, oci_state_json(oci_g.root, &st));
        } else if (quiet) {
            printf("%s\n", st.id);
        } else {
            const char *status = oci_state_status(oci_g.root, &st);
            printf("%-20s %-8d %-8s %-40s %s\n", st.id, strcmp(status, "stopped") ? (int)st.pid : 0,
                   status, st.bundle, st.created);
        }
        oci_state_free(&st);
    }
    if (d)
        closedir(d);
    if (json) {
        json_dumpf(arr, stdout, JSON_INDENT(2));
        putchar('\n');
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
    if (!oci_pid_alive(st.pid, st.pid_start) || oci_container_pids(st.pid, &pids, &n) < 0) {
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
    static const char *mount_opts[] = { "ro", "rw", "nosuid", "suid", "nodev", "dev", "noexec",
                                        "exec", "bind", "rbind", "relatime", "strictatime",
                                        "noatime", "nodiratime", "sync", "async", "defaults",
                                        "private", "rprivate", "tmpcopyup", NULL };
    json_t *o, *hooks = json_array(), *mo = json_array();

    if (cli_wants_help(argc, argv)) {
        printf("Usage: %s features\n", cli_program_name);
        return 0;
    }
    for (int k = 0; k < OCI_HOOK_N; k++)
        json_array_append_new(hooks, json_string(oci_hook_names[k]));
    for (int i = 0; mount_opts[i]; i++)
        json_array_append_new(mo, json_string(mount_opts[i]));
    o = json_pack("{s:s, s:s, s:o, s:o, s:{s:[s,s,s,s,s,s,s], s:{s:b, s:b, s:b}, s:{s:b}, "
                  "s:{s:b}, s:{s:b}}, s:{s:s}}",
                  "ociVersionMin", "1.0.0", "ociVersionMax", OCI_VERSION, "hooks", hooks,
                  "mountOptions", mo, "linux", "namespaces", "pid", "network", "ipc", "uts",
                  "mount", "cgroup", "time", "cgroup", "v1", 1, "v2", 1, "systemd", 0, "seccomp",
                  "enabled", 1, "apparmor", "enabled", 0, "selinux", "enabled", 0,
                  "annotations", "org.osbox.runtime", "osbox-oci");
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
