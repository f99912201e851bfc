/* osbox bench: run the workloads on the host, in a container and in a VM
 * (`osbox vm run`), several times each, and compare (bench/lib/). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/lib/bench.h"
#include "cli.h"
#include "util.h"

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
            "Run the same static workload binaries on the host, in a container and in a VM,\n"
            "N times each, and print per metric the median and spread per mode and the ratio to the\n"
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
            "                    holding just the workloads. vm mode: `osbox vm run` of\n"
            "                    this image (default busybox, which holds the workloads)\n"
            "  --timeout SEC     per invocation (default 600)\n"
            "  -q, --quiet       no progress lines\n"
            "\n"
            "Workloads (default: all): syscall ctxswitch fork pagefault memlat cpu fileio\n"
            "alloc udp-rtt tcp-rr tcp-stream. NAME:ARG,ARG passes arguments, e.g.\n"
            "memlat:256m,4m; the network ones always run in 'local' mode (their own\n"
            "server on 127.0.0.1, inside the mode's network namespace).\n"
            "\n"
            "vm mode: without /dev/kvm it runs inside the nested-KVM harness (software\n"
            "emulation; the report says so). On a slow KVM (kvm-pvm) or in the harness,\n"
            "workloads given without arguments use reduced sizes in the vm mode.\n");
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

static void progress(const char *workload, enum bench_mode m, int run, int runs, void *ctx)
{
    if (!*(const bool *)ctx)
        fprintf(stderr, "bench: %s, %s, run %d/%d\n", workload, bench_mode_names[m], run, runs);
}

static void failed(const struct osbox_err *err, void *ctx)
{
    (void)ctx;
    cli_fail(err);
}

/* The table on stdout, the files asked for; the exit status. */
static int report(const struct bench_opts *o, const struct bench_results *res)
{
    struct osbox_err err = { 0 };

    bench_print_table(stdout, res);
    if (o->json && bench_write_json(o->json, res, &err) < 0) {
        osbox_error_prefix(&err, "bench: --json");
        return cli_fail(&err);
    }
    if (o->html && bench_write_html(o->html, res, &err) < 0) {
        osbox_error_prefix(&err, "bench: --html");
        return cli_fail(&err);
    }
    if (res->failures)
        return cli_failf(OSBOX_EXIT_FAILED, "bench: %d invocation%s failed", res->failures,
                         res->failures == 1 ? "" : "s");
    return 0;
}

static int bench_main(int argc, char **argv)
{
    struct bench_opts o = { 0 };
    struct bench_results res = { 0 };
    struct osbox_err err = { 0 };
    int rc;

    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    if ((rc = parse_opts(argc, argv, &o)))
        return rc < 0 ? 0 : rc;
    struct bench_config cfg = { .runs = (int)o.runs, .timeout_s = (int)o.timeout,
                                .workloads = optind < argc ? argv + optind : NULL,
                                .wl_dir = o.wl_dir, .image = o.image, .image_dir = o.image_dir,
                                .progress = progress, .failed = failed, .ctx = &o.quiet };
    memcpy(cfg.modes, o.modes, sizeof cfg.modes);
    rc = bench_run(&cfg, &res, &err) < 0 ? cli_fail(&err) : report(&o, &res);
    bench_results_free(&res);
    return rc;
}

OSBOX_COMMAND(bench_command, .name = "bench",
              .summary = "Run the workloads on the host, in a container and in a VM; compare",
              .main = bench_main)
