/* --cpuset-cpus / --cpuset-mems: a list such as "0-2,4", checked against the
 * CPUs or memory nodes the host has online, so a typo fails at `run` with the
 * flag's name instead of as an EINVAL from a cgroup file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/cgroup/cgroup.h"
#include "util.h"

#define LIST_MAX 1024 /* CPUs or nodes a list may name */

#define bad_value(err, ...) \
    ({ osbox_error((err), 0, __VA_ARGS__); if (err) (err)->errnum = EINVAL; -1; })

/* "0-2,4" -> set[0..2] and set[4]; -1 on bad syntax or a number >= LIST_MAX. */
static int list_parse(const char *s, bool set[LIST_MAX])
{
    const char *p = s;

    memset(set, 0, LIST_MAX * sizeof set[0]);
    if (!*s)
        return -1;
    for (;;) {
        char *end;
        if (*p < '0' || *p > '9')
            return -1;
        unsigned long a = strtoul(p, &end, 10), b = a;
        p = end;
        if (*p == '-') {
            if (p[1] < '0' || p[1] > '9')
                return -1;
            b = strtoul(p + 1, &end, 10);
            p = end;
        }
        if (a > b || b >= LIST_MAX)
            return -1;
        for (unsigned long i = a; i <= b; i++)
            set[i] = true;
        if (*p == '\0')
            return 0;
        if (*p++ != ',')
            return -1;
    }
}

static int set_list(char *dst, size_t dstsz, const char *flag, const char *online_file,
                    const char *what, const char *val, struct osbox_err *err)
{
    static bool want[LIST_MAX], have[LIST_MAX];
    _cleanup_free_ char *online = NULL;
    struct osbox_err e;

    if (!val || strlen(val) >= dstsz || list_parse(val, want) < 0)
        return bad_value(err, "invalid %s '%s': not a list such as 0-2,4", flag, val ? val : "");
    /* Without the file (a kernel without NUMA has no node directory) only 0 exists. */
    if (osbox_read_file(online_file, &online, NULL, &e) < 0)
        online = osbox_xstrdup("0");
    online[strcspn(online, "\n")] = '\0';
    if (list_parse(online, have) < 0)
        return osbox_error(err, EIO, "cannot parse %s ('%s')", online_file, online);
    for (int i = 0; i < LIST_MAX; i++)
        if (want[i] && !have[i])
            return bad_value(err, "invalid %s '%s': %s %d is not available (the host has %s)",
                             flag, val, what, i, online);
    snprintf(dst, dstsz, "%s", val);
    return 0;
}

int resources_set_cpuset_cpus(struct osbox_resources *r, const char *val, struct osbox_err *err)
{
    return set_list(r->cpuset_cpus, sizeof r->cpuset_cpus, "--cpuset-cpus",
                    "/sys/devices/system/cpu/online", "CPU", val, err);
}

int resources_set_cpuset_mems(struct osbox_resources *r, const char *val, struct osbox_err *err)
{
    return set_list(r->cpuset_mems, sizeof r->cpuset_mems, "--cpuset-mems",
                    "/sys/devices/system/node/online", "memory node", val, err);
}
