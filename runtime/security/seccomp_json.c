/* seccomp profiles in the OCI runtime-spec / Docker JSON format:
 *   defaultAction, defaultErrnoRet, architectures (OCI) or archMap (Docker),
 *   syscalls[]: names (or name), action, errnoRet, args[{index,value,valueTwo,op}],
 *   includes/excludes {caps, arches, minKernel} (Docker's conditional rules).
 * Unknown syscall names are skipped with a warning (as Docker does); an
 * unknown action, op or architecture is an error. */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/utsname.h>

#include "runtime/security/security.h"
#include "util.h"

static const struct {
    const char *name;
    uint32_t action; /* ERRNO/TRACE get their value added */
} actions[] = {
    { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW },
    { "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0) },
    { "SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD },
    { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD },
    { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS },
    { "SCMP_ACT_TRAP", SCMP_ACT_TRAP },
    { "SCMP_ACT_TRACE", SCMP_ACT_TRACE(0) },
    { "SCMP_ACT_LOG", SCMP_ACT_LOG },
};

static const struct {
    const char *name;
    enum scmp_compare op;
} ops[] = {
    { "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT },
    { "SCMP_CMP_LE", SCMP_CMP_LE }, { "SCMP_CMP_EQ", SCMP_CMP_EQ },
    { "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
    { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

struct parse {
    uint64_t caps;
    char ***warnings;
    struct osbox_err *err;
};

/* action name + errnoRet (default EPERM) -> libseccomp action. */
static int parse_action(json_t *name, json_t *errno_ret, uint32_t *out, struct osbox_err *err)
{
    const char *s = json_string_value(name);
    json_int_t e = EPERM;

    if (!s)
        return osbox_error(err, 0, "\"action\" must be a string");
    if (errno_ret) {
        if (!json_is_integer(errno_ret) || json_integer_value(errno_ret) < 0 ||
            json_integer_value(errno_ret) > 0xffff)
            return osbox_error(err, 0, "errnoRet must be an integer 0..65535");
        e = json_integer_value(errno_ret);
    }
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++) {
        if (strcmp(actions[i].name, s))
            continue;
        *out = actions[i].action;
        if (*out == SCMP_ACT_ERRNO(0))
            *out = SCMP_ACT_ERRNO((uint16_t)e);
        return 0;
    }
    return osbox_error(err, 0, "unknown action \"%s\"", s);
}

/* "SCMP_ARCH_X86_64" -> libseccomp's token. */
static int parse_arch(const char *s, uint32_t *out, struct osbox_err *err)
{
    char buf[64];
    size_t n = 0;

    if (!strncmp(s, "SCMP_ARCH_", 10))
        s += 10;
    for (; *s && n < sizeof buf - 1; s++)
        buf[n++] = (char)tolower((unsigned char)*s);
    buf[n] = '\0';
    *out = seccomp_arch_resolve_name(buf);
    if (!*out)
        return osbox_error(err, 0, "unknown architecture \"%s\"", buf);
    return 0;
}

static int add_arch(scmp_filter_ctx ctx, json_t *name, struct osbox_err *err)
{
    uint32_t arch;
    int rc;

    if (!json_is_string(name))
        return osbox_error(err, 0, "architectures must be strings");
    if (parse_arch(json_string_value(name), &arch, err) < 0)
        return -1;
    rc = seccomp_arch_add(ctx, arch);
    if (rc < 0 && rc != -EEXIST)
        return osbox_error(err, -rc, "add architecture %s", json_string_value(name));
    return 0;
}

static int parse_arches(scmp_filter_ctx ctx, json_t *profile, struct osbox_err *err)
{
    json_t *list = json_object_get(profile, "architectures"), *map, *v;
    size_t i;

    if (list && !json_is_array(list))
        return osbox_error(err, 0, "\"architectures\" must be an array");
    json_array_foreach(list, i, v)
        if (add_arch(ctx, v, err) < 0)
            return -1;
    /* Docker's archMap: the entry for the native arch brings its sub-arches. */
    map = json_object_get(profile, "archMap");
    if (map && !json_is_array(map))
        return osbox_error(err, 0, "\"archMap\" must be an array");
    json_array_foreach(map, i, v) {
        uint32_t arch;
        json_t *a = json_object_get(v, "architecture"), *sub, *s;
        size_t j;
        if (!json_is_string(a) || parse_arch(json_string_value(a), &arch, err) < 0)
            return osbox_error(err, 0, "archMap entries need a known \"architecture\"");
        if (arch != seccomp_arch_native())
            continue;
        sub = json_object_get(v, "subArchitectures");
        json_array_foreach(sub, j, s)
            if (add_arch(ctx, s, err) < 0)
                return -1;
    }
    return 0;
}

static bool kernel_at_least(const char *want)
{
    struct utsname u;
    unsigned wa = 0, wb = 0, ha = 0, hb = 0;

    if (uname(&u) < 0 || sscanf(want, "%u.%u", &wa, &wb) < 1 ||
        sscanf(u.release, "%u.%u", &ha, &hb) < 1)
        return true;
    return ha > wa || (ha == wa && hb >= wb);
}

static bool has_cap_named(uint64_t caps, json_t *name)
{
    int cap;
    return json_is_string(name) && caps_from_name(json_string_value(name), &cap) == 0 &&
           (caps & CAP_BIT(cap));
}

/* Docker's includes/excludes "arches" name the host's architecture, in Go's
 * words (amd64, arm64, 386 ...) or libseccomp's: true when name is ours. */
static bool has_arch_named(json_t *name)
{
    static const struct {
        const char *go, *scmp;
    } go_names[] = {
        { "amd64", "x86_64" }, { "386", "x86" }, { "arm64", "aarch64" },
        { "mips64le", "mipsel64" }, { "mipsle", "mipsel" },
    };
    const char *s = json_string_value(name);
    struct osbox_err ignored;
    uint32_t arch;

    if (!s)
        return false;
    for (size_t i = 0; i < sizeof go_names / sizeof go_names[0]; i++)
        if (!strcmp(s, go_names[i].go))
            s = go_names[i].scmp;
    return parse_arch(s, &arch, &ignored) == 0 && arch == seccomp_arch_native();
}

/* Docker's includes (all must hold) / excludes (none may hold). */
static bool rule_applies(json_t *rule, uint64_t caps)
{
    json_t *inc = json_object_get(rule, "includes"), *exc = json_object_get(rule, "excludes");
    json_t *v, *mk;
    size_t i;

    json_array_foreach(json_object_get(inc, "caps"), i, v)
        if (!has_cap_named(caps, v))
            return false;
    if (json_array_size(json_object_get(inc, "arches"))) {
        bool any = false;
        json_array_foreach(json_object_get(inc, "arches"), i, v)
            any |= has_arch_named(v);
        if (!any)
            return false;
    }
    mk = json_object_get(inc, "minKernel");
    if (json_is_string(mk) && !kernel_at_least(json_string_value(mk)))
        return false;
    json_array_foreach(json_object_get(exc, "caps"), i, v)
        if (has_cap_named(caps, v))
            return false;
    json_array_foreach(json_object_get(exc, "arches"), i, v)
        if (has_arch_named(v))
            return false;
    return true;
}

static int parse_args(json_t *args, struct scmp_arg_cmp *out, unsigned *n, struct osbox_err *err)
{
    json_t *a;
    size_t i;

    *n = 0;
    if (!args || json_is_null(args))
        return 0;
    if (!json_is_array(args) || json_array_size(args) > 6)
        return osbox_error(err, 0, "\"args\" must be an array of at most 6 comparisons");
    json_array_foreach(args, i, a) {
        json_t *idx = json_object_get(a, "index"), *op = json_object_get(a, "op");
        json_t *v1 = json_object_get(a, "value"), *v2 = json_object_get(a, "valueTwo");
        size_t k;
        if (!json_is_integer(idx) || json_integer_value(idx) < 0 || json_integer_value(idx) > 5)
            return osbox_error(err, 0, "args[].index must be 0..5");
        if (!json_is_integer(v1) || (v2 && !json_is_integer(v2)))
            return osbox_error(err, 0, "args[].value/valueTwo must be integers");
        for (k = 0; k < sizeof ops / sizeof ops[0]; k++)
            if (json_is_string(op) && !strcmp(ops[k].name, json_string_value(op)))
                break;
        if (k == sizeof ops / sizeof ops[0])
            return osbox_error(err, 0, "unknown args[].op \"%s\"",
                               json_is_string(op) ? json_string_value(op) : "?");
        out[*n] = (struct scmp_arg_cmp){
            .arg = (unsigned)json_integer_value(idx),
            .op = ops[k].op,
            .datum_a = (uint64_t)json_integer_value(v1),
            .datum_b = v2 ? (uint64_t)json_integer_value(v2) : 0,
        };
        (*n)++;
    }
    return 0;
}

static int add_rule(scmp_filter_ctx ctx, json_t *rule, uint32_t dflt, struct parse *p)
{
    json_t *names = json_object_get(rule, "names"), *one = json_object_get(rule, "name"), *v;
    struct scmp_arg_cmp args[6];
    unsigned nargs;
    uint32_t action;
    size_t i;

    if (!json_is_object(rule))
        return osbox_error(p->err, 0, "syscalls[] entries must be objects");
    if (parse_action(json_object_get(rule, "action"), json_object_get(rule, "errnoRet"),
                     &action, p->err) < 0 ||
        parse_args(json_object_get(rule, "args"), args, &nargs, p->err) < 0)
        return -1;
    if ((names && !json_is_array(names)) || (one && !json_is_string(one)) || (!names && !one))
        return osbox_error(p->err, 0, "syscalls[] entries need \"names\" (an array of strings)");
    if (!rule_applies(rule, p->caps) || action == dflt)
        return 0; /* nothing to add: the default already does it */
    for (i = 0; i < json_array_size(names) + (one ? 1 : 0); i++) {
        v = i < json_array_size(names) ? json_array_get(names, i) : one;
        const char *name = json_string_value(v);
        int nr, rc;
        if (!name)
            return osbox_error(p->err, 0, "syscall names must be strings");
        nr = seccomp_syscall_resolve_name(name);
        if (nr == __NR_SCMP_ERROR) {
            char *w = osbox_strdup_printf("unknown syscall \"%s\" skipped", name);
            osbox_strv_push(p->warnings, w);
            free(w);
            continue;
        }
        rc = seccomp_rule_add_array(ctx, action, nr, nargs, args);
        if (rc < 0 && rc != -EEXIST)
            return osbox_error(p->err, -rc, "rule for %s", name);
    }
    return 0;
}

int syscall_filter_build_json(json_t *profile, uint64_t caps, struct osbox_seccomp **out,
                       char ***warnings, struct osbox_err *err)
{
    struct parse p = { .caps = caps, .warnings = warnings, .err = err };
    json_t *calls, *rule;
    scmp_filter_ctx ctx;
    uint32_t dflt;
    size_t i;

    if (!json_is_object(profile))
        return osbox_error(err, 0, "the profile must be a JSON object");
    if (!json_object_get(profile, "defaultAction"))
        return osbox_error(err, 0, "\"defaultAction\" is missing");
    if (parse_action(json_object_get(profile, "defaultAction"),
                     json_object_get(profile, "defaultErrnoRet"), &dflt, err) < 0)
        return osbox_error_prefix(err, "defaultAction");
    calls = json_object_get(profile, "syscalls");
    if (calls && !json_is_array(calls))
        return osbox_error(err, 0, "\"syscalls\" must be an array");
    ctx = seccomp_init(dflt);
    if (!ctx)
        return osbox_error(err, EINVAL, "seccomp_init");
    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
    if (parse_arches(ctx, profile, err) < 0)
        goto fail;
    json_array_foreach(calls, i, rule)
        if (add_rule(ctx, rule, dflt, &p) < 0) {
            osbox_error_prefix(err, "syscalls[%zu]", i);
            goto fail;
        }
    return syscall_filter_compile(ctx, out, err);
fail:
    seccomp_release(ctx);
    return -1;
}

int osbox_seccomp_load_file(struct osbox_security *s, const char *path, char ***warnings,
                            struct osbox_err *err)
{
    json_error_t je;
    json_t *profile = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    struct osbox_seccomp *prog = NULL;
    int rc;

    if (!profile) {
        if (je.line < 0 || je.position == 0)
            return osbox_error(err, 0, "seccomp profile %s: %s", path, je.text);
        return osbox_error(err, 0, "seccomp profile %s: line %d: %s", path, je.line, je.text);
    }
    rc = syscall_filter_build_json(profile, s->caps, &prog, warnings, err);
    if (rc < 0) {
        json_decref(profile);
        return osbox_error_prefix(err, "seccomp profile %s", path);
    }
    syscall_filter_free(s->seccomp);
    s->seccomp = prog;
    json_decref(s->seccomp_profile);
    s->seccomp_profile = profile;
    s->seccomp_mode = OSBOX_SECCOMP_CUSTOM;
    return 0;
}
