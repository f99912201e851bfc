/* osbox-oci features: what this runtime does with a config, as `runc
 * features` tells it (runtime-spec features.md). Lists come from the
 * tables the parser itself uses, so they cannot drift from it. */
#include "runtime/oci/oci.h"
#include "runtime/security/security.h"
#include "util.h"

/* Every capability a config may name that this host lets osbox hand on;
 * one it lacks is left out of the container with a warning (oci_config.c). */
static json_t *capabilities_json(void)
{
    json_t *a = json_array();

    for (int c = 0; c <= caps_last(); c++) {
        if (caps_unavailable(CAP_BIT(c)))
            continue;
        _cleanup_free_ char *name = caps_name(c);
        json_array_append_new(a, json_string(name));
    }
    return a;
}

json_t *oci_features_json(void)
{
    json_t *hooks = json_array(), *mo = json_array();

    for (int k = 0; k < OCI_HOOK_N; k++)
        json_array_append_new(hooks, json_string(oci_hook_names[k]));
    oci_mount_option_names(mo);
    /* No user namespace in linux.namespaces yet. */
    return json_pack("{s:s, s:s, s:o, s:o, s:{s:[s,s,s,s,s,s,s], s:o, s:{s:b, s:b, s:b}, "
                     "s:{s:b}, s:{s:b}, s:{s:b}}, s:{s:s}}",
                     "ociVersionMin", "1.0.0", "ociVersionMax", OCI_VERSION, "hooks", hooks,
                     "mountOptions", mo, "linux", "namespaces", "pid", "network", "ipc", "uts",
                     "mount", "cgroup", "time", "capabilities", capabilities_json(), "cgroup",
                     "v1", 1, "v2", 1, "systemd", 0, "seccomp", "enabled", 1, "apparmor",
                     "enabled", 0, "selinux", "enabled", 0, "annotations", "org.osbox.runtime",
                     "osbox-oci");
}
