/* The bench library: the same workload binaries run on the host, in a
 * container and in a VM, measured and compared. `osbox bench`
 * (cli/cmd_bench.c) parses its options, calls bench_run and prints; this
 * header ties together the pieces:
 *   bench_run.c      one bench: the workloads x modes x runs, interleaved
 *   bench_world.c    the workloads, and the command line that runs one in a mode
 *   bench_vm.c       how the vm mode runs here (KVM, kvm-pvm, nested harness)
 *   bench_exec.c     run one invocation, collect its JSON lines, start-up, memory
 *   bench_stats.c    median / spread / ratios
 *   bench_table.c    the terminal table
 *   bench_json.c     the --json file
 *   bench_html.c     the --html report (inline SVG)
 *   bench_explain.c  what each row shows about the OS (after the course) */
#ifndef OSBOX_BENCH_LIB_BENCH_H
#define OSBOX_BENCH_LIB_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "osbox_err.h"

enum bench_mode { BENCH_HOST, BENCH_CONTAINER, BENCH_VM, BENCH_NMODES };
extern const char *const bench_mode_names[BENCH_NMODES];

/* All values one quantity got in one mode, one per run. */
struct bench_series {
    double *v;
    size_t n;
};
void bench_series_add(struct bench_series *s, double v);
void bench_series_free(struct bench_series *s);

struct bench_summary {
    size_t n;
    double median, min, max, mean, stdev;
    double spread_pct; /* half the range, in percent of the median */
};
/* Summary of s; n = 0 when empty. */
struct bench_summary bench_summarize(const struct bench_series *s);

/* One workload metric (e.g. syscall getpid_ns) across the modes. */
struct bench_row {
    char *workload;
    char *metric;
    char *unit;
    struct bench_series mode[BENCH_NMODES];
};

struct bench_results {
    bool modes[BENCH_NMODES]; /* modes that were run */
    int runs;
    struct bench_row *rows;
    size_t n_rows;
    /* Per mode, one value per invocation: ms from launch to the workload's
     * first instruction; peak KiB of RSS summed over the process tree. */
    struct bench_series startup_ms[BENCH_NMODES];
    struct bench_series mem_kib[BENCH_NMODES];
    /* The same peaks per workload (metric "peak_rss", MiB): memory depends on
     * the workload, so the overhead of a mode is taken workload by workload. */
    struct bench_row *mem;
    size_t n_mem;
    char **notes; /* lines the report repeats (method, caveats) */
    char *vm_note; /* how the vm mode ran, when it is not plain KVM (also in notes) */
    int failures; /* invocations that failed */
};
/* Find or add the row; strings copied. */
struct bench_row *bench_row_get(struct bench_results *r, const char *workload, const char *metric,
                                const char *unit);
/* Find or add the workload's memory row in r->mem. */
struct bench_row *bench_mem_row(struct bench_results *r, const char *workload);
void bench_results_free(struct bench_results *r);
/* What mode m adds to the host's memory: the median over workloads of
 * (median peak in m - median peak on the host), in MiB. False if unknown. */
bool bench_mem_overhead(const struct bench_results *r, enum bench_mode m, double *mib);

/* True for units where more is better (MB/s): the ratio reads the other way. */
bool bench_higher_is_better(const char *unit);
/* "1.23", "146", "0.0042": about three significant digits, no exponent. */
void bench_fmt(double v, char *buf, size_t len);

/* One invocation of a workload. */
struct bench_invocation {
    char **argv;         /* what to exec (osbox run ..., or the binary itself) */
    const char *workload;/* the workload's name, to check the lines' "workload" */
    enum bench_mode mode;
    int timeout_s;
    /* Start-up = launch to the first byte on stdout, not the workload's own
     * startup_us (for a VM whose clock is not the host's). */
    bool startup_from_output;
};
/* Run it: stdout lines parsed into rows of r (start-up lines into
 * r->startup_ms), peak memory into r->mem_kib. OSBOX_BENCH_T0 is set in the
 * child's environment (the container/VM launcher passes it on: argv must
 * carry it, so argv may contain the literal "OSBOX_BENCH_T0=@" which is
 * replaced by the real value). Fails on non-zero exit, timeout, no metrics. */
int bench_exec(const struct bench_invocation *inv, struct bench_results *r, struct osbox_err *err);

/* The workloads (bench_world.c). */
size_t bench_n_workloads(void);
const char *bench_workload_name(size_t i); /* NULL past the end */
/* $OSBOX_WORKLOADS, else next to the osbox binary (build/osbox -> build/workloads),
 * else ../lib/osbox/workloads from it, else /usr/local/lib/osbox/workloads. */
char *bench_default_workload_dir(void);
/* "memlat:64m,1m" -> name "memlat", args {"64m","1m"}; the bench defaults when
 * no ":"; network workloads get "local" first. Unknown name: exit_status 2. */
int bench_parse_workload(const char *spec, const char *wl_dir, char **name, char ***args,
                         struct osbox_err *err);
/* Smaller default arguments for a slow VM (kvm-pvm, software emulation):
 * counts cut so one invocation takes seconds, not hours. Per-operation
 * metrics stay comparable; NULL if the workload has none. */
char **bench_small_args(const char *name);
/* A rootfs for container mode under $OSBOX_RUN/bench/<id>/rootfs: the
 * workloads in /bench, and dev proc sys tmp etc run. *dir_out is what to remove. */
int bench_make_rootfs(const char *wl_dir, char **dir_out, char **rootfs_out,
                      struct osbox_err *err);
struct bench_launch {
    const char *wl_dir;    /* host: the binaries */
    const char *rootfs;    /* container: bench_make_rootfs()'s, unless image */
    const char *image;     /* container: run from this image instead */
    const char *image_dir; /* where the image holds the workloads */
    const char *vm_image;  /* vm: `osbox vm run` this image (default busybox) */
    const char *harness;   /* vm: run inside tests/kvm/run-in-kvm-vm.sh (no /dev/kvm) */
    const char *harness_oci; /* vm in the harness: load this OCI layout there first */
};

/* How the vm mode runs here (bench_vm.c). */
struct bench_vm_env {
    char *harness;     /* NULL: /dev/kvm works here */
    char *harness_oci; /* the busybox OCI layout to load inside the harness */
    bool pvm;          /* /dev/kvm is kvm-pvm (software-assisted) */
    bool slow;         /* pvm or harness: use bench_small_args() */
    char *note;        /* what the report says about it, NULL for plain KVM */
};
int bench_vm_detect(const char *image, struct bench_vm_env *vm, struct osbox_err *err);
void bench_vm_env_free(struct bench_vm_env *vm);
/* argv running workload `name` with args in mode (see bench_exec for the
 * OSBOX_BENCH_T0=@ placeholder it contains for launchers). */
char **bench_mode_argv(enum bench_mode mode, const struct bench_launch *l, const char *name,
                       char **args);

/* One bench (bench_run.c). */
struct bench_config {
    bool modes[BENCH_NMODES];
    int runs, timeout_s;
    char **workloads;       /* "memlat:64m,1m" ...; NULL or empty: every workload */
    const char *wl_dir;     /* NULL: bench_default_workload_dir() */
    const char *image;      /* container and vm modes: this image (see bench_launch) */
    const char *image_dir;  /* where it holds the workloads */
    /* Told before each invocation, and of each one that failed (may be NULL). */
    void (*progress)(const char *workload, enum bench_mode m, int run, int runs, void *ctx);
    void (*failed)(const struct osbox_err *err, void *ctx);
    void *ctx;
};
/* Fills res (freed by the caller with bench_results_free, also on failure).
 * Fails only before anything ran (a bad workload: exit_status 2, no vm mode
 * here, no rootfs); failed invocations count in res->failures. */
int bench_run(const struct bench_config *cfg, struct bench_results *res, struct osbox_err *err);

/* Output. */
void bench_print_table(FILE *out, const struct bench_results *r);
int bench_write_json(const char *path, const struct bench_results *r, struct osbox_err *err);
int bench_write_html(const char *path, const struct bench_results *r, struct osbox_err *err);

/* What a workload / metric shows about the OS; never NULL. */
const char *bench_explain_workload(const char *workload);
const char *bench_explain_metric(const char *workload, const char *metric);

#endif
