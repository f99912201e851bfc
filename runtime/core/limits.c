/* The process limits of the spec (run --ulimit, --oom-score-adj, --sysctl),
 * set in the container's first process before the user namespace is
 * entered and /proc/sys is made read-only, while it still has the caps to
 * raise hard limits and lower its OOM score; the command inherits them. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "runtime/core/internal.h"
#include "util.h"

int limits_apply(const struct osbox_spec *spec, struct osbox_err *err)
{
    const struct osbox_process *p = &spec->process;

    for (size_t i = 0; i < p->n_rlimits; i++) {
        struct rlimit r = { .rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard };
        if (setrlimit(p->rlimits[i].resource, &r) < 0)
            return osbox_error(err, errno, "ulimit %d (soft %llu, hard %llu)", p->rlimits[i].resource,
                               p->rlimits[i].soft, p->rlimits[i].hard);
    }
    if (p->has_oom_score_adj) {
        char buf[16];
        int n = snprintf(buf, sizeof buf, "%d", p->oom_score_adj);
        if (osbox_write_file("/proc/self/oom_score_adj", buf, (size_t)n, 0644, err) < 0)
            return osbox_error_prefix(err, "oom-score-adj");
    }
    for (size_t i = 0; spec->sysctl && spec->sysctl[i]; i++) {
        const char *kv = spec->sysctl[i], *eq = strchr(kv, '=');
        char path[256];
        if (!eq || (size_t)(eq - kv) > 200)
            return osbox_error(err, EINVAL, "sysctl '%s'", kv);
        int n = snprintf(path, sizeof path, "/proc/sys/%.*s", (int)(eq - kv), kv);
        for (char *c = path + 10; c < path + n; c++)
            if (*c == '.')
                *c = '/';
        if (osbox_write_file(path, eq + 1, strlen(eq + 1), 0644, err) < 0)
            return osbox_error_prefix(err, "sysctl %.*s", (int)(eq - kv), kv);
    }
    return 0;
}
