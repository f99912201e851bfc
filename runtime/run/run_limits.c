/* Parsing of --ulimit, --oom-score-adj and --sysctl (run.h). */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "runtime/run/run.h"
#include "util.h"

static const struct { const char *name; int res; } rlimit_names[] = {
    { "as", RLIMIT_AS }, { "core", RLIMIT_CORE }, { "cpu", RLIMIT_CPU }, { "data", RLIMIT_DATA },
    { "fsize", RLIMIT_FSIZE }, { "locks", RLIMIT_LOCKS }, { "memlock", RLIMIT_MEMLOCK },
    { "msgqueue", RLIMIT_MSGQUEUE }, { "nice", RLIMIT_NICE }, { "nofile", RLIMIT_NOFILE },
    { "nproc", RLIMIT_NPROC }, { "rss", RLIMIT_RSS }, { "rtprio", RLIMIT_RTPRIO },
    { "rttime", RLIMIT_RTTIME }, { "sigpending", RLIMIT_SIGPENDING }, { "stack", RLIMIT_STACK },
};

static int limit_value(const char *s, unsigned long long *out, struct osbox_err *err)
{
    long long v;

    if (!strcmp(s, "unlimited") || !strcmp(s, "-1")) {
        *out = RLIM_INFINITY;
        return 0;
    }
    if (osbox_parse_int(s, 0, 0x7fffffffffffffffLL, &v, err) < 0)
        return -1;
    *out = (unsigned long long)v;
    return 0;
}

/* NAME=SOFT[:HARD]; HARD defaults to SOFT (Docker). */
static int parse_ulimit(struct run_limits *l, const char *arg, struct osbox_err *err)
{
    _cleanup_free_ char *s = osbox_xstrdup(arg);
    char *eq = strchr(s, '='), *colon;
    struct osbox_rlimit r = { .resource = -1 };

    if (!eq)
        return osbox_error(err, 0, "--ulimit '%s': expected NAME=SOFT[:HARD]", arg);
    *eq++ = '\0';
    for (size_t i = 0; i < sizeof rlimit_names / sizeof rlimit_names[0]; i++)
        if (!strcmp(s, rlimit_names[i].name))
            r.resource = rlimit_names[i].res;
    if (r.resource < 0)
        return osbox_error(err, 0, "--ulimit '%s': unknown limit '%s'", arg, s);
    if ((colon = strchr(eq, ':')))
        *colon++ = '\0';
    if (limit_value(eq, &r.soft, err) < 0 || (colon && limit_value(colon, &r.hard, err) < 0))
        return osbox_error_prefix(err, "--ulimit '%s'", arg);
    if (!colon)
        r.hard = r.soft;
    if (r.soft > r.hard)
        return osbox_error(err, 0, "--ulimit '%s': the soft limit is above the hard one", arg);
    for (size_t i = 0; i < l->n_rlimits; i++)
        if (l->rlimits[i].resource == r.resource) { /* the last one wins */
            l->rlimits[i] = r;
            return 0;
        }
    l->rlimits = realloc(l->rlimits, (l->n_rlimits + 1) * sizeof *l->rlimits);
    if (!l->rlimits)
        abort();
    l->rlimits[l->n_rlimits++] = r;
    return 0;
}

/* Docker's namespaced sysctls (IPC, mqueue, network); anything else would
 * change the host. */
static bool sysctl_namespaced(const char *key)
{
    static const char *const exact[] = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",
                                         "kernel.sem", "kernel.shmall", "kernel.shmmax",
                                         "kernel.shmmni", "kernel.shm_rmid_forced" };
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
        if (!strcmp(key, exact[i]))
            return true;
    return !strncmp(key, "fs.mqueue.", 10) || !strncmp(key, "net.", 4);
}

static int parse_sysctl(struct run_limits *l, const char *arg, struct osbox_err *err)
{
    const char *eq = strchr(arg, '=');
    _cleanup_free_ char *key = eq ? strndup(arg, (size_t)(eq - arg)) : NULL;

    if (!eq || eq == arg || !eq[1])
        return osbox_error(err, 0, "--sysctl '%s': expected KEY=VALUE", arg);
    if (strstr(key, "..") || strchr(key, '/') || !sysctl_namespaced(key))
        return osbox_error(err, 0, "--sysctl '%s': not a namespaced sysctl (net.*, kernel.shm*, "
                                   "kernel.msg*, kernel.sem, fs.mqueue.*)", arg);
    osbox_strv_push(&l->sysctl, arg);
    return 0;
}

int run_limits_opt(struct run_limits *l, int opt, const char *arg, struct osbox_err *err)
{
    long long v;

    switch (opt) {
    case RUN_OPT_ULIMIT: return parse_ulimit(l, arg, err);
    case RUN_OPT_SYSCTL: return parse_sysctl(l, arg, err);
    case RUN_OPT_OOM_SCORE_ADJ:
        if (osbox_parse_int(arg, -1000, 1000, &v, err) < 0)
            return osbox_error_prefix(err, "--oom-score-adj");
        l->has_oom = true;
        l->oom = (int)v;
        return 0;
    }
    return osbox_error(err, 0, "run_limits_opt: not a limit option");
}

int run_limits_validate(const struct run_limits *l, bool own_netns, struct osbox_err *err)
{
    for (size_t i = 0; !own_netns && l->sysctl && l->sysctl[i]; i++)
        if (!strncmp(l->sysctl[i], "net.", 4))
            return osbox_error(err, 0, "--sysctl '%s': net.* needs a network of the container's own "
                                       "(not --network host or container:)", l->sysctl[i]);
    return 0;
}

void run_limits_apply(const struct run_limits *l, struct osbox_spec *spec)
{
    if (l->n_rlimits) {
        spec->process.rlimits = osbox_xcalloc(l->n_rlimits, sizeof *l->rlimits);
        memcpy(spec->process.rlimits, l->rlimits, l->n_rlimits * sizeof *l->rlimits);
        spec->process.n_rlimits = l->n_rlimits;
    }
    spec->process.has_oom_score_adj = l->has_oom;
    spec->process.oom_score_adj = l->oom;
    if (l->sysctl)
        spec->sysctl = osbox_strv_dup(l->sysctl);
}

void run_limits_free(struct run_limits *l)
{
    free(l->rlimits);
    osbox_strv_free(l->sysctl);
    memset(l, 0, sizeof *l);
}
