/* Shared helpers for the osbox workloads.
 *
 * Every workload is a small static program that runs unchanged on the host, in
 * a container and in the osbox guest kernel, so it uses only plain Linux
 * syscalls (clock_gettime, read/write, fork, wait4, futex, mmap, sockets).
 *
 * Output contract: one JSON object per line and per metric,
 *   {"workload":"syscall","metric":"getpid_ns","value":52.1,"unit":"ns","n":1000000}
 * optionally followed by extra fields. Usage errors: one line on stderr, exit 2. */
#ifndef WL_H
#define WL_H

#include <stdint.h>

struct wl_usage {
    const char *name;  /* workload name, e.g. "syscall" */
    const char *usage; /* full --help text */
};

/* Handle --help / -h (prints usage, exits 0) and remember the workload name.
 * Also prints the start-up metric when OSBOX_BENCH_T0 is set (see wl.c). */
void wl_init(const struct wl_usage *u, int argc, char **argv);

/* One-line usage error on stderr, exit 2. */
__attribute__((noreturn, format(printf, 1, 2))) void wl_usage_error(const char *fmt, ...);
/* One-line runtime error on stderr ("<name>: <msg>: strerror"), exit 1. */
__attribute__((noreturn, format(printf, 1, 2))) void wl_die(const char *fmt, ...);

/* Parse a count ("1000", "10k", "1m") or a size ("4k", "64m", "1g") in [min, max];
 * on junk, a usage error naming `what`. */
uint64_t wl_parse_count(const char *s, uint64_t min, uint64_t max, const char *what);
uint64_t wl_parse_size(const char *s, uint64_t min, uint64_t max, const char *what);
/* argv[i] if present, else def, parsed with the matching parser. */
uint64_t wl_arg_count(int argc, char **argv, int i, uint64_t def, uint64_t min, uint64_t max,
                      const char *what);
uint64_t wl_arg_size(int argc, char **argv, int i, uint64_t def, uint64_t min, uint64_t max,
                     const char *what);
/* Reject arguments beyond the last one the workload takes. */
void wl_max_args(int argc, char **argv, int max_index);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t wl_now_ns(void);

/* Print one metric line. `extra` is NULL or a JSON fragment like "\"bytes\":4096". */
void wl_emit(const char *metric, double value, const char *unit, uint64_t n, const char *extra);

/* Pin the calling thread (and later children) to the first CPU it may run on so
 * that ping-pong tests measure switches, not cross-CPU wake-ups. Returns 1 when
 * pinned, 0 when the kernel does not offer affinity (fine on one-CPU guests). */
int wl_pin_one_cpu(void);

/* Full read/write loops that retry on EINTR and short transfers; -1 on error, 0 on EOF for read. */
long wl_read_full(int fd, void *buf, unsigned long len);
long wl_write_full(int fd, const void *buf, unsigned long len);

/* Sort doubles ascending and return the q-quantile (0..1) of v[0..n). */
double wl_quantile(double *v, uint64_t n, double q);

/* Small fast PRNG (xorshift64*), deterministic from its seed. */
static inline uint64_t wl_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

/* Keep a value alive so the compiler cannot drop the work computing it. */
#define WL_KEEP(x) __asm__ volatile("" : : "r"(x) : "memory")

#endif
