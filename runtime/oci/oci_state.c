/* OCI container state: $root/<id>/state.json, written by `create` and read
 * by every other verb. The status is derived, not stored: "creating" until
 * create finishes, then "created" while the start gate (exec.fifo) exists,
 * "running" once it is gone, "stopped" when the init has exited (a zombie
 * its reaper has not collected yet counts as stopped). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "dl_crypto.h"
#include "runtime/core/internal.h"
#include "runtime/oci/oci.h"
#include "util.h"

int oci_state_dir(const char *root, const char *id, char **out, struct osbox_err *err)
{
    if (!id || !isalnum((unsigned char)id[0]) || strlen(id) > 1024)
        goto bad;
    for (const char *p = id; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("_.+-", *p))
            goto bad;
    *out = osbox_strdup_printf("%s/%s", root, id);
    return 0;
bad:
    return osbox_error(err, 0, "invalid container id '%s': use [A-Za-z0-9][A-Za-z0-9_.+-]*",
                       id ? id : "");
}

void oci_runtime_id(const char *state_dir, char out[65])
{
    unsigned char md[32];
    unsigned int len = 0;
    _cleanup_free_ char *in = osbox_strdup_printf("osbox-oci:%s", state_dir);

    /* Without libcrypto a random id is as unique (it is saved in the state). */
    if (lazy_crypto_load(NULL) < 0) {
        if (osbox_random_id(out, NULL) < 0)
            snprintf(out, 65, "%064llx", (unsigned long long)getpid());
        return;
    }
    EVP_Digest(in, strlen(in), md, &len, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

int oci_state_write(const char *dir, const struct oci_state *s, struct osbox_err *err)
{
    _cleanup_free_ char *path = osbox_strdup_printf("%s/state.json", dir);
    json_t *o = json_pack("{s:s, s:s, s:i, s:I, s:s, s:s, s:b, s:O}", "id", s->id, "runtime_id",
                          s->runtime_id, "pid", (int)s->pid, "pid_start", (json_int_t)s->pid_start,
                          "bundle", s->bundle ? s->bundle : "", "created",
                          s->created ? s->created : "", "creating", s->creating, "annotations",
                          s->annotations ? s->annotations : json_object());
    int rc;

    if (!o)
        return osbox_error(err, ENOMEM, "state of %s", s->id);
    rc = runtime_write_json(path, o, err);
    json_decref(o);
    return rc;
}

int oci_state_read(const char *root, const char *id, struct oci_state *s, struct osbox_err *err)
{
    _cleanup_free_ char *dir = NULL, *path = NULL;
    json_t *o;
    const char *rid;

    memset(s, 0, sizeof *s);
    if (oci_state_dir(root, id, &dir, err) < 0)
        return -1;
    path = osbox_strdup_printf("%s/state.json", dir);
    o = json_load_file(path, 0, NULL);
    if (!o) {
        if (access(dir, F_OK) == 0)
            return osbox_error(err, 0, "container %s is being created or its state is unreadable", id);
        return osbox_error(err, 0, "container %s does not exist", id);
    }
    rid = json_string_value(json_object_get(o, "runtime_id"));
    s->id = osbox_xstrdup(id);
    snprintf(s->runtime_id, sizeof s->runtime_id, "%s", rid ? rid : "");
    s->pid = (pid_t)json_integer_value(json_object_get(o, "pid"));
    s->pid_start = (unsigned long long)json_integer_value(json_object_get(o, "pid_start"));
    s->bundle = osbox_xstrdup(json_string_value(json_object_get(o, "bundle")));
    s->created = osbox_xstrdup(json_string_value(json_object_get(o, "created")));
    s->creating = json_is_true(json_object_get(o, "creating"));
    s->annotations = json_incref(json_object_get(o, "annotations"));
    json_decref(o);
    return 0;
}

void oci_state_free(struct oci_state *s)
{
    free(s->id);
    free(s->bundle);
    free(s->created);
    json_decref(s->annotations);
    memset(s, 0, sizeof *s);
}

const char *oci_state_status(const char *root, const struct oci_state *s)
{
    _cleanup_free_ char *fifo = osbox_strdup_printf("%s/%s/exec.fifo", root, s->id);

    if (s->creating)
        return "creating";
    if (!proc_alive(s->pid, s->pid_start))
        return "stopped";
    if (access(fifo, F_OK) == 0)
        return "created";
    return oci_paused(s) ? "paused" : "running";
}

json_t *oci_state_json(const char *root, const struct oci_state *s)
{
    const char *status = oci_state_status(root, s);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:O, s:s}", "ociVersion", OCI_VERSION, "id", s->id,
                          "status", status, "bundle", s->bundle ? s->bundle : "", "annotations",
                          s->annotations ? s->annotations : json_object(), "created",
                          s->created ? s->created : "");

    /* The pid only while there is a process (runtime-spec: created/running). */
    if (strcmp(status, "stopped") && s->pid > 0)
        json_object_set_new(o, "pid", json_integer(s->pid));
    else
        json_object_set_new(o, "pid", json_integer(0));
    return o;
}

int oci_state_cleanup(const char *root, const struct oci_state *s, struct osbox_err *err)
{
    _cleanup_free_ char *dir = osbox_strdup_printf("%s/%s", root, s->id);
    int rc = 0;

    if (proc_alive(s->pid, s->pid_start)) {
        kill(s->pid, SIGKILL);
        oci_thaw(s); /* a paused container's tasks die once thawed */
        /* Bounded: SIGKILL of a pid namespace's init takes the rest with it. */
        for (int i = 0; i < 500 && proc_alive(s->pid, s->pid_start); i++)
            usleep(10000);
    }
    if (strlen(s->runtime_id) == 64) {
        _cleanup_free_ char *live = runtime_live_dir(s->runtime_id);
        _cleanup_free_ char *cdir = runtime_container_dir(s->runtime_id);
        if (cgroup_remove_stale(s->runtime_id, err) < 0)
            rc = -1;
        if (osbox_rm_rf(live, rc ? NULL : err) < 0)
            rc = -1;
        osbox_rm_rf(cdir, NULL);
    }
    if (osbox_rm_rf(dir, rc ? NULL : err) < 0)
        rc = -1;
    return rc;
}

void oci_cgroup_path_remove(const char *path)
{
    DIR *d;
    struct dirent *e;

    if (!path || path[0] != '/' || strstr(path, "..") || !strcmp(path, "/"))
        return;
    /* rmdir removes only an empty cgroup: a path still in use stays. */
    _cleanup_free_ char *v2 = osbox_strdup_printf("/sys/fs/cgroup%s", path);
    rmdir(v2);
    if (!(d = opendir("/sys/fs/cgroup")))
        return;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        _cleanup_free_ char *p = osbox_strdup_printf("/sys/fs/cgroup/%s%s", e->d_name, path);
        rmdir(p);
    }
    closedir(d);
}
