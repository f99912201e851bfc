/* --volumes-from: the binds and volumes of another container, from its
 * saved spec (config.json), into a new one's, as Docker does. The other's
 * own files (/etc/hosts and friends, added at every start) are not copied. */
#include <string.h>
#include <sys/mount.h>

#include "runtime/lifecycle/lifecycle.h"
#include "runtime/volume/volume.h"
#include "util.h"

static bool has_destination(const struct osbox_spec *spec, const char *dest)
{
    for (size_t i = 0; i < spec->n_mounts; i++)
        if (!strcmp(spec->mounts[i].destination, dest))
            return true;
    return false;
}

int volume_mounts_from(const char *ref, int ro, const char *id, struct osbox_spec *spec,
                       struct osbox_err *err)
{
    char other[65];
    struct osbox_spec from;
    _cleanup_free_ char *vols = osbox_strdup_printf("%s/volumes/", osbox_root_dir());
    _cleanup_free_ char *cdir = NULL;
    int rc = 0;

    if (container_lookup(ref, other, err) < 0)
        return osbox_error_prefix(err, "--volumes-from");
    if (container_spec_load(other, &from, err) < 0)
        return osbox_error_prefix(err, "--volumes-from %s", ref);
    cdir = runtime_container_dir(other);
    for (size_t i = 0; i < from.n_mounts && rc == 0; i++) {
        const struct osbox_mount *m = &from.mounts[i];
        if (!(m->flags & MS_BIND) || !m->source || !strncmp(m->source, cdir, strlen(cdir)) ||
            has_destination(spec, m->destination))
            continue;
        unsigned long flags = m->flags;
        if (ro > 0)
            flags |= MS_RDONLY;
        else if (ro == 0)
            flags &= ~(unsigned long)MS_RDONLY;
        /* A volume: this container is one of its users now. */
        if (!strncmp(m->source, vols, strlen(vols))) {
            _cleanup_free_ char *name = osbox_xstrdup(m->source + strlen(vols));
            char *slash = strchr(name, '/');
            if (slash)
                *slash = '\0';
            if (volume_attach(name, id, err) < 0) {
                rc = -1;
                break;
            }
        }
        osbox_spec_add_mount(spec, m->destination, "bind", m->source, flags, m->data);
    }
    osbox_spec_free(&from);
    return rc;
}
