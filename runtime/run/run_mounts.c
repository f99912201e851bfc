/* Parsing of -v, --mount and --tmpfs (run.h). Bad input is refused
 * here, before the container or any volume exists. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "runtime/run/run.h"
#include "runtime/volume/volume.h"
#include "util.h"

#define TMPFS_DEFAULT_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC)

static bool ends_at(const char *p, const char *root)
{
    size_t n = strlen(root);
    return !strncmp(p, root, n) && (p[n] == '\0' || p[n] == '/');
}

/* A destination: absolute, not "/" and not /proc (the kernel's view of the
 * container must stay the kernel's), one mount per destination. */
static int check_destination(const struct run_mounts *rm, const char *what, const char *dst,
                             struct osbox_err *err)
{
    const char *p = dst;

    if (!dst || dst[0] != '/')
        return osbox_error(err, 0, "%s: the container path '%s' is not absolute", what, dst ? dst : "");
    while (*p == '/')
        p++;
    if (!*p)
        return osbox_error(err, 0, "%s: a mount on the container's / is not allowed", what);
    if (ends_at(dst + (p - dst) - 1, "/proc"))
        return osbox_error(err, 0, "%s: a mount on %s is not allowed", what, dst);
    for (const char *s = dst; (s = strstr(s, "/..")); s += 3)
        if (s[3] == '\0' || s[3] == '/')
            return osbox_error(err, 0, "%s: the container path '%s' has '..'", what, dst);
    for (size_t i = 0; i < rm->n; i++)
        if (!strcmp(rm->v[i].destination, dst))
            return osbox_error(err, 0, "%s: duplicate mount point %s", what, dst);
    return 0;
}

static int check_host_path(const char *what, const char *src, struct osbox_err *err)
{
    struct stat st;

    if (src[0] != '/')
        return osbox_error(err, 0, "%s: the host path '%s' is not absolute", what, src);
    if (stat(src, &st) < 0)
        return osbox_error(err, errno, "%s: host path %s", what, src);
    return 0;
}

static void push(struct run_mounts *rm, const struct run_mount *m)
{
    struct run_mount *v = realloc(rm->v, (rm->n + 1) * sizeof *v);

    if (!v)
        abort();
    rm->v = v;
    rm->v[rm->n++] = *m;
}

static int set_propagation(struct run_mount *m, const char *p)
{
    static const struct { const char *name; unsigned long flags; } props[] = {
        { "private", MS_PRIVATE }, { "rprivate", MS_PRIVATE | MS_REC },
        { "slave", MS_SLAVE }, { "rslave", MS_SLAVE | MS_REC },
        { "shared", MS_SHARED }, { "rshared", MS_SHARED | MS_REC },
    };
    for (size_t i = 0; i < sizeof props / sizeof props[0]; i++) {
        if (!strcmp(p, props[i].name)) {
            /* Binds are recursive already (rbind); "r" only makes the
             * propagation change recursive too. */
            m->flags = (m->flags & ~(unsigned long)(MS_PRIVATE | MS_SLAVE | MS_SHARED)) | props[i].flags;
            return 0;
        }
    }
    return -1;
}

/* -v SRC:DST[:OPTS] | -v DST */
static int parse_volume(struct run_mounts *rm, const char *arg, struct osbox_err *err)
{
    _cleanup_free_ char *s = osbox_xstrdup(arg);
    char *parts[4] = { 0 }, *save = NULL, *tok;
    size_t n = 0;
    struct run_mount m = { .flags = MS_BIND | MS_REC };
    _cleanup_free_ char *what = osbox_strdup_printf("-v %s", arg);

    for (tok = strtok_r(s, ":", &save); tok && n < 4; tok = strtok_r(NULL, ":", &save))
        parts[n++] = tok;
    if (n == 0 || n > 3 || tok)
        return osbox_error(err, 0, "%s: expected HOST:CTR[:OPTS], NAME:CTR[:OPTS] or CTR", what);
    if (n == 1) {
        m.kind = RUN_MOUNT_ANONYMOUS;
        m.destination = parts[0];
    } else {
        m.source = parts[0];
        m.destination = parts[1];
        if (parts[0][0] == '/')
            m.kind = RUN_MOUNT_BIND;
        else if (strchr(parts[0], '/') || parts[0][0] == '.' || parts[0][0] == '~')
            return osbox_error(err, 0, "%s: the host path '%s' is not absolute", what, parts[0]);
        else if (!volume_name_valid(parts[0]))
            return osbox_error(err, 0, "%s: invalid volume name '%s'", what, parts[0]);
        else
            m.kind = RUN_MOUNT_VOLUME;
    }
    if (n == 3) {
        char *osave = NULL;
        for (tok = strtok_r(parts[2], ",", &osave); tok; tok = strtok_r(NULL, ",", &osave)) {
            if (!strcmp(tok, "ro"))
                m.flags |= MS_RDONLY;
            else if (!strcmp(tok, "rw"))
                m.flags &= ~(unsigned long)MS_RDONLY;
            else if (!strcmp(tok, "z") || !strcmp(tok, "Z") || !strcmp(tok, "consistent") ||
                     !strcmp(tok, "cached") || !strcmp(tok, "delegated"))
                ; /* SELinux relabelling and macOS hints: nothing to do here */
            else if (!strcmp(tok, "nocopy") && m.kind != RUN_MOUNT_BIND)
                m.nocopy = true;
            else if (m.kind != RUN_MOUNT_BIND || set_propagation(&m, tok) < 0)
                return osbox_error(err, 0, "%s: unknown option '%s'", what, tok);
        }
    }
    if (check_destination(rm, what, m.destination, err) < 0 ||
        (m.kind == RUN_MOUNT_BIND && check_host_path(what, m.source, err) < 0))
        return -1;
    m.source = osbox_xstrdup(m.source);
    m.destination = osbox_xstrdup(m.destination);
    push(rm, &m);
    return 0;
}

/* tmpfs options: mount flags to m->flags, size/mode/uid/gid/nr_inodes to data. */
static int tmpfs_option(struct run_mount *m, const char *opt, char **data)
{
    static const struct { const char *name; unsigned long set, clear; } flags[] = {
        { "ro", MS_RDONLY, 0 }, { "rw", 0, MS_RDONLY }, { "nosuid", MS_NOSUID, 0 },
        { "suid", 0, MS_NOSUID }, { "nodev", MS_NODEV, 0 }, { "dev", 0, MS_NODEV },
        { "noexec", MS_NOEXEC, 0 }, { "exec", 0, MS_NOEXEC }, { "noatime", MS_NOATIME, 0 },
    };
    static const char *const keys[] = { "size=", "mode=", "uid=", "gid=", "nr_inodes=", "nr_blocks=" };

    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        if (!strcmp(opt, flags[i].name)) {
            m->flags = (m->flags & ~flags[i].clear) | flags[i].set;
            return 0;
        }
    }
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (!strncmp(opt, keys[i], strlen(keys[i])) && opt[strlen(keys[i])]) {
            char *d = *data ? osbox_strdup_printf("%s,%s", *data, opt) : osbox_xstrdup(opt);
            free(*data);
            *data = d;
            return 0;
        }
    }
    return -1;
}

/* --tmpfs PATH[:OPTS] */
static int parse_tmpfs(struct run_mounts *rm, const char *arg, struct osbox_err *err)
{
    _cleanup_free_ char *s = osbox_xstrdup(arg), *what = osbox_strdup_printf("--tmpfs %s", arg);
    char *opts = strchr(s, ':'), *save = NULL, *tok, *data = NULL;
    struct run_mount m = { .kind = RUN_MOUNT_TMPFS, .flags = TMPFS_DEFAULT_FLAGS };

    if (opts)
        *opts++ = '\0';
    for (tok = opts ? strtok_r(opts, ",", &save) : NULL; tok; tok = strtok_r(NULL, ",", &save)) {
        if (tmpfs_option(&m, tok, &data) < 0) {
            free(data);
            return osbox_error(err, 0, "%s: unknown option '%s'", what, tok);
        }
    }
    if (check_destination(rm, what, s, err) < 0) {
        free(data);
        return -1;
    }
    if (!data || !strstr(data, "size="))
        m.data = data ? osbox_strdup_printf("%s,size=65536k", data) : osbox_xstrdup("size=65536k");
    else
        m.data = osbox_xstrdup(data);
    free(data);
    m.destination = osbox_xstrdup(s);
    push(rm, &m);
    return 0;
}

static bool bool_value(const char *v, bool *out)
{
    if (!v || !strcmp(v, "true") || !strcmp(v, "1")) {
        *out = true;
        return true;
    }
    if (!strcmp(v, "false") || !strcmp(v, "0")) {
        *out = false;
        return true;
    }
    return false;
}

/* --mount type=...,source=...,target=...,... */
static int parse_mount(struct run_mounts *rm, const char *arg, struct osbox_err *err)
{
    _cleanup_free_ char *s = osbox_xstrdup(arg), *what = osbox_strdup_printf("--mount %s", arg);
    _cleanup_free_ char *data = NULL;
    char *save = NULL, *tok, *type = NULL, *src = NULL, *dst = NULL, *prop = NULL;
    bool ro = false, nocopy = false, b;
    struct run_mount m = { 0 };

    for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '='), *v = eq ? eq + 1 : NULL;
        if (eq)
            *eq = '\0';
        if (!strcmp(tok, "type") && v)
            type = v;
        else if ((!strcmp(tok, "source") || !strcmp(tok, "src")) && v)
            src = v;
        else if ((!strcmp(tok, "target") || !strcmp(tok, "destination") || !strcmp(tok, "dst")) && v)
            dst = v;
        else if ((!strcmp(tok, "readonly") || !strcmp(tok, "ro")) && bool_value(v, &b))
            ro = b;
        else if (!strcmp(tok, "bind-propagation") && v)
            prop = v;
        else if (!strcmp(tok, "volume-nocopy") && bool_value(v, &b))
            nocopy = b;
        else if (!strcmp(tok, "tmpfs-size") && v) {
            uint64_t bytes;
            if (osbox_parse_size(v, &bytes, err) < 0)
                return osbox_error_prefix(err, "%s: tmpfs-size", what);
            free(data);
            data = osbox_strdup_printf("size=%llu%s%s", (unsigned long long)bytes, data ? "," : "",
                                       data ? data : "");
        } else if (!strcmp(tok, "tmpfs-mode") && v) {
            char *end;
            unsigned long mode = strtoul(v, &end, 8);
            if (!*v || *end || mode > 07777)
                return osbox_error(err, 0, "%s: tmpfs-mode '%s' is not an octal mode", what, v);
            char *d = osbox_strdup_printf("%s%smode=%lo", data ? data : "", data ? "," : "", mode);
            free(data);
            data = d;
        } else if (!strcmp(tok, "consistency") && v)
            ;
        else
            return osbox_error(err, 0, "%s: unknown option '%s'", what, tok);
    }
    if (!type)
        return osbox_error(err, 0, "%s: type= is required (bind, volume or tmpfs)", what);
    if (!dst)
        return osbox_error(err, 0, "%s: target= is required", what);
    if (!strcmp(type, "bind")) {
        m.kind = RUN_MOUNT_BIND;
        m.flags = MS_BIND | MS_REC;
        if (!src)
            return osbox_error(err, 0, "%s: a bind needs source=", what);
        if (check_host_path(what, src, err) < 0)
            return -1;
    } else if (!strcmp(type, "volume")) {
        m.kind = src ? RUN_MOUNT_VOLUME : RUN_MOUNT_ANONYMOUS;
        m.flags = MS_BIND | MS_REC;
        m.nocopy = nocopy;
        if (src && !volume_name_valid(src))
            return osbox_error(err, 0, "%s: invalid volume name '%s'", what, src);
    } else if (!strcmp(type, "tmpfs")) {
        m.kind = RUN_MOUNT_TMPFS;
        m.flags = MS_NOSUID | MS_NODEV;
        if (src)
            return osbox_error(err, 0, "%s: a tmpfs takes no source", what);
    } else {
        return osbox_error(err, 0, "%s: unknown type '%s' (bind, volume or tmpfs)", what, type);
    }
    if (prop && (m.kind != RUN_MOUNT_BIND || set_propagation(&m, prop) < 0))
        return osbox_error(err, 0, "%s: bind-propagation '%s' (private, rprivate, slave, rslave, "
                                   "shared, rshared; binds only)", what, prop);
    if (data && m.kind != RUN_MOUNT_TMPFS)
        return osbox_error(err, 0, "%s: tmpfs-* options are for type=tmpfs", what);
    if (ro)
        m.flags |= MS_RDONLY;
    if (check_destination(rm, what, dst, err) < 0)
        return -1;
    m.source = osbox_xstrdup(src);
    m.destination = osbox_xstrdup(dst);
    m.data = osbox_xstrdup(data);
    push(rm, &m);
    return 0;
}

/* --device HOST[:CTR][:PERMS]: the host's node bound in, as the OCI
 * CLI's linux.devices are. */
static int parse_device(struct run_mounts *rm, const char *arg, struct osbox_err *err)
{
    _cleanup_free_ char *s = osbox_xstrdup(arg), *what = osbox_strdup_printf("--device %s", arg);
    char *parts[3] = { 0 }, *save = NULL, *tok;
    size_t n = 0;
    struct run_mount m = { .kind = RUN_MOUNT_BIND, .flags = MS_BIND };
    struct stat st;

    for (tok = strtok_r(s, ":", &save); tok && n < 3; tok = strtok_r(NULL, ":", &save))
        parts[n++] = tok;
    if (!n || tok)
        return osbox_error(err, 0, "%s: expected HOST[:CTR][:rwm]", what);
    /* HOST:PERMS when the second part is not a path. */
    if (n == 2 && parts[1][0] != '/') {
        parts[2] = parts[1];
        parts[1] = NULL;
    }
    if (parts[2] && (!*parts[2] || strspn(parts[2], "rwm") != strlen(parts[2])))
        return osbox_error(err, 0, "%s: permissions '%s' are not a mix of r, w and m", what, parts[2]);
    if (check_host_path(what, parts[0], err) < 0)
        return -1;
    if (stat(parts[0], &st) < 0 || (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)))
        return osbox_error(err, 0, "%s: %s is not a device node", what, parts[0]);
    m.source = parts[0];
    m.destination = parts[1] ? parts[1] : parts[0];
    if (check_destination(rm, what, m.destination, err) < 0)
        return -1;
    m.source = osbox_xstrdup(m.source);
    m.destination = osbox_xstrdup(m.destination);
    m.dev_type = S_ISBLK(st.st_mode) ? 'b' : 'c';
    m.dev_rdev = st.st_rdev;
    snprintf(m.dev_access, sizeof m.dev_access, "%s", parts[2] ? parts[2] : "rwm");
    push(rm, &m);
    return 0;
}

int run_mounts_opt(struct run_mounts *rm, int opt, const char *arg, struct osbox_err *err)
{
    switch (opt) {
    case RUN_OPT_VOLUME: return parse_volume(rm, arg, err);
    case RUN_OPT_MOUNT: return parse_mount(rm, arg, err);
    case RUN_OPT_TMPFS: return parse_tmpfs(rm, arg, err);
    case RUN_OPT_DEVICE: return parse_device(rm, arg, err);
    case RUN_OPT_VOLUMES_FROM: {
        const char *colon = strchr(arg, ':');
        if (!*arg || arg[0] == ':' || (colon && strcmp(colon, ":ro") && strcmp(colon, ":rw")))
            return osbox_error(err, 0, "--volumes-from '%s': expected NAME[:ro|:rw]", arg);
        osbox_strv_push(&rm->volumes_from, arg);
        return 0;
    }
    }
    return osbox_error(err, EINVAL, "run_mounts_opt: not a mount option");
}

void run_mounts_add_image_volumes(struct run_mounts *rm, char *const *volumes)
{
    for (size_t i = 0; volumes && volumes[i]; i++) {
        struct run_mount m = { .kind = RUN_MOUNT_ANONYMOUS, .flags = MS_BIND | MS_REC };
        struct osbox_err ignored;
        /* Docker: a VOLUME the flags already mount stays theirs; odd
         * paths in an image config are skipped rather than fatal. */
        if (check_destination(rm, "VOLUME", volumes[i], &ignored) < 0)
            continue;
        m.destination = osbox_xstrdup(volumes[i]);
        push(rm, &m);
    }
}

int run_mounts_apply(const struct run_mounts *rm, const char *id, struct osbox_spec *spec,
                     struct osbox_err *err)
{
    unsigned anon = 0;

    for (size_t i = 0; i < rm->n; i++) {
        const struct run_mount *m = &rm->v[i];
        struct osbox_volume vol;
        _cleanup_free_ char *anon_name = NULL;

        switch (m->kind) {
        case RUN_MOUNT_BIND:
            osbox_spec_add_mount(spec, m->destination, "bind", m->source, m->flags, NULL);
            /* With a device allow-list (not --privileged), the node's own rule. */
            if (m->dev_type && spec->resources.n_dev_rules &&
                resources_add_dev_rule(&spec->resources, m->dev_type, major(m->dev_rdev),
                                       minor(m->dev_rdev), m->dev_access, true, err) < 0)
                return osbox_error_prefix(err, "--device %s", m->source);
            break;
        case RUN_MOUNT_TMPFS:
            osbox_spec_add_mount(spec, m->destination, "tmpfs", "tmpfs", m->flags, m->data);
            break;
        case RUN_MOUNT_VOLUME:
        case RUN_MOUNT_ANONYMOUS:
            /* Named after the container, so a start that rebuilds the spec
             * finds the same anonymous volume again. */
            if (m->kind == RUN_MOUNT_ANONYMOUS)
                anon_name = osbox_strdup_printf("%.64s-%u", id, anon++);
            if (volume_create(anon_name ? anon_name : m->source, m->kind == RUN_MOUNT_ANONYMOUS, NULL,
                              &vol, NULL, err) < 0)
                return -1;
            if (volume_attach(vol.name, id, err) < 0) {
                osbox_volume_free(&vol);
                return -1;
            }
            osbox_spec_add_mount(spec, m->destination, "bind", vol.mountpoint, m->flags, NULL);
            spec->mounts[spec->n_mounts - 1].copy_up = !m->nocopy;
            osbox_volume_free(&vol);
            break;
        }
    }
    for (size_t i = 0; rm->volumes_from && rm->volumes_from[i]; i++) {
        _cleanup_free_ char *ref = osbox_xstrdup(rm->volumes_from[i]);
        char *colon = strchr(ref, ':');
        int ro = -1;
        if (colon) {
            ro = !strcmp(colon, ":ro");
            *colon = '\0';
        }
        if (volume_mounts_from(ref, ro, id, spec, err) < 0)
            return -1;
    }
    return 0;
}

void run_mounts_free(struct run_mounts *rm)
{
    for (size_t i = 0; i < rm->n; i++) {
        free(rm->v[i].source);
        free(rm->v[i].destination);
        free(rm->v[i].data);
    }
    free(rm->v);
    osbox_strv_free(rm->volumes_from);
    memset(rm, 0, sizeof *rm);
}
