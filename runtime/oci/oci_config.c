/* config.json (OCI runtime-spec 1.x) -> struct oci_config. Unknown fields
 * are ignored; a field of the wrong shape is an error that names it. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "runtime/oci/oci.h"
#include "runtime/security/security.h"
#include "util.h"

const char *const oci_hook_names[OCI_HOOK_N] = {
    "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
};

static int bad(struct osbox_err *err, const char *field, const char *what)
{
    return osbox_error(err, 0, "config.json: %s: %s", field, what);
}

/* Optional array of strings at o[key] -> *out (NULL when absent). */
static int strv_field(json_t *o, const char *key, const char *field, char ***out,
                      struct osbox_err *err)
{
    json_t *a = json_object_get(o, key), *v;
    size_t i;

    *out = NULL;
    if (!a || json_is_null(a))
        return 0;
    if (!json_is_array(a))
        return bad(err, field, "must be an array of strings");
    *out = osbox_xcalloc(1, sizeof **out);
    json_array_foreach(a, i, v) {
        if (!json_is_string(v)) {
            osbox_strv_free(*out);
            *out = NULL;
            return osbox_error(err, 0, "config.json: %s[%zu]: must be a string", field, i);
        }
        osbox_strv_push(out, json_string_value(v));
    }
    return 0;
}

static int str_field(json_t *o, const char *key, const char *field, char **out,
                     struct osbox_err *err)
{
    json_t *v = json_object_get(o, key);

    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return bad(err, field, "must be a string");
    free(*out);
    *out = osbox_xstrdup(json_string_value(v));
    return 0;
}

static int bool_field(json_t *o, const char *key, const char *field, bool *out,
                      struct osbox_err *err)
{
    json_t *v = json_object_get(o, key);

    if (!v || json_is_null(v))
        return 0;
    if (!json_is_boolean(v))
        return bad(err, field, "must be true or false");
    *out = json_is_true(v);
    return 0;
}

/* Integer in [min, max]; *set tells whether it was there. */
static int int_field(json_t *o, const char *key, const char *field, long long min, long long max,
                     long long *out, bool *set, struct osbox_err *err)
{
    json_t *v = json_object_get(o, key);

    if (set)
        *set = false;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v))
        return bad(err, field, "must be an integer");
    if (json_integer_value(v) < min || json_integer_value(v) > max)
        return osbox_error(err, 0, "config.json: %s: %lld out of range", field,
                           (long long)json_integer_value(v));
    *out = json_integer_value(v);
    if (set)
        *set = true;
    return 0;
}

static json_t *object_field(json_t *o, const char *key, const char *field, struct osbox_err *err,
                            int *rc)
{
    json_t *v = json_object_get(o, key);

    *rc = 0;
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_object(v)) {
        *rc = bad(err, field, "must be an object");
        return NULL;
    }
    return v;
}

/* One set of process.capabilities (absent: empty) -> a mask. */
static int cap_set_field(json_t *caps, const char *key, uint64_t *mask, struct osbox_err *err)
{
    _cleanup_free_ char *field = osbox_strdup_printf("process.capabilities.%s", key);
    char **names = NULL;
    int cap;

    *mask = 0;
    if (strv_field(caps, key, field, &names, err) < 0)
        return -1;
    for (size_t i = 0; names && names[i]; i++) {
        if (caps_from_name(names[i], &cap) < 0) {
            osbox_error(err, 0, "config.json: %s: unknown capability '%s'", field, names[i]);
            osbox_strv_free(names);
            return -1;
        }
        *mask |= CAP_BIT(cap);
    }
    osbox_strv_free(names);
    return 0;
}

/* All five sets as given. A capability this host cannot hand on (the
 * runtime lacks it, or the kernel does not know it) is left out of every
 * set with a warning naming it, as runc does. */
static int parse_caps(json_t *caps, struct osbox_security *sec, char ***warnings,
                      struct osbox_err *err)
{
    struct osbox_cap_sets *s = &sec->cap_sets;
    uint64_t bounding, missing;

    if (cap_set_field(caps, "bounding", &bounding, err) < 0 ||
        cap_set_field(caps, "effective", &s->effective, err) < 0 ||
        cap_set_field(caps, "permitted", &s->permitted, err) < 0 ||
        cap_set_field(caps, "inheritable", &s->inheritable, err) < 0 ||
        cap_set_field(caps, "ambient", &s->ambient, err) < 0)
        return -1;
    missing = caps_unavailable(bounding | s->effective | s->permitted | s->inheritable | s->ambient);
    for (int i = 0; i <= 63 && warnings; i++) {
        if (!(missing & CAP_BIT(i)))
            continue;
        _cleanup_free_ char *name = caps_name(i);
        _cleanup_free_ char *w = osbox_strdup_printf(
            "process.capabilities: %s is not available to this runtime; the container does not get it", name);
        osbox_strv_push(warnings, w);
    }
    sec->caps = bounding & ~missing;
    s->effective &= ~missing;
    s->permitted &= ~missing;
    s->inheritable &= ~missing;
    s->ambient &= ~missing;
    sec->has_cap_sets = true;
    return 0;
}

static const struct { const char *name; int res; } rlimit_names[] = {
    { "RLIMIT_AS", RLIMIT_AS }, { "RLIMIT_CORE", RLIMIT_CORE }, { "RLIMIT_CPU", RLIMIT_CPU },
    { "RLIMIT_DATA", RLIMIT_DATA }, { "RLIMIT_FSIZE", RLIMIT_FSIZE },
    { "RLIMIT_LOCKS", RLIMIT_LOCKS }, { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
    { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE }, { "RLIMIT_NICE", RLIMIT_NICE },
    { "RLIMIT_NOFILE", RLIMIT_NOFILE }, { "RLIMIT_NPROC", RLIMIT_NPROC },
    { "RLIMIT_RSS", RLIMIT_RSS }, { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
    { "RLIMIT_RTTIME", RLIMIT_RTTIME }, { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
    { "RLIMIT_STACK", RLIMIT_STACK },
};

static int parse_rlimits(json_t *a, struct oci_config *c, struct osbox_err *err)
{
    json_t *r;
    size_t i;

    if (!json_is_array(a))
        return bad(err, "process.rlimits", "must be an array");
    json_array_foreach(a, i, r) {
        const char *type = json_string_value(json_object_get(r, "type"));
        json_t *soft = json_object_get(r, "soft"), *hard = json_object_get(r, "hard");
        size_t k;

        for (k = 0; type && k < sizeof rlimit_names / sizeof rlimit_names[0]; k++)
            if (!strcmp(rlimit_names[k].name, type))
                break;
        if (!type || k == sizeof rlimit_names / sizeof rlimit_names[0])
            return osbox_error(err, 0, "config.json: process.rlimits[%zu].type: unknown rlimit '%s'",
                               i, type ? type : "");
        if (!json_is_integer(soft) || !json_is_integer(hard))
            return osbox_error(err, 0, "config.json: process.rlimits[%zu]: soft and hard must be integers", i);
        c->rlimits = realloc(c->rlimits, (c->n_rlimits + 1) * sizeof *c->rlimits);
        if (!c->rlimits)
            abort();
        c->rlimits[c->n_rlimits].resource = rlimit_names[k].res;
        c->rlimits[c->n_rlimits].lim.rlim_cur = (rlim_t)json_integer_value(soft);
        c->rlimits[c->n_rlimits].lim.rlim_max = (rlim_t)json_integer_value(hard);
        c->n_rlimits++;
    }
    return 0;
}

int oci_process_from_json(json_t *o, struct osbox_process *p, struct osbox_security *sec,
                          struct oci_config *c, struct osbox_err *err)
{
    json_t *user, *caps, *v;
    int rc;
    long long n;
    bool set;

    if (!json_is_object(o))
        return bad(err, "process", "must be an object");
    if (strv_field(o, "args", "process.args", &p->args, err) < 0)
        return -1;
    if (!p->args || !p->args[0])
        return bad(err, "process.args", "must be a non-empty array of strings");
    if (strv_field(o, "env", "process.env", &p->env, err) < 0)
        return -1;
    if (str_field(o, "cwd", "process.cwd", &p->cwd, err) < 0)
        return -1;
    if (!p->cwd)
        return bad(err, "process.cwd", "is required");
    if (p->cwd[0] != '/')
        return bad(err, "process.cwd", "must be an absolute path");
    if (bool_field(o, "terminal", "process.terminal", &p->terminal, err) < 0)
        return -1;
    /* An engine hands the container its stdio: keep stdin as given. */
    p->stdin_open = true;
    user = object_field(o, "user", "process.user", err, &rc);
    if (rc < 0)
        return -1;
    if (user) {
        if (int_field(user, "uid", "process.user.uid", 0, UINT32_MAX - 1, &n, &set, err) < 0)
            return -1;
        p->uid = set ? (uid_t)n : 0;
        if (int_field(user, "gid", "process.user.gid", 0, UINT32_MAX - 1, &n, &set, err) < 0)
            return -1;
        p->gid = set ? (gid_t)n : 0;
        v = json_object_get(user, "additionalGids");
        if (v && !json_is_array(v))
            return bad(err, "process.user.additionalGids", "must be an array of integers");
        for (size_t i = 0; v && i < json_array_size(v); i++) {
            json_t *g = json_array_get(v, i);
            if (!json_is_integer(g) || json_integer_value(g) < 0)
                return bad(err, "process.user.additionalGids", "must be an array of integers");
            p->additional_gids = realloc(p->additional_gids,
                                         (p->n_additional_gids + 1) * sizeof(gid_t));
            if (!p->additional_gids)
                abort();
            p->additional_gids[p->n_additional_gids++] = (gid_t)json_integer_value(g);
        }
    }
    caps = object_field(o, "capabilities", "process.capabilities", err, &rc);
    if (rc < 0 || (caps && sec && parse_caps(caps, sec, c ? &c->warnings : NULL, err) < 0))
        return -1;
    if (sec && bool_field(o, "noNewPrivileges", "process.noNewPrivileges", &sec->no_new_privs,
                          err) < 0)
        return -1;
    v = json_object_get(o, "rlimits");
    if (c && v && !json_is_null(v) && parse_rlimits(v, c, err) < 0)
        return -1;
    if (c && int_field(o, "oomScoreAdj", "process.oomScoreAdj", -1000, 1000, &n,
                       &c->has_oom_score_adj, err) < 0)
        return -1;
    if (c && c->has_oom_score_adj)
        c->oom_score_adj = (int)n;
    return 0;
}

#define PROPAGATION (MS_PRIVATE | MS_SHARED | MS_SLAVE | MS_UNBINDABLE)

/* Mount options -> MS_* flags and the rest as filesystem data. */
static const struct { const char *name; unsigned long set, clear; } mount_opts[] = {
    { "ro", MS_RDONLY, 0 }, { "rw", 0, MS_RDONLY }, { "nosuid", MS_NOSUID, 0 },
    { "suid", 0, MS_NOSUID }, { "nodev", MS_NODEV, 0 }, { "dev", 0, MS_NODEV },
    { "noexec", MS_NOEXEC, 0 }, { "exec", 0, MS_NOEXEC }, { "bind", MS_BIND, 0 },
    { "rbind", MS_BIND | MS_REC, 0 }, { "relatime", MS_RELATIME, 0 },
    { "norelatime", 0, MS_RELATIME }, { "strictatime", MS_STRICTATIME, 0 },
    { "noatime", MS_NOATIME, 0 }, { "nodiratime", MS_NODIRATIME, 0 },
    { "sync", MS_SYNCHRONOUS, 0 }, { "async", 0, MS_SYNCHRONOUS },
    { "defaults", 0, 0 },
    /* Recursive read-only (runtime/core/mounts.c: ro of a recursive bind is). */
    { "rro", MS_RDONLY | MS_REC, 0 }, { "rrw", 0, MS_RDONLY },
    /* Propagation of a bind (mounts.c applies it; private by default). */
    { "private", MS_PRIVATE, PROPAGATION }, { "rprivate", MS_PRIVATE, PROPAGATION },
    { "shared", MS_SHARED, PROPAGATION }, { "rshared", MS_SHARED, PROPAGATION },
    { "slave", MS_SLAVE, PROPAGATION }, { "rslave", MS_SLAVE, PROPAGATION },
    { "unbindable", MS_UNBINDABLE, PROPAGATION }, { "runbindable", MS_UNBINDABLE, PROPAGATION },
    { "tmpcopyup", 0, 0 }, { "z", 0, 0 }, { "Z", 0, 0 },
    { "copy", 0, 0 }, { "nocopy", 0, 0 }, /* podman's volume copy-up: the "copy" check below */
};

void oci_mount_option_names(json_t *out)
{
    for (size_t j = 0; j < sizeof mount_opts / sizeof mount_opts[0]; j++)
        json_array_append_new(out, json_string(mount_opts[j].name));
}

static int parse_mount(json_t *m, size_t i, struct osbox_spec *spec, const char *bundle,
                       struct osbox_err *err)
{
    _cleanup_free_ char *field = osbox_strdup_printf("mounts[%zu]", i);
    _cleanup_free_ char *f2 = NULL, *data = NULL, *src = NULL;
    const char *dest, *type, *source;
    char **opts = NULL;
    unsigned long flags = 0;
    bool copy = false;

    if (!json_is_object(m))
        return bad(err, field, "must be an object");
    dest = json_string_value(json_object_get(m, "destination"));
    if (!dest || dest[0] != '/')
        return osbox_error(err, 0, "config.json: %s.destination: must be an absolute path", field);
    type = json_string_value(json_object_get(m, "type"));
    source = json_string_value(json_object_get(m, "source"));
    f2 = osbox_strdup_printf("%s.options", field);
    if (strv_field(m, "options", f2, &opts, err) < 0)
        return -1;
    for (size_t k = 0; opts && opts[k]; k++) {
        size_t j;
        for (j = 0; j < sizeof mount_opts / sizeof mount_opts[0]; j++)
            if (!strcmp(opts[k], mount_opts[j].name))
                break;
        if (!strcmp(opts[k], "copy") || !strcmp(opts[k], "nocopy"))
            copy = opts[k][0] == 'c';
        if (j < sizeof mount_opts / sizeof mount_opts[0]) {
            flags = (flags & ~mount_opts[j].clear) | mount_opts[j].set;
        } else {
            char *d = data ? osbox_strdup_printf("%s,%s", data, opts[k]) : osbox_xstrdup(opts[k]);
            free(data);
            data = d;
        }
    }
    osbox_strv_free(opts);
    if (!type)
        type = (flags & MS_BIND) ? "bind" : NULL;
    if (!type)
        return osbox_error(err, 0, "config.json: %s.type: required unless the options say bind", field);
    if (!strcmp(type, "bind"))
        flags |= MS_BIND;
    if (flags & MS_BIND) {
        if (!source)
            return osbox_error(err, 0, "config.json: %s.source: a bind mount needs one", field);
        /* Relative sources are relative to the bundle. */
        src = source[0] == '/' ? osbox_xstrdup(source) : osbox_strdup_printf("%s/%s", bundle, source);
        source = src;
    }
    if (!strcmp(type, "cgroup")) {
        /* A v1 "cgroup" mount would take the host's hierarchies; the
         * container gets its own cgroup2 view (its cgroup namespace) instead. */
        type = "cgroup2";
        source = "cgroup2";
    }
    if (!(flags & MS_BIND))
        flags &= ~(unsigned long)PROPAGATION; /* a fresh fs below a private root */
    osbox_spec_add_mount(spec, dest, type, source ? source : type, flags, data);
    spec->mounts[spec->n_mounts - 1].copy_up = copy && (flags & MS_BIND);
    return 0;
}

static const struct { const char *name; unsigned bit; enum oci_ns ns; } ns_types[] = {
    { "pid", OSBOX_NS_PID, OCI_NS_PID }, { "network", OSBOX_NS_NET, OCI_NS_NET },
    { "ipc", OSBOX_NS_IPC, OCI_NS_IPC }, { "uts", OSBOX_NS_UTS, OCI_NS_UTS },
    { "mount", OSBOX_NS_MOUNT, OCI_NS_MOUNT }, { "cgroup", OSBOX_NS_CGROUP, OCI_NS_CGROUP },
    { "time", OSBOX_NS_TIME, OCI_NS_TIME },
};

static int parse_namespaces(json_t *a, struct oci_config *c, struct osbox_err *err)
{
    json_t *n;
    size_t i;

    if (!json_is_array(a))
        return bad(err, "linux.namespaces", "must be an array");
    c->spec.namespaces = 0;
    json_array_foreach(a, i, n) {
        const char *type = json_string_value(json_object_get(n, "type"));
        json_t *path = json_object_get(n, "path");
        size_t k;

        if (!type)
            return osbox_error(err, 0, "config.json: linux.namespaces[%zu].type: required", i);
        if (!strcmp(type, "user"))
            return osbox_error(err, 0, "config.json: linux.namespaces[%zu]: user namespaces are not supported by osbox", i);
        for (k = 0; k < sizeof ns_types / sizeof ns_types[0]; k++)
            if (!strcmp(type, ns_types[k].name))
                break;
        if (k == sizeof ns_types / sizeof ns_types[0])
            return osbox_error(err, 0, "config.json: linux.namespaces[%zu].type: unknown namespace '%s'", i, type);
        if (path && !json_is_null(path)) {
            const char *p = json_string_value(path);
            struct stat st;
            if (!p || p[0] != '/')
                return osbox_error(err, 0, "config.json: linux.namespaces[%zu].path: must be an absolute path", i);
            if (stat(p, &st) < 0)
                return osbox_error(err, errno, "config.json: linux.namespaces[%zu]: %s namespace path %s",
                                   i, type, p);
            if (ns_types[k].ns == OCI_NS_MOUNT || ns_types[k].ns == OCI_NS_CGROUP)
                return osbox_error(err, 0, "config.json: linux.namespaces[%zu]: joining a %s namespace by path is not supported", i, type);
            free(c->ns_path[ns_types[k].ns]);
            c->ns_path[ns_types[k].ns] = osbox_xstrdup(p);
        } else {
            c->spec.namespaces |= ns_types[k].bit;
        }
    }
    if (!(c->spec.namespaces & OSBOX_NS_MOUNT))
        return bad(err, "linux.namespaces", "osbox needs a new mount namespace (add {\"type\":\"mount\"})");
    if (!(c->spec.namespaces & OSBOX_NS_NET) && !c->ns_path[OCI_NS_NET])
        c->spec.net.mode = OSBOX_NET_HOST;
    return 0;
}

/* linux.resources.cpu.cpus / .mems: a list string, checked as the run flags are. */
static int cpuset_field(json_t *cpu, const char *key, struct osbox_resources *res,
                        int (*set)(struct osbox_resources *, const char *, struct osbox_err *),
                        struct osbox_err *err)
{
    json_t *v = json_object_get(cpu, key);

    if (!v || (json_is_string(v) && !*json_string_value(v)))
        return 0;
    if (!json_is_string(v))
        return osbox_error(err, EINVAL, "config.json: linux.resources.cpu.%s must be a string", key);
    if (set(res, json_string_value(v), err) < 0)
        return osbox_error_prefix(err, "config.json: linux.resources.cpu");
    return 0;
}

/* linux.resources.devices: [{allow, type, major, minor, access}], in order
 * (the last rule that matches decides). type defaults to "a", major/minor
 * to any, access to "rwm". */
static int parse_dev_rules(json_t *a, struct osbox_resources *res, struct osbox_err *err)
{
    json_t *rule;
    size_t i;

    if (!json_is_array(a))
        return bad(err, "linux.resources.devices", "must be an array");
    json_array_foreach(a, i, rule) {
        _cleanup_free_ char *field = osbox_strdup_printf("linux.resources.devices[%zu]", i);
        json_t *allow = json_object_get(rule, "allow"), *type = json_object_get(rule, "type");
        json_t *access = json_object_get(rule, "access");
        long long maj = OSBOX_DEV_ANY, min = OSBOX_DEV_ANY;
        const char *t = type ? json_string_value(type) : "a";

        if (!json_is_object(rule) || !json_is_boolean(allow))
            return osbox_error(err, 0, "config.json: %s.allow: required, true or false", field);
        if (!t || strlen(t) != 1)
            return osbox_error(err, 0, "config.json: %s.type: must be a, b or c", field);
        if (access && !json_is_string(access))
            return osbox_error(err, 0, "config.json: %s.access: must be a string", field);
        if (int_field(rule, "major", field, -1, 0xfff, &maj, NULL, err) < 0 ||
            int_field(rule, "minor", field, -1, 0xfffff, &min, NULL, err) < 0)
            return -1;
        if (resources_add_dev_rule(res, t[0], maj, min, access ? json_string_value(access) : NULL,
                                   json_is_true(allow), err) < 0)
            return osbox_error_prefix(err, "config.json: %s", field);
    }
    return 0;
}

static int parse_resources(json_t *r, struct osbox_resources *res, struct osbox_err *err)
{
    json_t *mem, *cpu, *pids, *bio;
    long long n;
    bool set;
    int rc;

    mem = object_field(r, "memory", "linux.resources.memory", err, &rc);
    if (rc < 0)
        return -1;
    if (mem) {
        if (int_field(mem, "limit", "linux.resources.memory.limit", -1, INT64_MAX, &n, &set, err) < 0)
            return -1;
        if (set && n > 0)
            res->memory_limit = n;
        if (int_field(mem, "swap", "linux.resources.memory.swap", -1, INT64_MAX, &n, &set, err) < 0)
            return -1;
        if (set && n != 0)
            res->memory_swap = n;
    }
    cpu = object_field(r, "cpu", "linux.resources.cpu", err, &rc);
    if (rc < 0)
        return -1;
    if (cpu) {
        if (int_field(cpu, "shares", "linux.resources.cpu.shares", 0, 262144, &n, &set, err) < 0)
            return -1;
        if (set && n > 0)
            res->cpu_shares = (uint64_t)n;
        if (int_field(cpu, "quota", "linux.resources.cpu.quota", -1, INT64_MAX, &n, &set, err) < 0)
            return -1;
        if (set && n > 0)
            res->cpu_quota_us = n;
        if (int_field(cpu, "period", "linux.resources.cpu.period", 0, 1000000, &n, &set, err) < 0)
            return -1;
        if (set && n > 0)
            res->cpu_period_us = (uint64_t)n;
        if (res->cpu_quota_us > 0 && !res->cpu_period_us)
            res->cpu_period_us = 100000;
        if (cpuset_field(cpu, "cpus", res, resources_set_cpuset_cpus, err) < 0 ||
            cpuset_field(cpu, "mems", res, resources_set_cpuset_mems, err) < 0)
            return -1;
    }
    pids = object_field(r, "pids", "linux.resources.pids", err, &rc);
    if (rc < 0)
        return -1;
    if (pids) {
        if (int_field(pids, "limit", "linux.resources.pids.limit", -1, INT64_MAX, &n, &set, err) < 0)
            return -1;
        if (set && n > 0)
            res->pids_limit = n;
    }
    bio = object_field(r, "blockIO", "linux.resources.blockIO", err, &rc);
    if (rc < 0)
        return -1;
    /* blockIO is checked for shape only: osbox's cgroup layer has no io limits yet. */
    if (bio && int_field(bio, "weight", "linux.resources.blockIO.weight", 10, 1000, &n, NULL, err) < 0)
        return -1;
    if (json_object_get(r, "devices") && !json_is_null(json_object_get(r, "devices")) &&
        parse_dev_rules(json_object_get(r, "devices"), res, err) < 0)
        return -1;
    if (resources_validate(res, err) < 0)
        return osbox_error_prefix(err, "config.json: linux.resources");
    return 0;
}

int oci_resources_from_json(json_t *r, struct osbox_resources *res, struct osbox_err *err)
{
    osbox_resources_init(res);
    if (!json_is_object(r))
        return osbox_error(err, 0, "resources: not a JSON object");
    return parse_resources(r, res, err);
}

static int parse_hooks(json_t *h, struct oci_config *c, struct osbox_err *err)
{
    for (int k = 0; k < OCI_HOOK_N; k++) {
        json_t *a = json_object_get(h, oci_hook_names[k]), *e;
        size_t i;

        if (!a || json_is_null(a))
            continue;
        if (!json_is_array(a))
            return osbox_error(err, 0, "config.json: hooks.%s: must be an array", oci_hook_names[k]);
        json_array_foreach(a, i, e) {
            _cleanup_free_ char *field = osbox_strdup_printf("hooks.%s[%zu]", oci_hook_names[k], i);
            _cleanup_free_ char *fa = osbox_strdup_printf("%s.args", field);
            _cleanup_free_ char *fe = osbox_strdup_printf("%s.env", field);
            struct oci_hook hk = { 0 };
            long long t = 0;
            const char *path = json_string_value(json_object_get(e, "path"));

            if (!path || path[0] != '/')
                return osbox_error(err, 0, "config.json: %s.path: must be an absolute path", field);
            if (int_field(e, "timeout", field, 1, 86400, &t, NULL, err) < 0)
                return -1;
            hk.path = osbox_xstrdup(path);
            hk.timeout = (int)t;
            if (strv_field(e, "args", fa, &hk.args, err) < 0 || strv_field(e, "env", fe, &hk.env, err) < 0) {
                free(hk.path);
                osbox_strv_free(hk.args);
                return -1;
            }
            c->hooks[k] = realloc(c->hooks[k], (c->n_hooks[k] + 1) * sizeof hk);
            if (!c->hooks[k])
                abort();
            c->hooks[k][c->n_hooks[k]++] = hk;
        }
    }
    return 0;
}

/* linux.devices: each node made in the container (mknod after the rootfs,
 * runtime/security/masked_paths.c) with the type, numbers, mode and owner
 * given, whether or not the host has such a device. */
static int parse_devices(json_t *a, struct osbox_spec *spec, struct osbox_err *err)
{
    struct osbox_security *sec = &spec->security;
    json_t *dv;
    size_t i;

    if (!json_is_array(a))
        return bad(err, "linux.devices", "must be an array");
    json_array_foreach(a, i, dv) {
        _cleanup_free_ char *field = osbox_strdup_printf("linux.devices[%zu]", i);
        const char *path = json_string_value(json_object_get(dv, "path"));
        const char *type = json_string_value(json_object_get(dv, "type"));
        json_t *maj = json_object_get(dv, "major"), *min = json_object_get(dv, "minor");
        long long mode = 0666, uid = 0, gid = 0;
        struct osbox_device *d;

        if (!path || path[0] != '/' || strstr(path, "/../") || !strcmp(path, "/"))
            return osbox_error(err, 0, "config.json: %s.path: must be an absolute path", field);
        if (!type || (strcmp(type, "c") && strcmp(type, "u") && strcmp(type, "b")))
            return osbox_error(err, 0, "config.json: %s.type: must be c, u or b", field);
        if (!json_is_integer(maj) || !json_is_integer(min) || json_integer_value(maj) < 0 ||
            json_integer_value(min) < 0 || json_integer_value(maj) > 0xfff ||
            json_integer_value(min) > 0xfffff)
            return osbox_error(err, 0, "config.json: %s: major and minor must be device numbers", field);
        if (int_field(dv, "fileMode", field, 0, 07777, &mode, NULL, err) < 0 ||
            int_field(dv, "uid", field, 0, UINT32_MAX - 1, &uid, NULL, err) < 0 ||
            int_field(dv, "gid", field, 0, UINT32_MAX - 1, &gid, NULL, err) < 0)
            return -1;
        sec->devices = realloc(sec->devices, (sec->n_devices + 1) * sizeof *sec->devices);
        if (!sec->devices)
            abort();
        d = &sec->devices[sec->n_devices++];
        *d = (struct osbox_device){
            .path = osbox_xstrdup(path),
            .mode = (mode_t)mode | (type[0] == 'b' ? S_IFBLK : S_IFCHR),
            .rdev = makedev((unsigned)json_integer_value(maj), (unsigned)json_integer_value(min)),
            .uid = (uid_t)uid,
            .gid = (gid_t)gid,
        };
    }
    return 0;
}

static int parse_linux(json_t *l, struct oci_config *c, struct osbox_err *err)
{
    struct osbox_spec *spec = &c->spec;
    json_t *v;
    int rc;

    v = json_object_get(l, "namespaces");
    if (v && parse_namespaces(v, c, err) < 0)
        return -1;
    v = object_field(l, "resources", "linux.resources", err, &rc);
    if (rc < 0 || (v && parse_resources(v, &spec->resources, err) < 0))
        return -1;
    v = json_object_get(l, "cgroupsPath");
    if (v && !json_is_string(v))
        return bad(err, "linux.cgroupsPath", "must be a string");
    /* A cgroupfs path is the parent of the container's cgroup; the systemd
     * form (slice:prefix:name) is left to the cgroup osbox runs in. */
    if (v && json_string_value(v)[0] == '/' && !strchr(json_string_value(v), ':'))
        spec->cgroup_parent = osbox_xstrdup(json_string_value(v));
    osbox_strv_free(spec->security.masked_paths);
    osbox_strv_free(spec->security.readonly_paths);
    spec->security.masked_paths = spec->security.readonly_paths = NULL;
    if (strv_field(l, "maskedPaths", "linux.maskedPaths", &spec->security.masked_paths, err) < 0 ||
        strv_field(l, "readonlyPaths", "linux.readonlyPaths", &spec->security.readonly_paths, err) < 0)
        return -1;
    v = object_field(l, "seccomp", "linux.seccomp", err, &rc);
    if (rc < 0)
        return -1;
    if (v) {
        char **warnings = NULL;
        if (syscall_filter_build_json(v, spec->security.caps, &spec->security.seccomp, &warnings, err) < 0)
            return osbox_error_prefix(err, "config.json: linux.seccomp");
        osbox_strv_free(warnings); /* syscalls this kernel does not know */
        spec->security.seccomp_mode = OSBOX_SECCOMP_CUSTOM;
        json_decref(spec->security.seccomp_profile);
        spec->security.seccomp_profile = json_incref(v);
    }
    v = object_field(l, "sysctl", "linux.sysctl", err, &rc);
    if (rc < 0)
        return -1;
    if (v) {
        const char *k;
        json_t *val;
        c->sysctl = osbox_xcalloc(1, sizeof *c->sysctl);
        json_object_foreach(v, k, val) {
            if (!json_is_string(val))
                return osbox_error(err, 0, "config.json: linux.sysctl.%s: must be a string", k);
            _cleanup_free_ char *kv = osbox_strdup_printf("%s=%s", k, json_string_value(val));
            osbox_strv_push(&c->sysctl, kv);
        }
    }
    v = json_object_get(l, "devices");
    if (v && !json_is_null(v) && parse_devices(v, spec, err) < 0)
        return -1;
    /* With device rules, as runc: osbox's own /dev nodes (and mknod) stay
     * usable, and so does every node linux.devices makes. */
    if (spec->resources.n_dev_rules && !spec->security.privileged) {
        resources_default_dev_rules(&spec->resources);
        for (size_t i = 0; i < spec->security.n_devices; i++) {
            const struct osbox_device *d = &spec->security.devices[i];
            if (resources_add_dev_rule(&spec->resources, S_ISBLK(d->mode) ? 'b' : 'c',
                                       major(d->rdev), minor(d->rdev), "rwm", true, err) < 0)
                return osbox_error_prefix(err, "config.json: linux.devices[%zu]", i);
        }
    }
    v = json_object_get(l, "rootfsPropagation");
    if (v && !json_is_string(v))
        return bad(err, "linux.rootfsPropagation", "must be a string");
    return 0;
}

int oci_config_from_json(json_t *doc, const char *bundle, struct oci_config *c,
                         struct osbox_err *err)
{
    struct osbox_spec *spec = &c->spec;
    json_t *root, *ext, *v;
    const char *ver, *rpath;
    struct stat st;
    int rc;

    memset(c, 0, sizeof *c);
    osbox_spec_init(spec);
    /* OCI semantics: no seccomp, no masks, only the capabilities listed. */
    spec->security.seccomp_mode = OSBOX_SECCOMP_UNCONFINED;
    spec->security.caps = 0;
    spec->security.no_new_privs = false;
    spec->namespaces = OSBOX_NS_ALL & ~(unsigned)OSBOX_NS_TIME;
    if (!json_is_object(doc))
        return osbox_error(err, 0, "config.json: must be a JSON object");
    ver = json_string_value(json_object_get(doc, "ociVersion"));
    if (!ver)
        return bad(err, "ociVersion", "required (a string such as \"1.0.2\")");
    if (strncmp(ver, "1.", 2))
        return osbox_error(err, 0, "config.json: ociVersion: '%s' is not a 1.x version", ver);
    /* linux first: the seccomp profile is compiled against the caps, so caps
     * must be known; process.capabilities sets them. */
    v = json_object_get(doc, "process");
    if (!v)
        return bad(err, "process", "required");
    if (oci_process_from_json(v, &spec->process, &spec->security, c, err) < 0)
        return -1;
    root = object_field(doc, "root", "root", err, &rc);
    if (rc < 0)
        return -1;
    ext = json_object_get(doc, "osbox");
    rpath = root ? json_string_value(json_object_get(root, "path")) : NULL;
    /* A spec osbox saved may stand on image layers instead (osbox.layers). */
    if (!rpath && !(ext && json_object_get(ext, "layers")))
        return bad(err, "root.path", "required");
    if (rpath) {
        spec->root.path = rpath[0] == '/' ? osbox_xstrdup(rpath)
                                          : osbox_strdup_printf("%s/%s", bundle, rpath);
        if (stat(spec->root.path, &st) < 0)
            return osbox_error(err, errno, "config.json: root.path %s", spec->root.path);
        if (!S_ISDIR(st.st_mode))
            return osbox_error(err, ENOTDIR, "config.json: root.path %s", spec->root.path);
    }
    if (root && bool_field(root, "readonly", "root.readonly", &spec->root.readonly, err) < 0)
        return -1;
    if (str_field(doc, "hostname", "hostname", &spec->hostname, err) < 0)
        return -1;
    v = json_object_get(doc, "mounts");
    if (v && !json_is_array(v))
        return bad(err, "mounts", "must be an array");
    for (size_t i = 0; v && i < json_array_size(v); i++)
        if (parse_mount(json_array_get(v, i), i, spec, bundle, err) < 0)
            return -1;
    v = object_field(doc, "hooks", "hooks", err, &rc);
    if (rc < 0 || (v && parse_hooks(v, c, err) < 0))
        return -1;
    v = object_field(doc, "annotations", "annotations", err, &rc);
    if (rc < 0)
        return -1;
    c->annotations = v ? json_deep_copy(v) : json_object();
    v = object_field(doc, "linux", "linux", err, &rc);
    if (rc < 0 || (v && parse_linux(v, c, err) < 0))
        return -1;
    if (ext && oci_config_osbox_from_json(ext, spec, err) < 0)
        return -1;
    return 0;
}

int oci_config_load(const char *bundle, struct oci_config *c, struct osbox_err *err)
{
    _cleanup_free_ char *path = osbox_strdup_printf("%s/config.json", bundle);
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    int rc;

    if (!doc) {
        memset(c, 0, sizeof *c);
        osbox_spec_init(&c->spec);
        if (access(path, F_OK) < 0)
            return osbox_error(err, errno, "bundle %s: config.json", bundle);
        return osbox_error(err, 0, "%s: line %d: %s", path, je.line, je.text);
    }
    rc = oci_config_from_json(doc, bundle, c, err);
    json_decref(doc);
    return rc;
}

void oci_config_free(struct oci_config *c)
{
    osbox_spec_free(&c->spec);
    for (int k = 0; k < OCI_HOOK_N; k++) {
        for (size_t i = 0; i < c->n_hooks[k]; i++) {
            free(c->hooks[k][i].path);
            osbox_strv_free(c->hooks[k][i].args);
            osbox_strv_free(c->hooks[k][i].env);
        }
        free(c->hooks[k]);
    }
    for (int i = 0; i < OCI_NS_N; i++)
        free(c->ns_path[i]);
    free(c->rlimits);
    osbox_strv_free(c->sysctl);
    osbox_strv_free(c->warnings);
    json_decref(c->annotations);
    memset(c, 0, sizeof *c);
}
