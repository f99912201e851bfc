/* A container's saved spec: config.json in its dir, written once by
 * `osbox run` from what it built (image layers by digest, env, user,
 * workdir, limits, security, network) and read by start, restart and exec,
 * so none of them looks at the image, the caller's cwd or an --env-file
 * again. Same format and parser as an OCI bundle's config (runtime/oci.h). */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "runtime/lifecycle/lifecycle.h"
#include "runtime/oci/oci.h"
#include "util.h"

int container_spec_save(const char *id, const struct osbox_spec *spec, const char *image_digest,
                        struct osbox_err *err)
{
    _cleanup_free_ char *dir = runtime_container_dir(id);

    return oci_config_save(dir, spec, image_digest, err);
}

/* No config.json: an osbox from before it kept `osbox run`'s argv instead. */
static int no_spec(const char *id, const char *dir, struct osbox_err *err)
{
    _cleanup_free_ char *lc = osbox_strdup_printf("%s/lifecycle.json", dir);
    struct osbox_record rec;
    struct osbox_err ignored;
    _cleanup_free_ char *name = NULL;

    if (state_read_record(id, &rec, &ignored) == 0) {
        name = osbox_xstrdup(rec.name);
        osbox_record_free(&rec);
    }
    if (access(lc, F_OK) == 0)
        return osbox_error(err, 0, "container %s (%.12s) was saved by an older osbox as its run "
                           "arguments, which this one no longer replays: remove it ('osbox rm %s') "
                           "and run it again", name ? name : id, id, name ? name : id);
    return osbox_error(err, ENOENT, "container %.12s has no saved spec (config.json)", id);
}

int container_spec_load(const char *id, struct osbox_spec *spec, struct osbox_err *err)
{
    _cleanup_free_ char *dir = runtime_container_dir(id);
    _cleanup_free_ char *path = osbox_strdup_printf("%s/config.json", dir);
    struct oci_config c;
    const char *digest;

    osbox_spec_init(spec);
    if (access(path, F_OK) < 0)
        return no_spec(id, dir, err);
    if (oci_config_load(dir, &c, err) < 0) {
        oci_config_free(&c);
        return osbox_error_prefix(err, "container %.12s", id);
    }
    digest = json_string_value(json_object_get(c.annotations, OCI_ANNOTATION_IMAGE_DIGEST));
    for (size_t i = 0; c.spec.root.layers && c.spec.root.layers[i]; i++)
        if (access(c.spec.root.layers[i], F_OK) < 0) {
            osbox_error(err, errno, "container %.12s: layer %s of its image %s", id,
                        c.spec.root.layers[i], digest ? digest : "(--rootfs)");
            oci_config_free(&c);
            return -1;
        }
    osbox_spec_free(spec);
    *spec = c.spec; /* moved: the OCI-only parts (hooks, rlimits...) are empty here */
    memset(&c.spec, 0, sizeof c.spec);
    oci_config_free(&c);
    return 0;
}
