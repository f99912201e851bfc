/* Parsing and checking container resource limits (the `osbox run` flags),
 * and the conversions between the v1 and v2 scales. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/cgroup/cgroup.h"
#include "util.h"

#define MEMORY_MIN (6LL << 20)  /* Docker's floor: less cannot even start a shell */
#define CPU_PERIOD_US 100000ULL
#define CPU_QUOTA_MIN_US 1000   /* the kernel refuses a quota below 1 ms */

/* A bad value: the message alone, no ": Invalid argument" tail. */
#define bad_value(err, ...) \
    ({ osbox_error((err), 0, __VA_ARGS__); if (err) (err)->errnum = EINVAL; -1; })

/* The reason part of a parser's message ("invalid size 'x': unknown unit" -> "unknown unit"). */
static const char *reason_of(const struct osbox_err *e, const char *fallback)
{
    const char *p = strstr(e->msg, "': ");
    return p ? p + 3 : fallback;
}

static int parse_bytes(const char *flag, const char *val, int64_t *out, struct osbox_err *err)
{
    struct osbox_err e;
    uint64_t v;

    osbox_err_clear(&e);
    if (osbox_parse_size(val, &v, &e) < 0)
        return bad_value(err, "invalid %s '%s': %s", flag, val ? val : "",
                           reason_of(&e, "not a size"));
    if (v > (uint64_t)INT64_MAX)
        return bad_value(err, "invalid %s '%s': too large", flag, val);
    *out = (int64_t)v;
    return 0;
}

static int parse_range(const char *flag, const char *val, long long min, long long max,
                       long long *out, struct osbox_err *err)
{
    struct osbox_err e;

    osbox_err_clear(&e);
    if (osbox_parse_int(val, LLONG_MIN, LLONG_MAX, out, &e) < 0)
        return bad_value(err, "invalid %s '%s': not a number", flag, val ? val : "");
    if (*out < min || *out > max)
        return bad_value(err, "invalid %s '%s': must be between %lld and %lld",
                           flag, val, min, max);
    return 0;
}

int resources_set_memory(struct osbox_resources *r, const char *val, struct osbox_err *err)
{
    int64_t v;

    if (parse_bytes("--memory", val, &v, err) < 0)
        return -1;
    if (v < MEMORY_MIN)
        return bad_value(err, "invalid --memory '%s': minimum is 6m", val);
    r->memory_limit = v;
    return 0;
}

int resources_set_memory_swap(struct osbox_resources *r, const char *val, struct osbox_err *err)
{
    int64_t v;

    if (val && strcmp(val, "-1") == 0) {
        r->memory_swap = -1;
        return 0;
    }
    if (parse_bytes("--memory-swap", val, &v, err) < 0)
        return -1;
    r->memory_swap = v; /* 0 means unset, as in Docker */
    return 0;
}

void resources_default_swap(struct osbox_resources *r)
{
    if (r->memory_limit == -1 || r->memory_swap != 0)
        return;
    r->memory_swap = r->memory_limit > INT64_MAX / 2 ? -1 : 2 * r->memory_limit;
    r->memory_swap_default = true;
}

int resources_cpus_to_quota(const char *val, long host_cpus, int64_t *quota_us, uint64_t *period_us,
                            struct osbox_err *err)
{
    char *end;
    double v;

    if (!val || !*val || strspn(val, "0123456789.") != strlen(val))
        return bad_value(err, "invalid --cpus '%s': not a positive number", val ? val : "");
    errno = 0;
    v = strtod(val, &end);
    if (errno || *end || !isfinite(v))
        return bad_value(err, "invalid --cpus '%s': not a positive number", val);
    if (v <= 0)
        return bad_value(err, "invalid --cpus '%s': must be greater than 0", val);
    if (host_cpus > 0 && v > (double)host_cpus)
        return bad_value(err, "invalid --cpus '%s': the host has only %ld CPUs", val,
                           host_cpus);
    *quota_us = (int64_t)(v * (double)CPU_PERIOD_US + 0.5); /* no libm in the link */
    if (*quota_us < CPU_QUOTA_MIN_US)
        return bad_value(err, "invalid --cpus '%s': minimum is 0.01", val);
    *period_us = CPU_PERIOD_US;
    return 0;
}

/* The CPUs osbox may run on (its affinity mask, as a cpuset or taskset limits
 * it), else the online count. */
static long usable_cpus(void)
{
    cpu_set_t set;

    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    return sysconf(_SC_NPROCESSORS_ONLN);
}

int resources_set_cpus(struct osbox_resources *r, const char *val, struct osbox_err *err)
{
    return resources_cpus_to_quota(val, usable_cpus(), &r->cpu_quota_us, &r->cpu_period_us, err);
}

int resources_set_cpu_shares(struct osbox_resources *r, const char *val, struct osbox_err *err)
{
    long long v;

    if (parse_range("--cpu-shares", val, 2, 262144, &v, err) < 0)
        return -1;
    r->cpu_shares = (uint64_t)v;
    return 0;
}

int resources_set_cpu_weight(struct osbox_resources *r, const char *val, struct osbox_err *err)
{
    long long v;

    if (parse_range("--cpu-weight", val, 1, 10000, &v, err) < 0)
        return -1;
    r->cpu_weight = (uint64_t)v;
    return 0;
}

int resources_set_pids_limit(struct osbox_resources *r, const char *val, struct osbox_err *err)
{
    long long v;

    if (val && strcmp(val, "-1") == 0) {
        r->pids_limit = -1;
        return 0;
    }
    if (parse_range("--pids-limit", val, 1, 4194304, &v, err) < 0) {
        if (val && strcmp(val, "0") == 0)
            return bad_value(err, "invalid --pids-limit '0': must be > 0, or -1 for unlimited");
        return -1;
    }
    r->pids_limit = v;
    return 0;
}

/* 33554432 -> "32m": errors show sizes the way the flags take them. */
static const char *human(int64_t v, char buf[32])
{
    static const char units[] = "gmk";
    for (int i = 0; i < 3; i++) {
        int64_t m = 1LL << (10 * (3 - i));
        if (v >= m && v % m == 0) {
            snprintf(buf, 32, "%lld%c", (long long)(v / m), units[i]);
            return buf;
        }
    }
    snprintf(buf, 32, "%lld", (long long)v);
    return buf;
}

int resources_validate(const struct osbox_resources *r, struct osbox_err *err)
{
    char b1[32], b2[32];

    if (r->memory_limit != -1 && r->memory_limit < MEMORY_MIN)
        return bad_value(err, "invalid memory limit %s: minimum is 6m", human(r->memory_limit, b1));
    if (r->memory_swap > 0 || r->memory_swap < -1) {
        if (r->memory_swap < -1)
            return bad_value(err, "invalid --memory-swap %lld", (long long)r->memory_swap);
        if (r->memory_limit == -1)
            return bad_value(err, "--memory-swap needs --memory: it limits memory plus swap");
        if (r->memory_swap < r->memory_limit)
            return bad_value(err,
                             "invalid --memory-swap %s: smaller than --memory %s "
                             "(it is the total of memory and swap)",
                             human(r->memory_swap, b1), human(r->memory_limit, b2));
    }
    if (r->cpu_quota_us != -1 && r->cpu_quota_us < CPU_QUOTA_MIN_US)
        return bad_value(err, "invalid cpu quota %lld us: minimum is %d",
                           (long long)r->cpu_quota_us, CPU_QUOTA_MIN_US);
    if (r->cpu_period_us != 0 && (r->cpu_period_us < 1000 || r->cpu_period_us > 1000000))
        return bad_value(err, "invalid cpu period %llu us: must be between 1000 and 1000000",
                           (unsigned long long)r->cpu_period_us);
    if (r->cpu_shares != 0 && (r->cpu_shares < 2 || r->cpu_shares > 262144))
        return bad_value(err, "invalid --cpu-shares %llu: must be between 2 and 262144",
                           (unsigned long long)r->cpu_shares);
    if (r->cpu_weight != 0 && r->cpu_weight > 10000)
        return bad_value(err, "invalid --cpu-weight %llu: must be between 1 and 10000",
                           (unsigned long long)r->cpu_weight);
    if (r->pids_limit == 0 || r->pids_limit < -1)
        return bad_value(err, "invalid --pids-limit %lld: must be > 0, or -1 for unlimited",
                           (long long)r->pids_limit);
    return 0;
}

bool resources_any(const struct osbox_resources *r)
{
    return r->memory_limit != -1 || r->memory_swap != 0 || r->cpu_quota_us != -1 ||
           r->cpu_period_us != 0 || r->cpu_shares != 0 || r->cpu_weight != 0 || r->pids_limit > 0 ||
           r->cpuset_cpus[0] || r->cpuset_mems[0];
}

/* Linear map of [2, 262144] onto [1, 10000]: the end points match, and the
 * defaults land close (1024 -> 39; v2 has no notion of "the v1 default"). */
uint64_t cgroup_shares_to_weight(uint64_t shares)
{
    if (shares < 2)
        shares = 2;
    if (shares > 262144)
        shares = 262144;
    return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t cgroup_weight_to_shares(uint64_t weight)
{
    if (weight < 1)
        weight = 1;
    if (weight > 10000)
        weight = 10000;
    return 2 + ((weight - 1) * 262142) / 9999;
}

int64_t resources_v2_swap_max(const struct osbox_resources *r)
{
    if (r->memory_swap == -1)
        return -1;
    if (r->memory_swap == 0 || r->memory_limit == -1)
        return -2;
    return r->memory_swap - r->memory_limit;
}
