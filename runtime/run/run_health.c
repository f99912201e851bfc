/* --health-cmd, --health-interval, --health-timeout, --health-start-period,
 * --health-retries, --no-healthcheck, and the image's HEALTHCHECK: merged
 * as Docker does (each option given replaces the image's field; the rest
 * stay the image's), into the check the container keeps (health.h). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/run/run.h"
#include "util.h"

static const char *opt_name(int opt)
{
    switch (opt) {
    case RUN_OPT_HEALTH_INTERVAL: return "--health-interval";
    case RUN_OPT_HEALTH_TIMEOUT: return "--health-timeout";
    case RUN_OPT_HEALTH_START_PERIOD: return "--health-start-period";
    default: return "--health-retries";
    }
}

/* A Go duration ("30s", "1m30s", "1.5s", "300ms", "0"), as Docker's flags take. */
static int parse_duration(const char *name, const char *s, int64_t *ns, struct osbox_err *err)
{
    static const struct { const char *unit; double ns; } units[] = {
        { "ns", 1 }, { "us", 1e3 }, { "µs", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "m", 60e9 },
        { "h", 3600e9 },
    };
    const char *p = s;
    bool negative = *p == '-';
    double total = 0;

    if (*p == '-' || *p == '+')
        p++;
    if (!strcmp(p, "0")) {
        *ns = 0;
        return 0;
    }
    if (!*p)
        goto bad;
    while (*p) {
        char *end;
        size_t best = 0, k = 0;
        if (!isdigit((unsigned char)*p) && *p != '.')
            goto bad;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno)
            goto bad;
        p = end;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
            size_t n = strlen(units[i].unit);
            /* the longest unit that matches: "ms" before "m" */
            if (!strncmp(p, units[i].unit, n) && n > best) {
                best = n;
                k = i;
            }
        }
        if (!best)
            goto bad;
        total += v * units[k].ns;
        p += best;
    }
    if (negative && total > 0)
        return osbox_error(err, 0, "%s cannot be negative", name);
    if (total > 9.2e18)
        goto bad;
    *ns = (int64_t)(total + 0.5);
    return 0;
bad:
    return osbox_error(err, 0, "invalid %s '%s': give a duration such as 30s, 1m30s or 500ms",
                       name, s);
}

int run_health_opt(struct run_health *h, int opt, const char *arg, struct osbox_err *err)
{
    long long n;

    if (opt != RUN_OPT_NO_HEALTHCHECK && opt != RUN_OPT_HEALTH_CMD && opt != RUN_OPT_HEALTH_INTERVAL &&
        opt != RUN_OPT_HEALTH_TIMEOUT && opt != RUN_OPT_HEALTH_START_PERIOD &&
        opt != RUN_OPT_HEALTH_RETRIES)
        return 1;
    h->given = h->given || opt != RUN_OPT_NO_HEALTHCHECK;
    switch (opt) {
    case RUN_OPT_HEALTH_CMD: h->cmd = arg; return 0;
    case RUN_OPT_NO_HEALTHCHECK: h->none = true; return 0;
    case RUN_OPT_HEALTH_INTERVAL: return parse_duration(opt_name(opt), arg, &h->interval_ns, err);
    case RUN_OPT_HEALTH_TIMEOUT: return parse_duration(opt_name(opt), arg, &h->timeout_ns, err);
    case RUN_OPT_HEALTH_START_PERIOD:
        return parse_duration(opt_name(opt), arg, &h->start_period_ns, err);
    case RUN_OPT_HEALTH_RETRIES:
        if (osbox_parse_int(arg, -1000000, 1000000, &n, err) < 0)
            return osbox_error(err, 0, "invalid --health-retries '%s': give a number", arg);
        if (n < 0)
            return osbox_error(err, 0, "--health-retries cannot be negative");
        h->retries = (int)n;
        return 0;
    }
    return 1;
}

int run_health_check(const struct run_health *h, struct osbox_err *err)
{
    struct health_config c = { .interval_ns = h->interval_ns, .timeout_ns = h->timeout_ns,
                               .start_period_ns = h->start_period_ns, .retries = h->retries };

    if (h->none && h->given)
        return osbox_error(err, 0, "--no-healthcheck conflicts with --health-* options");
    return health_config_validate(&c, err);
}

int run_health_build(const struct run_health *h, const struct images_healthcheck *img,
                     struct health_config *out, struct osbox_err *err)
{
    memset(out, 0, sizeof *out);
    if (h->none)
        return 0;
    if (img) {
        out->interval_ns = img->interval_ns;
        out->timeout_ns = img->timeout_ns;
        out->start_period_ns = img->start_period_ns;
        out->retries = img->retries;
    }
    if (h->cmd && *h->cmd) {
        osbox_strv_push(&out->test, "CMD-SHELL");
        osbox_strv_push(&out->test, h->cmd);
    } else if (img && img->test && img->test[0] && strcmp(img->test[0], "NONE")) {
        out->test = osbox_strv_dup(img->test);
    }
    if (h->interval_ns)
        out->interval_ns = h->interval_ns;
    if (h->timeout_ns)
        out->timeout_ns = h->timeout_ns;
    if (h->start_period_ns)
        out->start_period_ns = h->start_period_ns;
    if (h->retries)
        out->retries = h->retries;
    if (health_config_validate(out, err) < 0) {
        health_config_free(out);
        return img && !(h->cmd && *h->cmd) ? osbox_error_prefix(err, "the image's HEALTHCHECK") : -1;
    }
    return 0;
}
