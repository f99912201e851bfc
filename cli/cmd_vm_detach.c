/* osbox vm ps | logs | stop | rm | inspect, and the -d of vm run/boot:
 * argv parsed, the VM backend's detached-VM calls (vmm/backend/vm_backend.h),
 * tables and JSON printed. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "runtime/lifecycle/lifecycle.h"
#include "util.h"
#include "vm_run.h"

int vm_cli_detach(struct vm_spec *spec, const struct vm_detach_opts *o)
{
    struct osbox_err err = { 0 };
    char id[65];

    if (vm_detach_start(spec, o, id, &err) < 0)
        return cli_fail(&err);
    printf("%s\n", id);
    return 0;
}

/* optind onwards: one VM each; op's failures printed, the last one's status returned. */
static int each_vm(int argc, char **argv, int (*op)(const char *name, const void *arg,
                                                    struct osbox_err *err),
                   const void *arg, bool print)
{
    int rc = 0;

    for (int i = optind; i < argc; i++) {
        struct osbox_err err = { 0 };
        char name[VM_NAME_MAX + 1];
        if (vm_lookup(argv[i], name, &err) < 0 || op(name, arg, &err) < 0) {
            rc = cli_fail(&err);
            continue;
        }
        if (print)
            printf("%s\n", argv[i]);
    }
    return rc;
}

static int stop_op(const char *name, const void *arg, struct osbox_err *err)
{
    return vm_detached_stop(name, *(const int *)arg, err);
}

static int rm_op(const char *name, const void *arg, struct osbox_err *err)
{
    return vm_detached_remove(name, *(const bool *)arg, err);
}

static const char stop_usage[] =
    "Usage: osbox vm stop [-t SECONDS] VM...\n\n"
    "Ask each VM to shut down (its power button: the osbox guest sends its init\n"
    "SIGTERM), kill it after SECONDS (default 10) if it is still running, and\n"
    "return once it is down. A VM that is not running is left as it is.\n";
static const char rm_usage[] =
    "Usage: osbox vm rm [-f] VM...\n\n"
    "Remove stopped VMs' state and logs; -f kills a running one first.\n";

static int vm_stop_main(int argc, char **argv)
{
    static const struct option opts[] = { { "time", required_argument, NULL, 't' },
                                          { "help", no_argument, NULL, 'h' }, { 0 } };
    struct osbox_err err = { 0 };
    long long t = 10;
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+t:h", opts, NULL)) != -1) {
        if (c == 'h')
            return fputs(stop_usage, stdout), 0;
        if (c != 't')
            return cli_failf(OSBOX_EXIT_USAGE, "vm stop: bad option '%s'", argv[optind - 1]);
        if (osbox_parse_int(optarg, 0, 3600, &t, &err) < 0)
            return cli_failf(OSBOX_EXIT_USAGE, "vm stop: -t: %s", err.msg);
    }
    if (optind >= argc)
        return cli_failf(OSBOX_EXIT_USAGE, "vm stop: which VM?");
    int timeout = (int)t;
    return each_vm(argc, argv, stop_op, &timeout, true);
}

static int vm_rm_main(int argc, char **argv)
{
    static const struct option opts[] = { { "force", no_argument, NULL, 'f' },
                                          { "help", no_argument, NULL, 'h' }, { 0 } };
    bool force = false;
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+fh", opts, NULL)) != -1) {
        if (c == 'h')
            return fputs(rm_usage, stdout), 0;
        if (c != 'f')
            return cli_failf(OSBOX_EXIT_USAGE, "vm rm: bad option '%s'", argv[optind - 1]);
        force = true;
    }
    if (optind >= argc)
        return cli_failf(OSBOX_EXIT_USAGE, "vm rm: which VM?");
    return each_vm(argc, argv, rm_op, &force, true);
}

static int vm_logs_main(int argc, char **argv)
{
    static const char help[] =
        "Usage: osbox vm logs [-f] [-t] [--tail N] VM\n\n"
        "The VM's serial console (stdout) and its monitor's messages (stderr),\n"
        "as `osbox logs` shows a container's; -f follows while the VM runs.\n";
    struct logs_opts lo;
    struct osbox_err err = { 0 };
    char name[VM_NAME_MAX + 1];
    const char *arg;
    int rc;

    if ((rc = cli_parse_logs_args(argc, argv, "vm logs", help, &lo, &arg)) >= 0)
        return rc;
    if (vm_lookup(arg, name, &err) < 0 || vm_detached_logs(name, &lo, &err) < 0)
        return cli_fail(&err);
    return 0;
}

static int vm_inspect_main(int argc, char **argv)
{
    json_t *all = json_array();
    int rc = 0;

    if (cli_wants_help(argc, argv)) {
        puts("Usage: osbox vm inspect VM...\n\nEach VM's record and state as a JSON array.");
        json_decref(all);
        return 0;
    }
    if (argc < 2) {
        json_decref(all);
        return cli_failf(OSBOX_EXIT_USAGE, "vm inspect: which VM?");
    }
    for (int i = 1; i < argc; i++) {
        struct osbox_err err = { 0 };
        char name[VM_NAME_MAX + 1];
        json_t *rec = NULL;
        if (vm_lookup(argv[i], name, &err) < 0 || !(rec = vm_inspect_json(name, &err)))
            rc = cli_fail(&err);
        else
            json_array_append_new(all, rec);
    }
    if (json_array_size(all)) {
        json_dumpf(all, stdout, JSON_INDENT(4));
        putchar('\n');
    }
    json_decref(all);
    return rc;
}

static void status_text(json_t *v, char *buf, size_t len)
{
    const char *state = json_string_value(json_object_get(v, "state"));

    if (state && !strcmp(state, "exited"))
        snprintf(buf, len, "exited (%d)", (int)json_integer_value(json_object_get(v, "exit_code")));
    else
        snprintf(buf, len, "%s", state ? state : "?");
}

static int vm_ps_main(int argc, char **argv)
{
    static const struct option opts[] = { { "all", no_argument, NULL, 'a' },
                                          { "quiet", no_argument, NULL, 'q' },
                                          { "help", no_argument, NULL, 'h' }, { 0 } };
    bool all = false, quiet = false;
    size_t i;
    json_t *list, *v;
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "aqh", opts, NULL)) != -1) {
        if (c == 'a')
            all = true;
        else if (c == 'q')
            quiet = true;
        else if (c == 'h')
            return puts("Usage: osbox vm ps [-a] [-q]\n\nRunning detached VMs; -a: stopped "
                        "ones too; -q: names only."), 0;
        else
            return cli_failf(OSBOX_EXIT_USAGE, "vm ps: bad option '%s'", argv[optind - 1]);
    }
    if (optind < argc)
        return cli_failf(OSBOX_EXIT_USAGE, "vm ps: unexpected argument '%s'", argv[optind]);
    list = vm_list_json(all);
    if (!quiet)
        printf("%-12s  %-20s  %-24s  %-12s  %s\n", "VM ID", "NAME", "IMAGE", "STATUS", "COMMAND");
    json_array_foreach(list, i, v) {
        const char *name = json_string_value(json_object_get(v, "name"));
        char st[32], cmd[64] = "";
        size_t j, used = 0;
        json_t *w;
        if (quiet) {
            printf("%s\n", name);
            continue;
        }
        status_text(v, st, sizeof st);
        json_array_foreach(json_object_get(v, "command"), j, w) {
            if (used < sizeof cmd - 1)
                used += (size_t)snprintf(cmd + used, sizeof cmd - used, "%s%s", j ? " " : "",
                                         json_string_value(w));
        }
        printf("%-12.12s  %-20s  %-24s  %-12s  \"%s\"\n",
               json_string_value(json_object_get(v, "id")), name,
               json_string_value(json_object_get(v, "image")) ?: "", st, cmd);
    }
    json_decref(list);
    return 0;
}

int vm_detached_main(int argc, char **argv)
{
    if (!strcmp(argv[0], "ps"))
        return vm_ps_main(argc, argv);
    if (!strcmp(argv[0], "logs"))
        return vm_logs_main(argc, argv);
    if (!strcmp(argv[0], "stop"))
        return vm_stop_main(argc, argv);
    if (!strcmp(argv[0], "rm"))
        return vm_rm_main(argc, argv);
    if (!strcmp(argv[0], "inspect"))
        return vm_inspect_main(argc, argv);
    return -1;
}
