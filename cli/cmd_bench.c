/* osbox bench: run the workloads on the host, in a container and in a VM
 * (`osbox vm run`), several times each, and compare. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
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

static int bench_main(int argc, char **argv)
{
    struct bench_opts o = { 0 };
    struct bench_results res = { 0 };
    struct osbox_err err = { 0 };
    char **names = NULL, ***args = NULL, ***vm_args = NULL, *wl_dir = NULL, *tmpdir = NULL,
         *rootfs = NULL;
    struct bench_vm_env vm = { 0 };
    size_t n_wl = 0;
    int rc = 0;

    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    if ((rc = parse_opts(argc, argv, &o)))
        return rc < 0 ? 0 : rc;
    if (o.modes[BENCH_VM] && bench_vm_detect(o.image, &vm, &err) < 0)
        return cli_fail(&err);
    wl_dir = o.wl_dir ? osbox_xstrdup(o.wl_dir) : bench_default_workload_dir();
    o.wl_dir = wl_dir;

    n_wl = optind < argc ? (size_t)(argc - optind) : bench_n_workloads();
    names = osbox_xcalloc(n_wl + 1, sizeof *names);
    args = osbox_xcalloc(n_wl + 1, sizeof *args);
    vm_args = osbox_xcalloc(n_wl + 1, sizeof *vm_args);
    for (size_t i = 0; i < n_wl; i++) {
        const char *spec = optind < argc ? argv[optind + (int)i] : bench_workload_name(i);
        if (bench_parse_workload(spec, wl_dir, &names[i], &args[i], &err) < 0) {
            rc = cli_fail(&err);
            goto out;
        }
        if (vm.slow && !strchr(spec, ':'))
            vm_args[i] = bench_small_args(names[i]);
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
    if (o.modes[BENCH_VM]) {
        osbox_strv_push(&res.notes, "VM: `osbox vm run` of the image (a private copy of its "
                                    "ext2 disk, the osbox guest kernel); memory is the monitor's "
                                    "RSS, guest pages it touched included. The guest's "
                                    "CLOCK_REALTIME comes from KVM's pvclock, in step with the "
                                    "host's.");
        if (vm.note) {
            char *n = osbox_strdup_printf("VM mode: %s", vm.note);
            osbox_strv_push(&res.notes, n);
            free(n);
            res.vm_note = osbox_xstrdup(vm.note);
        }
    }
    osbox_strv_push(&res.notes, "Memory: peak RSS summed over the launched process tree, "
                                "sampled every 10 ms (a page shared by several processes counts in each).");
    if (o.modes[BENCH_CONTAINER]) {
        if (!o.image && bench_make_rootfs(wl_dir, &tmpdir, &rootfs, &err) < 0) {
            rc = cli_fail(&err);
            goto out;
        }
        osbox_strv_push(&res.notes, o.image ? "Container: `osbox run --rm` of the given image."
                                            : "Container: `osbox run --rm --rootfs` of a "
                                              "directory holding only the static workloads.");
    }

    struct bench_launch launch = { .wl_dir = wl_dir, .rootfs = rootfs, .image = o.image,
                                   .image_dir = o.image_dir, .vm_image = o.image,
                                   .harness = vm.harness, .harness_oci = vm.harness_oci };
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
                inv.startup_from_output = m == BENCH_VM && vm.harness;
                inv.argv = bench_mode_argv((enum bench_mode)m, &launch, names[i],
                                           m == BENCH_VM && vm_args[i] ? vm_args[i] : args[i]);
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
        osbox_strv_free(vm_args[i]);
    }
    free(vm_args);
    bench_vm_env_free(&vm);
    free(names);
    free(args);
    free(tmpdir);
    free(rootfs);
    free(wl_dir);
    bench_results_free(&res);
    return rc;
}

OSBOX_COMMAND(bench_command, .name = "bench",
              .summary = "Run the workloads on the host, in a container and in a VM; compare",
              .main = bench_main)
