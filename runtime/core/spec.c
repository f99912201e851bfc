/* struct osbox_spec: construction helpers and the standard mounts. */
#include <string.h>
#include <sys/mount.h>

#include "runtime/core/runtime.h"
#include "util.h"

void osbox_spec_init(struct osbox_spec *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->namespaces = OSBOX_NS_ALL;
    osbox_resources_init(&spec->resources);
    osbox_security_init(&spec->security);
}

void osbox_spec_free(struct osbox_spec *spec)
{
    osbox_strv_free(spec->process.args);
    osbox_strv_free(spec->process.env);
    free(spec->process.cwd);
    free(spec->process.user);
    free(spec->process.additional_gids);
    free(spec->process.rlimits);
    osbox_strv_free(spec->sysctl);
    osbox_strv_free(spec->root.layers);
    free(spec->root.path);
    free(spec->hostname);
    for (size_t i = 0; i < spec->n_mounts; i++) {
        free(spec->mounts[i].destination);
        free(spec->mounts[i].type);
        free(spec->mounts[i].source);
        free(spec->mounts[i].data);
    }
    free(spec->mounts);
    free(spec->cgroup_parent);
    osbox_security_free(&spec->security);
    osbox_net_spec_free(&spec->net);
    memset(spec, 0, sizeof *spec);
}

void osbox_spec_add_mount(struct osbox_spec *spec, const char *destination, const char *type,
                          const char *source, unsigned long flags, const char *data)
{
    struct osbox_mount *m = realloc(spec->mounts, (spec->n_mounts + 1) * sizeof *m);

    if (!m)
        abort();
    spec->mounts = m;
    m = &spec->mounts[spec->n_mounts++];
    /* Every field set: realloc's new slot is garbage, and a stray copy_up
     * would fill (and chown) a host dir bound in. */
    *m = (struct osbox_mount){
        .destination = osbox_xstrdup(destination),
        .type = osbox_xstrdup(type),
        .source = osbox_xstrdup(source),
        .flags = flags,
        .data = osbox_xstrdup(data),
    };
}

void osbox_spec_add_default_mounts(struct osbox_spec *spec)
{
    const unsigned long nse = MS_NOSUID | MS_NOEXEC | MS_NODEV;

    osbox_spec_add_mount(spec, "/proc", "proc", "proc", nse, NULL);
    osbox_spec_add_mount(spec, "/dev", "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME,
                         "mode=755,size=65536k");
    osbox_spec_add_mount(spec, "/dev/pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
                         "newinstance,ptmxmode=0666,mode=0620");
    osbox_spec_add_mount(spec, "/dev/shm", "tmpfs", "shm", nse, "mode=1777,size=65536k");
    osbox_spec_add_mount(spec, "/dev/mqueue", "mqueue", "mqueue", nse, NULL);
    osbox_spec_add_mount(spec, "/sys", "sysfs", "sysfs", nse | MS_RDONLY, NULL);
}

static size_t env_key_len(const char *kv)
{
    const char *eq = strchr(kv, '=');
    return eq ? (size_t)(eq - kv) : strlen(kv);
}

void osbox_env_set(char ***env, const char *kv)
{
    size_t klen = env_key_len(kv);

    for (size_t i = 0; *env && (*env)[i]; i++) {
        if (env_key_len((*env)[i]) == klen && !strncmp((*env)[i], kv, klen)) {
            free((*env)[i]);
            (*env)[i] = osbox_xstrdup(kv);
            return;
        }
    }
    osbox_strv_push(env, kv);
}

const char *osbox_env_get(char *const *env, const char *key)
{
    size_t klen = strlen(key);

    for (size_t i = 0; env && env[i]; i++)
        if (!strncmp(env[i], key, klen) && env[i][klen] == '=')
            return env[i] + klen + 1;
    return NULL;
}
