/* osbox bench: run the workloads on the host and in a container (the VM mode
 * comes with `osbox vm run`), several times each, and compare. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "cli.h"
#include "util.h"

/* Each workload with the arguments a bench run uses by default: big enough
 * to be stable, small enough that a full bench takes about a minute. */
static const struct {
    const char *name, *args;
} known[] = {
    { "syscall", "1000000" },      { "ctxswitch", "20000" },  { "fork", "500 1024" },
    { "pagefault", "16384" },      { "memlat", "64m 2m" },    { "cpu", "16m 10m" },
    { "fileio", "32m" },           { "alloc", "1000000" },    { "udp-rtt", "5000" },
    { "tcp-rr", "5000" },          { "tcp-stream", "128m" },
};
#define N_KNOWN (sizeof known / sizeof known[0])

struct bench_opts {
    bool modes[BENCH_NMODES];
    long long runs, timeout;
    const char *json, *html, *wl_dir, *image, *image_dir;
    bool quiet;
};

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: osbox bench [OPTIONS] [WORKLOAD[:ARG,...]...]\n"
            "\n"
            "Run the same static workload binaries on the host and in a container, N times\n"
            "each, and print per metric the median and spread per mode and the ratio to the\n"
            "host, plus start-up time (launch to the workload's first instruction) and memory\n"
            "(peak RSS of the process tree) per mode.\n"
            "\n"
            "Options:\n"
            "  --modes LIST      comma-separated: host,container,vm (default host,container)\n"
            "  --runs N          runs per workload and mode (default 3)\n"
            "  --json FILE       write the results as JSON\n"
            "  --html FILE       write a self-contained HTML report with bar charts\n"
            "  --workloads DIR   where the workload binaries are (default: next to osbox,\n"
            "                    build/workloads, or $OSBOX_WORKLOADS)\n"
            "  --image REF       container mode: run the workloads from this image, in\n"
            "                    --image-dir (default /usr/local/bin); default: a rootfs\n"
            "                    holding just the workloads\n"
            "  --timeout SEC     per invocation (default 600)\n"
            "  -q, --quiet       no progress lines\n"
            "\n"
            "Workloads (default: all): syscall ctxswitch fork pagefault memlat cpu fileio\n"
            "alloc udp-rtt tcp-rr tcp-stream. NAME:ARG,ARG passes arguments, e.g.\n"
            "memlat:256m,4m; the network ones always run in 'local' mode (their own\n"
            "server on 127.0.0.1, inside the mode's network namespace).\n");
}

static int parse_modes(const char *list, bool modes[BENCH_NMODES])
{
    char *copy = osbox_xstrdup(list), *save = NULL;
    int rc = 0;

    memset(modes, 0, sizeof(bool) * BENCH_NMODES);
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int m;
        for (m = 0; m < BENCH_NMODES && strcmp(tok, bench_mode_names[m]); m++)
            ;
        if (m == BENCH_NMODES) {
            rc = cli_failf(OSBOX_EXIT_USAGE, "bench: unknown mode '%s' (host, container, vm)", tok);
            break;
        }
        modes[m] = true;
    }
    free(copy);
    if (!rc && !modes[0] && !modes[1] && !modes[2])
        rc = cli_failf(OSBOX_EXIT_USAGE, "bench: --modes is empty");
    return rc;
}

/* Default workload directory: next to the osbox binary (build/osbox ->
 * build/workloads), else $PREFIX/lib/osbox/workloads. */
static char *default_wl_dir(void)
{
    char exe[PATH_MAX], *slash, *dir;
    ssize_t n;

    if (getenv("OSBOX_WORKLOADS"))
        return osbox_xstrdup(getenv("OSBOX_WORKLOADS"));
    n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        if ((slash = strrchr(exe, '/'))) {
            *slash = '\0';
            dir = osbox_strdup_printf("%s/workloads", exe);
            if (access(dir, X_OK) == 0)
                return dir;
            free(dir);
            dir = osbox_strdup_printf("%s/../lib/osbox/workloads", exe);
            if (access(dir, X_OK) == 0)
                return dir;
            free(dir);
        }
    }
    return osbox_xstrdup("/usr/local/lib/osbox/workloads");
}

/* "memlat:64m,1m" -> name "memlat", args {"64m","1m"} (default args when none). */
static int parse_workload(const char *spec, const char *wl_dir, char **name, char ***args)
{
    const char *colon = strchr(spec, ':');
    size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
    size_t k;
    char *copy, *save = NULL, *path;

    for (k = 0; k < N_KNOWN; k++)
        if (strlen(known[k].name) == len && !strncmp(known[k].name, spec, len))
            break;
    if (k == N_KNOWN)
        return cli_failf(OSBOX_EXIT_USAGE, "bench: unknown workload '%.*s' (see --help)",
                         (int)len, spec);
    path = osbox_strdup_printf("%s/%s", wl_dir, known[k].name);
    if (access(path, X_OK)) {
        int rc = cli_failf(OSBOX_EXIT_FAILED, "bench: workload %s: %s (build with 'make', or "
                           "use --workloads DIR)", path, strerror(errno));
        free(path);
        return rc;
    }
    free(path);
    *name = osbox_xstrdup(known[k].name);
    *args = NULL;
    if (!strncmp(known[k].name, "udp", 3) || !strncmp(known[k].name, "tcp", 3))
        osbox_strv_push(args, "local");
    copy = osbox_xstrdup(colon ? colon + 1 : known[k].args);
    for (char *tok = strtok_r(copy, colon ? "," : " ", &save); tok;
         tok = strtok_r(NULL, colon ? "," : " ", &save))
        if (strcmp(tok, "local")) /* added above for the network ones */
            osbox_strv_push(args, tok);
    free(copy);
    if (!*args)
        *args = osbox_xcalloc(1, sizeof(char *));
    return 0;
}

static int copy_file(const char *from, const char *to, struct osbox_err *err)
{
    _cleanup_close_ int in = open(from, O_RDONLY | O_CLOEXEC);
    _cleanup_close_ int out = -1;
    struct stat st;

    if (in < 0 || fstat(in, &st))
        return osbox_error(err, errno, "open %s", from);
    out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    if (out < 0)
        return osbox_error(err, errno, "create %s", to);
    for (off_t off = 0; off < st.st_size;) {
        ssize_t n = sendfile(out, in, &off, (size_t)(st.st_size - off));
        if (n <= 0)
            return osbox_error(err, n < 0 ? errno : EIO, "copy %s", from);
    }
    return 0;
}

/* A minimal root filesystem for container mode: the static workloads in
 * /bench plus the directories the runtime mounts over. */
static int make_rootfs(const char *wl_dir, char **dir_out, char **rootfs_out, struct osbox_err *err)
{
    static const char *const dirs[] = { "bench", "dev", "proc", "sys", "tmp", "etc", "run" };
    char id[65], *dir, *rootfs;

    if (osbox_random_id(id, err) < 0)
        return -1;
    dir = osbox_strdup_printf("%s/bench/%.12s", osbox_run_dir(), id);
    rootfs = osbox_strdup_printf("%s/rootfs", dir);
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char *p = osbox_strdup_printf("%s/%s", rootfs, dirs[i]);
        int rc = osbox_mkdir_p(p, 0755, err);
        free(p);
        if (rc < 0)
            goto fail;
    }
    if (chmod(strchr(rootfs, '\0') ? rootfs : rootfs, 0755) < 0) {
        osbox_error(err, errno, "chmod %s", rootfs);
        goto fail;
    }
    for (size_t k = 0; k < N_KNOWN; k++) {
        char *from = osbox_strdup_printf("%s/%s", wl_dir, known[k].name);
        char *to = osbox_strdup_printf("%s/bench/%s", rootfs, known[k].name);
        int rc = access(from, X_OK) ? 0 : copy_file(from, to, err);
        free(from);
        free(to);
        if (rc < 0)
            goto fail;
    }
    {
        char *tmp = osbox_strdup_printf("%s/tmp", rootfs);
        chmod(tmp, 01777);
        free(tmp);
    }
    *dir_out = dir;
    *rootfs_out = rootfs;
    return 0;
fail:
    osbox_rm_rf(dir, &(struct osbox_err){ 0 });
    free(dir);
    free(rootfs);
    return -1;
}

/* argv for one invocation in one mode. */
static char **mode_argv(enum bench_mode mode, const struct bench_opts *o, const char *rootfs,
                        const char *name, char **args)
{
    char **argv = NULL, exe[PATH_MAX];
    ssize_t n;

    /* BENCH_VM (once `osbox vm run` exists): the same as the container branch
     * with "vm", "run" and the image; the guest must report CLOCK_REALTIME in
     * step with the host for start-up to mean anything. */
    if (mode == BENCH_HOST) {
        char *p = osbox_strdup_printf("%s/%s", o->wl_dir, name);
        osbox_strv_push(&argv, p);
        free(p);
    } else {
        n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        exe[n > 0 ? n : 0] = '\0';
        osbox_strv_push(&argv, n > 0 ? exe : "osbox");
        osbox_strv_push(&argv, "run");
        osbox_strv_push(&argv, "--rm");
        osbox_strv_push(&argv, "-e");
        osbox_strv_push(&argv, "OSBOX_BENCH_T0=@");
        if (o->image) {
            char *p = osbox_strdup_printf("%s/%s", o->image_dir, name);
            osbox_strv_push(&argv, o->image);
            osbox_strv_push(&argv, p);
            free(p);
        } else {
            char *p = osbox_strdup_printf("/bench/%s", name);
            osbox_strv_push(&argv, "--rootfs");
            osbox_strv_push(&argv, rootfs);
            osbox_strv_push(&argv, p);
            free(p);
        }
    }
    for (size_t i = 0; args[i]; i++)
        osbox_strv_push(&argv, args[i]);
    return argv;
}

static int parse_opts(int argc, char **argv, struct bench_opts *o)
{
    enum { OPT_MODES = 256, OPT_RUNS, OPT_JSON, OPT_HTML, OPT_WL, OPT_IMAGE, OPT_IMAGE_DIR,
           OPT_TIMEOUT };
    static const struct option longopts[] = {
        { "modes", required_argument, NULL, OPT_MODES },
        { "runs", required_argument, NULL, OPT_RUNS },
        { "json", required_argument, NULL, OPT_JSON },
        { "html", required_argument, NULL, OPT_HTML },
        { "workloads", required_argument, NULL, OPT_WL },
        { "image", required_argument, NULL, OPT_IMAGE },
        { "image-dir", required_argument, NULL, OPT_IMAGE_DIR },
        { "timeout", required_argument, NULL, OPT_TIMEOUT },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    struct osbox_err err = { 0 };
    int c;

    o->modes[BENCH_HOST] = o->modes[BENCH_CONTAINER] = true;
    o->runs = 3;
    o->timeout = 600;
    o->image_dir = "/usr/local/bin";
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+qh", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_MODES:
            if (parse_modes(optarg, o->modes))
                return OSBOX_EXIT_USAGE;
            break;
        case OPT_RUNS:
            if (osbox_parse_int(optarg, 1, 1000, &o->runs, &err) < 0)
                return cli_failf(OSBOX_EXIT_USAGE, "bench: --runs: %s", err.msg);
            break;
        case OPT_TIMEOUT:
            if (osbox_parse_int(optarg, 1, 86400, &o->timeout, &err) < 0)
                return cli_failf(OSBOX_EXIT_USAGE, "bench: --timeout: %s", err.msg);
            break;
        case OPT_JSON: o->json = optarg; break;
        case OPT_HTML: o->html = optarg; break;
        case OPT_WL: o->wl_dir = optarg; break;
        case OPT_IMAGE: o->image = optarg; break;
        case OPT_IMAGE_DIR: o->image_dir = optarg; break;
        case 'q': o->quiet = true; break;
        case 'h': usage(stdout); return -1;
        default:
            if (optopt && optopt < 256)
                return cli_failf(OSBOX_EXIT_USAGE, "bench: bad option '-%c' (see 'osbox bench --help')", optopt);
            return cli_failf(OSBOX_EXIT_USAGE, "bench: bad option '%s' (see 'osbox bench --help')",
                             argv[optind - 1]);
        }
    }
    return 0;
}

static int bench_main(int argc, char **argv)
{
    struct bench_opts o = { 0 };
    struct bench_results res = { 0 };
    struct osbox_err err = { 0 };
    char **names = NULL, ***args = NULL, *wl_dir = NULL, *tmpdir = NULL, *rootfs = NULL;
    size_t n_wl = 0;
    int rc = 0;

    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    if ((rc = parse_opts(argc, argv, &o)))
        return rc < 0 ? 0 : rc;
    if (o.modes[BENCH_VM])
        return cli_failf(OSBOX_EXIT_FAILED,
                         "bench: vm mode is not available yet: needs `osbox vm run`");
    wl_dir = o.wl_dir ? osbox_xstrdup(o.wl_dir) : default_wl_dir();
    o.wl_dir = wl_dir;

    n_wl = optind < argc ? (size_t)(argc - optind) : N_KNOWN;
    names = osbox_xcalloc(n_wl + 1, sizeof *names);
    args = osbox_xcalloc(n_wl + 1, sizeof *args);
    for (size_t i = 0; i < n_wl; i++) {
        const char *spec = optind < argc ? argv[optind + (int)i] : known[i].name;
        if ((rc = parse_workload(spec, wl_dir, &names[i], &args[i])))
            goto out;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(names[j], names[i])) { /* rows are keyed by workload and metric */
                rc = cli_failf(OSBOX_EXIT_USAGE, "bench: workload '%s' given twice", names[i]);
                goto out;
            }
    }

    memcpy(res.modes, o.modes, sizeof res.modes);
    res.runs = (int)o.runs;
    osbox_strv_push(&res.notes, "Start-up: wall clock from osbox launching the program to the "
                                "workload's first instruction (a constructor reads the clock).");
    osbox_strv_push(&res.notes, "VM mode: not measured here yet (it needs `osbox vm run`).");
    osbox_strv_push(&res.notes, "Memory: peak RSS summed over the launched process tree, "
                                "sampled every 10 ms (a page shared by several processes counts in each).");
    if (o.modes[BENCH_CONTAINER]) {
        if (!o.image && make_rootfs(wl_dir, &tmpdir, &rootfs, &err) < 0) {
            rc = cli_fail(&err);
            goto out;
        }
        osbox_strv_push(&res.notes, o.image ? "Container: `osbox run --rm` of the given image."
                                            : "Container: `osbox run --rm --rootfs` of a "
                                              "directory holding only the static workloads.");
    }

    /* Modes interleaved run by run, so drift on a busy machine hits all alike. */
    for (size_t i = 0; i < n_wl; i++) {
        bool failed[BENCH_NMODES] = { false }; /* a failure is not retried in that mode */
        for (int run = 0; run < o.runs; run++) {
            for (int m = 0; m < BENCH_NMODES; m++) {
                struct bench_invocation inv = { .workload = names[i], .mode = (enum bench_mode)m,
                                                .timeout_s = (int)o.timeout };
                if (!o.modes[m] || failed[m])
                    continue;
                if (!o.quiet)
                    fprintf(stderr, "bench: %s, %s, run %d/%lld\n", names[i],
                            bench_mode_names[m], run + 1, o.runs);
                inv.argv = mode_argv((enum bench_mode)m, &o, rootfs, names[i], args[i]);
                osbox_err_clear(&err);
                if (bench_exec(&inv, &res, &err) < 0) {
                    res.failures++;
                    failed[m] = true;
                    cli_fail(&err);
                }
                osbox_strv_free(inv.argv);
            }
        }
    }

    bench_print_table(stdout, &res);
    if (o.json && bench_write_json(o.json, &res, &err) < 0) {
        osbox_error_prefix(&err, "bench: --json");
        rc = cli_fail(&err);
    }
    if (!rc && o.html && bench_write_html(o.html, &res, &err) < 0) {
        osbox_error_prefix(&err, "bench: --html");
        rc = cli_fail(&err);
    }
    if (!rc && res.failures)
        rc = cli_failf(OSBOX_EXIT_FAILED, "bench: %d invocation%s failed", res.failures,
                       res.failures == 1 ? "" : "s");
out:
    if (tmpdir)
        osbox_rm_rf(tmpdir, &(struct osbox_err){ 0 });
    for (size_t i = 0; i < n_wl; i++) {
        free(names[i]);
        osbox_strv_free(args[i]);
    }
    free(names);
    free(args);
    free(tmpdir);
    free(rootfs);
    free(wl_dir);
    bench_results_free(&res);
    return rc;
}

OSBOX_COMMAND(bench_command, .name = "bench",
              .summary = "Run the workloads on the host and in a container; compare",
              .main = bench_main)
