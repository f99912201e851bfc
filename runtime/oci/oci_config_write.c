/* struct osbox_spec -> config.json (OCI runtime-spec 1.x), the inverse of
 * oci_config.c: what `osbox run` built is saved in this form and `start`,
 * `restart` and `exec` read it back through the same parser the OCI CLI
 * uses. What OCI has no field for goes in the "osbox" object
 * (oci_config_osbox.c). */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>

#include "runtime/core/internal.h"
#include "runtime/oci/oci.h"
#include "runtime/security/security.h"
#include "util.h"

static json_t *strv_json(char *const *v)
{
    json_t *a = json_array();

    for (size_t i = 0; v && v[i]; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

/* "CAP_NET_ADMIN", ... for every bit of caps the kernel knows. */
static json_t *caps_json(uint64_t caps)
{
    json_t *a = json_array();

    for (int c = 0; c <= caps_last() && c < 64; c++) {
        if (!(caps & CAP_BIT(c)))
            continue;
        _cleanup_free_ char *name = caps_name(c);
        json_array_append_new(a, json_string(name));
    }
    return a;
}

static json_t *process_json(const struct osbox_spec *spec)
{
    const struct osbox_process *p = &spec->process;
    const struct osbox_security *sec = &spec->security;
    /* Docker's sets when the spec has none of its own (osbox run). */
    struct osbox_cap_sets docker = { .effective = sec->caps, .permitted = sec->caps };
    const struct osbox_cap_sets *sets = sec->has_cap_sets ? &sec->cap_sets : &docker;
    json_t *gids = json_array();

    for (size_t i = 0; i < p->n_additional_gids; i++)
        json_array_append_new(gids, json_integer(p->additional_gids[i]));
    return json_pack("{s:b, s:{s:I, s:I, s:o}, s:o, s:o, s:s, s:{s:o, s:o, s:o, s:o, s:o}, s:b}",
                     "terminal", p->terminal, "user", "uid", (json_int_t)p->uid, "gid",
                     (json_int_t)p->gid, "additionalGids", gids, "args", strv_json(p->args),
                     "env", strv_json(p->env), "cwd", p->cwd ? p->cwd : "/", "capabilities",
                     "bounding", caps_json(sec->caps), "effective", caps_json(sets->effective),
                     "permitted", caps_json(sets->permitted), "inheritable",
                     caps_json(sets->inheritable), "ambient", caps_json(sets->ambient),
                     "noNewPrivileges", sec->no_new_privs);
}

/* MS_* flags back to option words (oci_config.c's table read backwards);
 * the filesystem data follows, split at commas. */
static const struct { unsigned long flag; const char *name; } mount_flags[] = {
    { MS_RDONLY, "ro" }, { MS_NOSUID, "nosuid" }, { MS_NODEV, "nodev" },
    { MS_NOEXEC, "noexec" }, { MS_RELATIME, "relatime" }, { MS_STRICTATIME, "strictatime" },
    { MS_NOATIME, "noatime" }, { MS_NODIRATIME, "nodiratime" }, { MS_SYNCHRONOUS, "sync" },
    /* A bind's propagation (runtime/core/mounts.c applies it to the tree). */
    { MS_PRIVATE, "rprivate" }, { MS_SLAVE, "rslave" }, { MS_SHARED, "rshared" },
    { MS_UNBINDABLE, "runbindable" },
};

static json_t *mount_json(const struct osbox_mount *m)
{
    json_t *opts = json_array();
    _cleanup_free_ char *data = osbox_xstrdup(m->data);
    char *save = NULL;

    if (m->flags & MS_BIND)
        json_array_append_new(opts, json_string(m->flags & MS_REC ? "rbind" : "bind"));
    for (size_t i = 0; i < sizeof mount_flags / sizeof mount_flags[0]; i++)
        if (m->flags & mount_flags[i].flag)
            json_array_append_new(opts, json_string(mount_flags[i].name));
    if (m->copy_up) /* a volume filled from the image when still empty */
        json_array_append_new(opts, json_string("copy"));
    for (char *o = data ? strtok_r(data, ",", &save) : NULL; o; o = strtok_r(NULL, ",", &save))
        json_array_append_new(opts, json_string(o));
    return json_pack("{s:s, s:s, s:s?, s:o}", "destination", m->destination, "type", m->type,
                     "source", m->source, "options", opts);
}

static json_t *namespaces_json(unsigned ns)
{
    static const struct { unsigned bit; const char *name; } names[] = {
        { OSBOX_NS_PID, "pid" }, { OSBOX_NS_NET, "network" }, { OSBOX_NS_IPC, "ipc" },
        { OSBOX_NS_UTS, "uts" }, { OSBOX_NS_MOUNT, "mount" }, { OSBOX_NS_CGROUP, "cgroup" },
        { OSBOX_NS_TIME, "time" },
    };
    json_t *a = json_array();

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (ns & names[i].bit)
            json_array_append_new(a, json_pack("{s:s}", "type", names[i].name));
    return a;
}

/* Only the limits that are set, each in its OCI field. */
static json_t *resources_json(const struct osbox_resources *r)
{
    json_t *o = json_object(), *mem = json_object(), *cpu = json_object();

    if (r->memory_limit > 0)
        json_object_set_new(mem, "limit", json_integer(r->memory_limit));
    if (r->memory_swap != 0)
        json_object_set_new(mem, "swap", json_integer(r->memory_swap));
    if (r->cpu_shares)
        json_object_set_new(cpu, "shares", json_integer((json_int_t)r->cpu_shares));
    if (r->cpu_quota_us > 0)
        json_object_set_new(cpu, "quota", json_integer(r->cpu_quota_us));
    if (r->cpu_period_us)
        json_object_set_new(cpu, "period", json_integer((json_int_t)r->cpu_period_us));
    if (r->cpuset_cpus[0])
        json_object_set_new(cpu, "cpus", json_string(r->cpuset_cpus));
    if (r->cpuset_mems[0])
        json_object_set_new(cpu, "mems", json_string(r->cpuset_mems));
    json_object_set_new(o, "memory", mem);
    json_object_set_new(o, "cpu", cpu);
    if (r->pids_limit > 0)
        json_object_set_new(o, "pids", json_pack("{s:I}", "limit", (json_int_t)r->pids_limit));
    if (r->n_dev_rules) {
        json_t *devs = json_array();
        for (unsigned i = 0; i < r->n_dev_rules; i++) {
            const struct osbox_dev_rule *d = &r->dev_rules[i];
            char text[48], *access;
            resources_dev_rule_text(d, text, sizeof text);
            access = strrchr(text, ' '); /* "c 1:3 rw" -> "rw"; "a" has none: rwm */
            json_t *j = json_pack("{s:b, s:s%, s:s}", "allow", d->allow, "type", &d->type, (size_t)1,
                                  "access", access ? access + 1 : "rwm");
            if (d->major != OSBOX_DEV_ANY)
                json_object_set_new(j, "major", json_integer(d->major));
            if (d->minor != OSBOX_DEV_ANY)
                json_object_set_new(j, "minor", json_integer(d->minor));
            json_array_append_new(devs, j);
        }
        json_object_set_new(o, "devices", devs);
    }
    return o;
}

static json_t *linux_json(const struct osbox_spec *spec)
{
    const struct osbox_security *s = &spec->security;
    json_t *l = json_pack("{s:o, s:o, s:o, s:o}", "namespaces", namespaces_json(spec->namespaces),
                          "resources", resources_json(&spec->resources), "maskedPaths",
                          strv_json(s->masked_paths), "readonlyPaths", strv_json(s->readonly_paths));

    if (spec->cgroup_parent)
        json_object_set_new(l, "cgroupsPath", json_string(spec->cgroup_parent));
    if (s->seccomp_mode == OSBOX_SECCOMP_CUSTOM && s->seccomp_profile)
        json_object_set(l, "seccomp", s->seccomp_profile);
    return l;
}

json_t *oci_config_to_json(const struct osbox_spec *spec, const char *image_digest)
{
    json_t *doc, *mounts = json_array(), *root = json_object(), *ann = json_object();

    for (size_t i = 0; i < spec->n_mounts; i++)
        json_array_append_new(mounts, mount_json(&spec->mounts[i]));
    if (spec->root.path && !spec->root.layers)
        json_object_set_new(root, "path", json_string(spec->root.path));
    json_object_set_new(root, "readonly", json_boolean(spec->root.readonly));
    if (image_digest)
        json_object_set_new(ann, OCI_ANNOTATION_IMAGE_DIGEST, json_string(image_digest));
    doc = json_pack("{s:s, s:o, s:o, s:s?, s:o, s:o, s:o, s:o}", "ociVersion", OCI_VERSION,
                    "process", process_json(spec), "root", root, "hostname", spec->hostname,
                    "mounts", mounts, "linux", linux_json(spec), "annotations", ann, "osbox",
                    oci_config_osbox_json(spec));
    return doc;
}

int oci_config_save(const char *dir, const struct osbox_spec *spec, const char *image_digest,
                    struct osbox_err *err)
{
    _cleanup_free_ char *path = osbox_strdup_printf("%s/config.json", dir);
    json_t *doc = oci_config_to_json(spec, image_digest);
    int rc;

    if (!doc)
        return osbox_error(err, ENOMEM, "config.json of the spec");
    rc = runtime_write_json(path, doc, err);
    json_decref(doc);
    return rc;
}
