/* Shared helpers for the osbox workloads: arguments, clock, JSON lines. */
#define _GNU_SOURCE
#include "wl.h"

#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *wl_name = "workload";

/* The wall clock at the first user-space code of the process: a constructor
 * runs before main in a static binary, right after the kernel's exec. */
static struct timespec wl_start_wall;
__attribute__((constructor)) static void wl_record_start(void)
{
    clock_gettime(CLOCK_REALTIME, &wl_start_wall);
}

uint64_t wl_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void wl_usage_error(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", wl_name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see '%s --help')\n", wl_name);
    exit(2);
}

void wl_die(const char *fmt, ...)
{
    int e = errno;
    va_list ap;

    fprintf(stderr, "%s: ", wl_name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, ": %s\n", strerror(e));
    exit(1);
}

/* Start-up cost: `osbox bench` puts its own wall clock (ns) at launch into
 * OSBOX_BENCH_T0; the difference to our first instruction is what the world
 * (container set-up, VM boot) cost before the program could run. */
static void wl_emit_startup(void)
{
    const char *t0s = getenv("OSBOX_BENCH_T0");
    char *end;
    unsigned long long t0;
    double start;

    if (!t0s || !*t0s)
        return;
    errno = 0;
    t0 = strtoull(t0s, &end, 10);
    if (errno || *end)
        return;
    start = (double)wl_start_wall.tv_sec * 1e9 + (double)wl_start_wall.tv_nsec;
    wl_emit("startup_us", (start - (double)t0) / 1e3, "us", 1, NULL);
}

void wl_init(const struct wl_usage *u, int argc, char **argv)
{
    wl_name = u->name;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(u->usage, stdout);
            exit(0);
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0' && !(argv[i][1] >= '0' && argv[i][1] <= '9'))
            wl_usage_error("unknown option '%s'", argv[i]);
    }
    wl_emit_startup();
}

static uint64_t parse_scaled(const char *s, uint64_t min, uint64_t max, const char *what,
                             uint64_t k, uint64_t m, uint64_t g)
{
    char *end;
    unsigned long long v;
    uint64_t mult = 1;

    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
        wl_usage_error("bad %s '%s'", what, s ? s : "");
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || end == s)
        wl_usage_error("bad %s '%s'", what, s);
    switch (*end) {
    case '\0': break;
    case 'k': case 'K': mult = k; end++; break;
    case 'm': case 'M': mult = m; end++; break;
    case 'g': case 'G': mult = g; end++; break;
    default: wl_usage_error("bad %s '%s'", what, s);
    }
    if (*end == 'i' && mult != 1 && k == 1024) /* accept "64MiB" / "64MB" spelling too */
        end++;
    if ((*end == 'B' || *end == 'b') && mult != 1 && k == 1024)
        end++;
    if (*end)
        wl_usage_error("bad %s '%s'", what, s);
    if (v > UINT64_MAX / mult)
        wl_usage_error("%s '%s' is too large", what, s);
    v *= mult;
    if (v < min || v > max)
        wl_usage_error("%s '%s' out of range [%llu, %llu]", what, s, (unsigned long long)min,
                       (unsigned long long)max);
    return v;
}

uint64_t wl_parse_count(const char *s, uint64_t min, uint64_t max, const char *what)
{
    return parse_scaled(s, min, max, what, 1000, 1000000, 1000000000);
}

uint64_t wl_parse_size(const char *s, uint64_t min, uint64_t max, const char *what)
{
    return parse_scaled(s, min, max, what, 1024, 1024 * 1024, 1024 * 1024 * 1024);
}

uint64_t wl_arg_count(int argc, char **argv, int i, uint64_t def, uint64_t min, uint64_t max,
                      const char *what)
{
    return i < argc ? wl_parse_count(argv[i], min, max, what) : def;
}

uint64_t wl_arg_size(int argc, char **argv, int i, uint64_t def, uint64_t min, uint64_t max,
                     const char *what)
{
    return i < argc ? wl_parse_size(argv[i], min, max, what) : def;
}

void wl_max_args(int argc, char **argv, int max_index)
{
    if (argc > max_index + 1)
        wl_usage_error("unexpected argument '%s'", argv[max_index + 1]);
}

void wl_emit(const char *metric, double value, const char *unit, uint64_t n, const char *extra)
{
    /* JSON has no inf/nan: a value that is not finite is printed as null so a
     * parser sees the problem instead of choking on the line. */
    if (isfinite(value))
        printf("{\"workload\":\"%s\",\"metric\":\"%s\",\"value\":%.6g,\"unit\":\"%s\",\"n\":%llu",
               wl_name, metric, value, unit, (unsigned long long)n);
    else
        printf("{\"workload\":\"%s\",\"metric\":\"%s\",\"value\":null,\"unit\":\"%s\",\"n\":%llu",
               wl_name, metric, unit, (unsigned long long)n);
    if (extra && *extra)
        printf(",%s", extra);
    printf("}\n");
    fflush(stdout);
}

int wl_pin_one_cpu(void)
{
    cpu_set_t set, one;

    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return 0;
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (CPU_ISSET(c, &set)) {
            CPU_ZERO(&one);
            CPU_SET(c, &one);
            return sched_setaffinity(0, sizeof one, &one) == 0;
        }
    }
    return 0;
}

long wl_read_full(int fd, void *buf, unsigned long len)
{
    unsigned long done = 0;

    while (done < len) {
        ssize_t r = read(fd, (char *)buf + done, len - done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        done += (unsigned long)r;
    }
    return (long)done;
}

long wl_write_full(int fd, const void *buf, unsigned long len)
{
    unsigned long done = 0;

    while (done < len) {
        ssize_t r = write(fd, (const char *)buf + done, len - done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        done += (unsigned long)r;
    }
    return (long)done;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double wl_quantile(double *v, uint64_t n, double q)
{
    uint64_t i;

    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, cmp_double);
    i = (uint64_t)(q * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}
