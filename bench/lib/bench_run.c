/* One `osbox bench`: the workloads, each in every mode asked for, runs times,
 * modes interleaved run by run so that drift on a busy machine hits all
 * alike; the notes the report repeats. See bench.h. */
#include <stdlib.h>
#include <string.h>

#include "bench/lib/bench.h"
#include "util.h"

/* The workloads of a run, parsed once. */
struct plan {
    size_t n;
    char **names;
    char ***args, ***vm_args; /* vm_args[i]: smaller ones for a slow VM, or NULL */
};

static void plan_free(struct plan *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->names[i]);
        osbox_strv_free(p->args[i]);
        osbox_strv_free(p->vm_args[i]);
    }
    free(p->names);
    free(p->args);
    free(p->vm_args);
}

static int plan_make(const struct bench_config *cfg, const char *wl_dir, bool slow_vm,
                     struct plan *p, struct osbox_err *err)
{
    size_t given = osbox_strv_len(cfg->workloads);

    p->n = given ? given : bench_n_workloads();
    p->names = osbox_xcalloc(p->n + 1, sizeof *p->names);
    p->args = osbox_xcalloc(p->n + 1, sizeof *p->args);
    p->vm_args = osbox_xcalloc(p->n + 1, sizeof *p->vm_args);
    for (size_t i = 0; i < p->n; i++) {
        const char *spec = given ? cfg->workloads[i] : bench_workload_name(i);
        if (bench_parse_workload(spec, wl_dir, &p->names[i], &p->args[i], err) < 0)
            return -1;
        if (slow_vm && !strchr(spec, ':'))
            p->vm_args[i] = bench_small_args(p->names[i]);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(p->names[j], p->names[i])) { /* rows are keyed by workload and metric */
                osbox_error(err, 0, "bench: workload '%s' given twice", p->names[i]);
                err->exit_status = OSBOX_EXIT_USAGE;
                return -1;
            }
    }
    return 0;
}

static void add_notes(const struct bench_config *cfg, const struct bench_vm_env *vm,
                      struct bench_results *res)
{
    osbox_strv_push(&res->notes, "Start-up: wall clock from osbox launching the program to the "
                                 "workload's first instruction (a constructor reads the clock).");
    if (cfg->modes[BENCH_VM]) {
        osbox_strv_push(&res->notes, "VM: `osbox vm run` of the image (a private copy of its "
                                     "ext2 disk, the osbox guest kernel); memory is the monitor's "
                                     "RSS, guest pages it touched included. The guest's "
                                     "CLOCK_REALTIME comes from KVM's pvclock, in step with the "
                                     "host's.");
        if (vm->note) {
            _cleanup_free_ char *n = osbox_strdup_printf("VM mode: %s", vm->note);
            osbox_strv_push(&res->notes, n);
            res->vm_note = osbox_xstrdup(vm->note);
        }
    }
    osbox_strv_push(&res->notes, "Memory: peak RSS summed over the launched process tree, "
                                 "sampled every 10 ms (a page shared by several processes counts in each).");
    if (cfg->modes[BENCH_CONTAINER])
        osbox_strv_push(&res->notes, cfg->image ? "Container: `osbox run --rm` of the given image."
                                                : "Container: `osbox run --rm --rootfs` of a "
                                                  "directory holding only the static workloads.");
}

/* Workload i of p, every run, every mode; a failure is not retried in that mode. */
static void run_workload(const struct bench_config *cfg, const struct bench_launch *launch,
                         const struct bench_vm_env *vm, const struct plan *p, size_t i,
                         struct bench_results *res)
{
    bool failed[BENCH_NMODES] = { false };

    for (int run = 0; run < cfg->runs; run++) {
        for (int m = 0; m < BENCH_NMODES; m++) {
            struct bench_invocation inv = { .workload = p->names[i], .mode = (enum bench_mode)m,
                                            .timeout_s = cfg->timeout_s,
                                            .startup_from_output = m == BENCH_VM && vm->harness };
            struct osbox_err err;

            if (!cfg->modes[m] || failed[m])
                continue;
            if (cfg->progress)
                cfg->progress(p->names[i], (enum bench_mode)m, run + 1, cfg->runs, cfg->ctx);
            inv.argv = bench_mode_argv((enum bench_mode)m, launch, p->names[i],
                                       m == BENCH_VM && p->vm_args[i] ? p->vm_args[i] : p->args[i]);
            osbox_err_clear(&err);
            if (bench_exec(&inv, res, &err) < 0) {
                res->failures++;
                failed[m] = true;
                if (cfg->failed)
                    cfg->failed(&err, cfg->ctx);
            }
            osbox_strv_free(inv.argv);
        }
    }
}

int bench_run(const struct bench_config *cfg, struct bench_results *res, struct osbox_err *err)
{
    struct bench_vm_env vm = { 0 };
    struct plan p = { 0 };
    char *wl_dir = cfg->wl_dir ? osbox_xstrdup(cfg->wl_dir) : bench_default_workload_dir();
    char *tmpdir = NULL, *rootfs = NULL;
    int rc = -1;

    memset(res, 0, sizeof *res);
    memcpy(res->modes, cfg->modes, sizeof res->modes);
    res->runs = cfg->runs;
    if ((cfg->modes[BENCH_VM] && bench_vm_detect(cfg->image, &vm, err) < 0) ||
        plan_make(cfg, wl_dir, vm.slow, &p, err) < 0)
        goto out;
    add_notes(cfg, &vm, res);
    if (cfg->modes[BENCH_CONTAINER] && !cfg->image &&
        bench_make_rootfs(wl_dir, &tmpdir, &rootfs, err) < 0)
        goto out;
    struct bench_launch launch = { .wl_dir = wl_dir, .rootfs = rootfs, .image = cfg->image,
                                   .image_dir = cfg->image_dir, .vm_image = cfg->image,
                                   .harness = vm.harness, .harness_oci = vm.harness_oci };
    for (size_t i = 0; i < p.n; i++)
        run_workload(cfg, &launch, &vm, &p, i, res);
    rc = 0;
out:
    if (tmpdir)
        osbox_rm_rf(tmpdir, &(struct osbox_err){ 0 });
    plan_free(&p);
    bench_vm_env_free(&vm);
    free(tmpdir);
    free(rootfs);
    free(wl_dir);
    return rc;
}
