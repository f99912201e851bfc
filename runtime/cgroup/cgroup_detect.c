/* Which cgroup hierarchies are mounted (v2, v1, hybrid) and where osbox sits
 * in each: read from /proc/self/mountinfo and /proc/self/cgroup, never guessed
 * from paths. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/cgroup/cgroup_internal.h"
#include "util.h"

/* The v1 controllers osbox manages; named hierarchies (name=systemd) are not ours. */
static const char *const v1_known[] = {
    "cpuset", "cpu", "cpuacct", "blkio", "memory", "devices", "freezer", "net_cls",
    "net_prio", "perf_event", "hugetlb", "pids", "rdma", "misc", NULL,
};

static bool is_known(const char *name, size_t len)
{
    for (int i = 0; v1_known[i]; i++)
        if (strlen(v1_known[i]) == len && strncmp(v1_known[i], name, len) == 0)
            return true;
    return false;
}

bool cg_has_ctrl(const char *ctrls, const char *name)
{
    size_t n = strlen(name);

    for (const char *p = ctrls; p && *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, name, n) == 0)
            return true;
        p += len;
        if (*p == ',')
            p++;
    }
    return false;
}

/* The known controllers in a comma list ("rw,cpu,cpuacct,nsdelegate" -> "cpu,cpuacct"). */
static char *known_ctrls(const char *opts)
{
    char *out = osbox_xcalloc(1, strlen(opts) + 1);

    for (const char *p = opts; *p;) {
        size_t len = strcspn(p, ",");
        if (is_known(p, len)) {
            if (*out)
                strcat(out, ",");
            strncat(out, p, len);
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return out;
}

/* Same set of controllers, in any order. */
static bool same_ctrls(const char *a, const char *b)
{
    int na = 0, nb = 0;

    for (const char *p = a; *p;) {
        size_t len = strcspn(p, ",");
        char name[32];
        if (len >= sizeof name)
            return false;
        memcpy(name, p, len);
        name[len] = '\0';
        if (!cg_has_ctrl(b, name))
            return false;
        na++;
        p += len + (p[len] == ',');
    }
    for (const char *p = b; *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ','))
        nb++;
    return na == nb;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
    char *o = s;

    for (char *p = s; *p; p++) {
        if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
            p[3] >= '0' && p[3] <= '7') {
            *o++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
            p += 3;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
}

static void add_mount(struct cg_layout *l, const char *root, const char *mnt, bool v2,
                      const char *superopts)
{
    _cleanup_free_ char *ctrls = v2 ? osbox_xstrdup("") : known_ctrls(superopts);

    if (!v2 && !*ctrls)
        return; /* a named hierarchy such as name=systemd: not ours to manage */
    for (int i = 0; i < l->n; i++)
        if (l->h[i].v2 == v2 && strcmp(l->h[i].ctrls, ctrls) == 0)
            return; /* the same hierarchy mounted twice: the first mount is enough */
    if (l->n == CG_MAX_HIER)
        return;
    l->h[l->n++] = (struct cg_hier){ .mnt = osbox_xstrdup(mnt), .root = osbox_xstrdup(root),
                                     .ctrls = OSBOX_STEAL(ctrls), .v2 = v2 };
}

static int read_mounts(struct cg_layout *l, const char *path, struct osbox_err *err)
{
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    _cleanup_free_ char *line = NULL;
    size_t cap = 0;

    if (!f)
        return osbox_error(err, errno, "open %s", path);
    while (getline(&line, &cap, f) > 0) {
        /* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
        char *fields[8] = { 0 }, *save = NULL, *tok;
        char *sep = strstr(line, " - ");
        int n = 0;

        if (!sep)
            continue;
        *sep = '\0';
        for (tok = strtok_r(line, " ", &save); tok && n < 5; tok = strtok_r(NULL, " ", &save))
            fields[n++] = tok;
        if (n < 5)
            continue;
        save = NULL;
        char *fstype = strtok_r(sep + 3, " ", &save);
        char *source = strtok_r(NULL, " ", &save);
        char *superopts = strtok_r(NULL, " \n", &save);
        if (!fstype || !source || !superopts)
            continue;
        bool v2 = strcmp(fstype, "cgroup2") == 0;
        if (!v2 && strcmp(fstype, "cgroup") != 0)
            continue;
        unescape(fields[3]);
        unescape(fields[4]);
        add_mount(l, fields[3], fields[4], v2, superopts);
    }
    return 0;
}

/* Fill in h->own from /proc/self/cgroup ("id:ctrls:path"). */
static int read_own(struct cg_layout *l, const char *path, struct osbox_err *err)
{
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    _cleanup_free_ char *line = NULL;
    size_t cap = 0;

    if (!f)
        return osbox_error(err, errno, "open %s", path);
    while (getline(&line, &cap, f) > 0) {
        line[strcspn(line, "\n")] = '\0';
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c1 = '\0';
        *c2 = '\0';
        const char *ctrls_raw = c1 + 1, *path = c2 + 1;
        bool v2 = strcmp(line, "0") == 0 && !*ctrls_raw;
        _cleanup_free_ char *ctrls = v2 ? osbox_xstrdup("") : known_ctrls(ctrls_raw);
        for (int i = 0; i < l->n; i++) {
            if (l->h[i].v2 != v2 || l->h[i].own || (!v2 && !same_ctrls(l->h[i].ctrls, ctrls)))
                continue;
            l->h[i].own = osbox_xstrdup(*path ? path : "/");
        }
    }
    for (int i = 0; i < l->n; i++)
        if (!l->h[i].own)
            l->h[i].own = osbox_xstrdup("/");
    return 0;
}

int cg_layout_read(struct cg_layout *l, struct osbox_err *err)
{
    return cg_layout_from(l, "/proc/self/mountinfo", "/proc/self/cgroup", err);
}

int cg_layout_from(struct cg_layout *l, const char *mountinfo, const char *cgroup,
                   struct osbox_err *err)
{
    int nv1 = 0, nv2 = 0;

    memset(l, 0, sizeof *l);
    if (read_mounts(l, mountinfo, err) < 0 || read_own(l, cgroup, err) < 0) {
        cg_layout_free(l);
        return -1;
    }
    for (int i = 0; i < l->n; i++)
        l->h[i].v2 ? nv2++ : nv1++;
    if (nv1 && nv2)
        l->mode = OSBOX_CGROUP_HYBRID;
    else if (nv1)
        l->mode = OSBOX_CGROUP_V1;
    else if (nv2)
        l->mode = OSBOX_CGROUP_V2;
    else {
        cg_layout_free(l);
        return osbox_error(err, ENOENT, "no cgroup filesystem is mounted");
    }
    return 0;
}

void cg_layout_free(struct cg_layout *l)
{
    for (int i = 0; i < l->n; i++) {
        free(l->h[i].mnt);
        free(l->h[i].root);
        free(l->h[i].ctrls);
        free(l->h[i].own);
    }
    l->n = 0;
}

char *cg_hier_dir(const struct cg_hier *h, const char *rel)
{
    size_t rl = strlen(h->root);

    if (strcmp(h->root, "/") == 0)
        return osbox_strdup_printf("%s%s", h->mnt, strcmp(rel, "/") == 0 ? "" : rel);
    if (strncmp(rel, h->root, rl) != 0 || (rel[rl] != '/' && rel[rl] != '\0'))
        return NULL; /* outside what this mount shows */
    return osbox_strdup_printf("%s%s", h->mnt, rel + rl);
}

int cgroup_detect(enum osbox_cgroup_mode *mode, struct osbox_err *err)
{
    struct cg_layout l;

    if (cg_layout_read(&l, err) < 0)
        return -1;
    *mode = l.mode;
    cg_layout_free(&l);
    return 0;
}

const char *cgroup_mode_name(enum osbox_cgroup_mode mode)
{
    switch (mode) {
    case OSBOX_CGROUP_V2: return "v2";
    case OSBOX_CGROUP_V1: return "v1";
    case OSBOX_CGROUP_HYBRID: return "hybrid";
    }
    return "unknown";
}
