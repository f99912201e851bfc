/* osbox-oci [GLOBAL OPTIONS] VERB ...: the OCI runtime command line. Global
 * options as runc's: --root, --log, --log-format, --debug, --systemd-cgroup.
 * The runtime library's own state ($OSBOX_ROOT/$OSBOX_RUN) goes under the
 * OCI root too, so `osbox gc`/`osbox ps` never take an engine's containers
 * (whose creating process has exited by design) for abandoned ones. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli/oci.h"
#include "util.h"

struct oci_globals oci_g;

static void log_line(const char *level, const char *msg)
{
    FILE *f;
    char ts[OSBOX_RFC3339_LEN + 1];

    if (!oci_g.log || !(f = fopen(oci_g.log, "ae")))
        return;
    osbox_rfc3339_now(ts);
    if (oci_g.log_json) {
        json_t *o = json_pack("{s:s, s:s, s:s}", "level", level, "msg", msg, "time", ts);
        char *s = json_dumps(o, JSON_COMPACT);
        fprintf(f, "%s\n", s);
        free(s);
        json_decref(o);
    } else {
        fprintf(f, "time=\"%s\" level=%s msg=\"%s\"\n", ts, level, msg);
    }
    fclose(f);
}

int oci_fail(const struct osbox_err *err)
{
    const char *msg = err->msg[0] ? err->msg : "unknown error";

    fprintf(stderr, "%s: %s\n", cli_program_name, msg);
    log_line("error", msg);
    return 1;
}

int oci_failf(const char *fmt, ...)
{
    struct osbox_err err;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err.msg, sizeof err.msg, fmt, ap);
    va_end(ap);
    return oci_fail(&err);
}

void oci_warn(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s: warning: %s\n", cli_program_name, msg);
    log_line("warning", msg);
}

void oci_warn_all(char **warnings)
{
    for (size_t i = 0; warnings && warnings[i]; i++)
        oci_warn("%s", warnings[i]);
    osbox_strv_free(warnings);
}

void oci_take_warnings(struct oci_config *cfg)
{
    oci_warn_all(cfg->warnings);
    cfg->warnings = NULL;
}

static const struct {
    const char *name;
    int (*main)(int, char **);
    const char *summary;
} verbs[] = {
    { "create", oci_create_main, "create a container from a bundle (waits for start)" },
    { "start", oci_start_main, "start the user process of a created container" },
    { "run", oci_run_main, "create and start a container, wait for it (-d: detach)" },
    { "state", oci_state_main, "print the container's state as JSON" },
    { "kill", oci_kill_main, "send a signal to the container's init (default TERM)" },
    { "delete", oci_delete_main, "delete a stopped (or, with --force, any) container" },
    { "exec", oci_exec_main, "run a process in a running container" },
    { "ps", oci_ps_main, "list the container's processes" },
    { "list", oci_list_main, "list containers" },
    { "features", oci_features_main, "print what this runtime supports as JSON" },
    { "spec", oci_spec_main, "write a default config.json" },
    { "pause", oci_pause_main, "freeze every process of the container" },
    { "resume", oci_pause_main, "thaw a paused container" },
    { "update", oci_update_main, "new limits from --resources FILE|- (linux.resources)" },
};

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: %s [GLOBAL OPTIONS] COMMAND [OPTIONS] ARGS...\n"
            "       osbox oci COMMAND ...\n"
            "\n"
            "The OCI runtime command line (as runc/crun), for container engines.\n"
            "\n"
            "Global options:\n"
            "  --root DIR            state directory (default /run/osbox-oci, or $OSBOX_RUN/oci)\n"
            "  --log FILE            also write errors to FILE\n"
            "  --log-format text|json\n"
            "  --debug               more output\n"
            "  --systemd-cgroup      accepted; cgroups are created under osbox's own cgroup\n"
            "\n"
            "Commands:\n",
            cli_program_name);
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        fprintf(out, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
    fprintf(out, "\nErrors exit 1; 'run' exits with the container's status.\n");
}

/* "--opt value" or "--opt=value"; returns the value or NULL. */
static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);

    if (!strncmp(argv[*i], name, n) && argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (!strcmp(argv[*i], name) && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

static int oci_main(int argc, char **argv)
{
    const char *run = getenv("OSBOX_RUN"), *v;
    static char *root_default, *lib, *live;
    int i;

    root_default = run && *run ? osbox_strdup_printf("%s/oci", run) : osbox_xstrdup("/run/osbox-oci");
    oci_g.root = root_default;
    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "-v") || !strcmp(a, "--version")) {
            printf("osbox-oci version 0.1\nspec: %s\n", OCI_VERSION);
            return 0;
        } else if ((v = opt_value(argc, argv, &i, "--root"))) {
            oci_g.root = v;
        } else if ((v = opt_value(argc, argv, &i, "--log"))) {
            oci_g.log = v;
        } else if ((v = opt_value(argc, argv, &i, "--log-format"))) {
            if (strcmp(v, "text") && strcmp(v, "json"))
                return cli_failf(OSBOX_EXIT_USAGE, "--log-format must be text or json, not '%s'", v);
            oci_g.log_json = !strcmp(v, "json");
        } else if (!strcmp(a, "--debug")) {
            oci_g.debug = true;
        } else if (!strcmp(a, "--systemd-cgroup") || !strncmp(a, "--rootless", 10)) {
            if (!strcmp(a, "--rootless") && i + 1 < argc)
                i++;
        } else if ((v = opt_value(argc, argv, &i, "--criu"))) {
            /* accepted for compatibility; checkpointing is not supported */
        } else {
            return cli_failf(OSBOX_EXIT_USAGE, "unknown global option '%s' (see '%s --help')", a,
                             cli_program_name);
        }
    }
    if (i >= argc) {
        usage(stderr);
        return OSBOX_EXIT_USAGE;
    }
    if (oci_g.root[0] != '/')
        return cli_failf(OSBOX_EXIT_USAGE, "--root must be an absolute path");
    lib = osbox_strdup_printf("%s/.lib", oci_g.root);
    live = osbox_strdup_printf("%s/.run", oci_g.root);
    setenv("OSBOX_ROOT", lib, 1);
    setenv("OSBOX_RUN", live, 1);
    for (size_t k = 0; k < sizeof verbs / sizeof verbs[0]; k++)
        if (!strcmp(argv[i], verbs[k].name))
            return verbs[k].main(argc - i, argv + i);
    /* runc verbs engines may try: a clear "not supported", not "unknown". */
    static const char *const unsupported[] = { "events",
                                               "checkpoint", "restore", NULL };
    for (int k = 0; unsupported[k]; k++)
        if (!strcmp(argv[i], unsupported[k]))
            return oci_failf("%s is not supported by osbox-oci", argv[i]);
    return cli_failf(OSBOX_EXIT_USAGE, "unknown command '%s' (see '%s --help')", argv[i],
                     cli_program_name);
}

OSBOX_COMMAND(oci_command, .name = "oci", .summary = "The OCI runtime CLI for engines (also as osbox-oci)",
              .main = oci_main)
