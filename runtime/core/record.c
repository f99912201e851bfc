/* The container record, $OSBOX_ROOT/containers/<id>/container.json, and the
 * name index $OSBOX_ROOT/names/<name> -> <id> (a symlink: creating it is the
 * atomic "is this name free" test). The images store scans records for
 * "image_digest" to refuse removing an image in use. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <jansson.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/core/internal.h"
#include "runtime/volume/volume.h"
#include "util.h"

void osbox_record_free(struct osbox_record *r)
{
    free(r->name);
    free(r->image);
    free(r->image_digest);
    osbox_strv_free(r->command);
    free(r->created);
    free(r->status);
    osbox_strv_free(r->labels);
    memset(r, 0, sizeof *r);
}

static char *names_path(const char *name)
{
    return osbox_strdup_printf("%s/names/%s", osbox_root_dir(), name ? name : "");
}

int runtime_check_name(const char *name, const char *what, struct osbox_err *err)
{
    if (!isalnum((unsigned char)name[0]) || strlen(name) > 128)
        goto bad;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
            goto bad;
    return 0;
bad:
    return osbox_error(err, 0, "invalid %s name '%s': use [a-zA-Z0-9][a-zA-Z0-9_.-]*", what,
                       name);
}

/* Reserve name for id, whose container dir exists already. A name whose
 * container dir is gone is stale: take it. The names dir is locked so two
 * runs cannot both decide the same stale name is theirs. */
static int reserve_name(const char *name, const char *id, struct osbox_err *err)
{
    _cleanup_free_ char *link = names_path(name);
    _cleanup_free_ char *dir = osbox_strdup_printf("%s/names", osbox_root_dir());
    _cleanup_close_ int lock = -1;
    char target[128];

    if (osbox_mkdir_p(dir, 0700, err) < 0)
        return -1;
    lock = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (lock < 0 || flock(lock, LOCK_EX) < 0)
        return osbox_error(err, errno, "lock %s", dir);
    for (int attempt = 0; attempt < 2; attempt++) {
        if (symlink(id, link) == 0)
            return 0;
        if (errno != EEXIST)
            return osbox_error(err, errno, "reserve name %s", name);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n > 0) {
            target[n] = '\0';
            _cleanup_free_ char *cdir = runtime_container_dir(target);
            if (access(cdir, F_OK) == 0)
                return osbox_error(err, 0,
                                   "the container name \"%s\" is already in use by container %.12s",
                                   name, target);
        }
        unlink(link);
    }
    return osbox_error(err, EEXIST, "reserve name %s", name);
}

int state_create_container(struct osbox_record *r, struct osbox_err *err)
{
    _cleanup_free_ char *dir = NULL, *parent = NULL;
    struct osbox_err ignored;

    if (osbox_random_id(r->id, err) < 0)
        return -1;
    if (!r->name)
        r->name = osbox_strdup_printf("%.12s", r->id);
    if (runtime_check_name(r->name, "container", err) < 0)
        return -1;
    parent = osbox_strdup_printf("%s/containers", osbox_root_dir());
    if (osbox_mkdir_p(parent, 0700, err) < 0)
        return -1;
    /* The dir first: a name pointing at a missing dir is stale. */
    dir = runtime_container_dir(r->id);
    if (mkdir(dir, 0700) < 0)
        return osbox_error(err, errno, "mkdir %s", dir);
    free(r->created);
    char now[OSBOX_RFC3339_LEN + 1];
    osbox_rfc3339_now(now);
    r->created = osbox_xstrdup(now);
    free(r->status);
    r->status = osbox_xstrdup("creating");
    r->exit_code = -1;
    if (state_write_record(r, err) < 0 || reserve_name(r->name, r->id, err) < 0) {
        osbox_rm_rf(dir, &ignored);
        return -1;
    }
    return 0;
}

static json_t *strv_json(char **v)
{
    json_t *a = json_array();
    for (size_t i = 0; v && v[i]; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

/* keep_name: the name already on disk wins over r's, for writers holding an
 * old copy of the record (a monitor, a foreground run) while `osbox rename`
 * changes it; only the rename itself writes a new name. */
static int write_record(const struct osbox_record *r, bool keep_name, struct osbox_err *err)
{
    _cleanup_free_ char *dir = runtime_container_dir(r->id);
    _cleanup_free_ char *path = osbox_strdup_printf("%s/container.json", dir);
    json_t *o = json_object(), *old = keep_name ? json_load_file(path, 0, NULL) : NULL;
    const char *disk_name = json_string_value(json_object_get(old, "name"));
    int rc;

    json_object_set_new(o, "id", json_string(r->id));
    json_object_set_new(o, "name", json_string(disk_name ? disk_name : r->name));
    json_decref(old);
    json_object_set_new(o, "image", r->image ? json_string(r->image) : json_null());
    json_object_set_new(o, "image_digest",
                        r->image_digest ? json_string(r->image_digest) : json_null());
    json_object_set_new(o, "created", json_string(r->created ? r->created : ""));
    json_object_set_new(o, "command", strv_json(r->command));
    json_object_set_new(o, "status", json_string(r->status ? r->status : "creating"));
    json_object_set_new(o, "exit_code", json_integer(r->exit_code));
    json_object_set_new(o, "auto_remove", json_boolean(r->auto_remove));
    json_t *labels = json_object();
    for (size_t i = 0; r->labels && r->labels[i]; i++) {
        const char *eq = strchr(r->labels[i], '=');
        _cleanup_free_ char *k = eq ? strndup(r->labels[i], (size_t)(eq - r->labels[i]))
                                    : osbox_xstrdup(r->labels[i]);
        json_object_set_new(labels, k, json_string(eq ? eq + 1 : ""));
    }
    json_object_set_new(o, "labels", labels);
    if (r->stop_signal > 0)
        json_object_set_new(o, "stop_signal", json_integer(r->stop_signal));
    if (r->stop_timeout >= 0)
        json_object_set_new(o, "stop_timeout", json_integer(r->stop_timeout));
    rc = runtime_write_json(path, o, err);
    json_decref(o);
    return rc;
}

int state_write_record(const struct osbox_record *r, struct osbox_err *err)
{
    return write_record(r, true, err);
}

int state_rename_container(const char *id, const char *name, struct osbox_err *err)
{
    struct osbox_record r;
    char *old;
    int rc;

    if (runtime_check_name(name, "container", err) < 0 || state_read_record(id, &r, err) < 0)
        return -1;
    if (r.name && !strcmp(r.name, name)) {
        osbox_record_free(&r);
        return osbox_error(err, 0, "container %.12s is already named \"%s\"", id, name);
    }
    if (reserve_name(name, id, err) < 0) {
        osbox_record_free(&r);
        return -1;
    }
    old = r.name;
    r.name = (char *)name;
    rc = write_record(&r, false, err);
    r.name = old;
    if (rc < 0 || old) {
        _cleanup_free_ char *link = names_path(rc == 0 ? old : name);
        unlink(link); /* the old name once renamed; the new one if the record could not be written */
    }
    osbox_record_free(&r);
    return rc;
}

static char *jstr(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? osbox_xstrdup(s) : NULL;
}

int state_read_record(const char *id, struct osbox_record *r, struct osbox_err *err)
{
    _cleanup_free_ char *dir = runtime_container_dir(id);
    _cleanup_free_ char *path = osbox_strdup_printf("%s/container.json", dir);
    json_error_t je;
    json_t *o = json_load_file(path, 0, &je), *cmd;
    size_t i;
    json_t *v;

    if (!o)
        return osbox_error(err, 0, "read %s: %s", path, je.text);
    memset(r, 0, sizeof *r);
    snprintf(r->id, sizeof r->id, "%s", id);
    r->name = jstr(o, "name");
    r->image = jstr(o, "image");
    r->image_digest = jstr(o, "image_digest");
    r->created = jstr(o, "created");
    r->status = jstr(o, "status");
    r->exit_code = (int)json_integer_value(json_object_get(o, "exit_code"));
    r->auto_remove = json_is_true(json_object_get(o, "auto_remove"));
    r->stop_signal = (int)json_integer_value(json_object_get(o, "stop_signal"));
    r->stop_timeout = json_is_integer(json_object_get(o, "stop_timeout"))
                          ? (int)json_integer_value(json_object_get(o, "stop_timeout")) : -1;
    {
        const char *k;
        json_t *lv;
        json_object_foreach(json_object_get(o, "labels"), k, lv) {
            _cleanup_free_ char *kv = osbox_strdup_printf("%s=%s", k, json_string_value(lv) ?: "");
            osbox_strv_push(&r->labels, kv);
        }
    }
    r->command = osbox_xcalloc(1, sizeof *r->command);
    cmd = json_object_get(o, "command");
    json_array_foreach(cmd, i, v)
        if (json_is_string(v))
            osbox_strv_push(&r->command, json_string_value(v));
    json_decref(o);
    return 0;
}

int state_remove_container(const char *id, struct osbox_err *err)
{
    _cleanup_free_ char *dir = runtime_container_dir(id);
    struct osbox_record r;
    struct osbox_err local;
    bool auto_remove = false;
    int rc;

    if (state_read_record(id, &r, &local) == 0) {
        auto_remove = r.auto_remove;
        _cleanup_free_ char *link = names_path(r.name);
        char target[128];
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n == 64 && !memcmp(target, id, 64))
            unlink(link);
        osbox_record_free(&r);
    }
    rc = osbox_rm_rf(dir, err ? err : &local);
    /* --rm takes its anonymous volumes along (Docker); a plain rm leaves
     * them for rm -v or volume prune. */
    if (rc == 0 && auto_remove)
        volume_release(id, true);
    return rc;
}

json_t *runtime_images_in_use(void)
{
    _cleanup_free_ char *dir = osbox_strdup_printf("%s/containers", osbox_root_dir());
    json_t *users = json_object();
    DIR *d = opendir(dir);
    struct dirent *e;
    struct osbox_record r;
    struct osbox_err ignored;

    while (d && (e = readdir(d))) {
        /* Any record counts, whatever its dir is called: keeping an image
         * too many is harmless, deleting one a container runs on is not. */
        if (e->d_name[0] == '.' || state_read_record(e->d_name, &r, &ignored) < 0)
            continue;
        if (r.image_digest && !json_object_get(users, r.image_digest))
            json_object_set_new(users, r.image_digest,
                                json_string(r.name && *r.name ? r.name : r.id));
        osbox_record_free(&r);
    }
    if (d)
        closedir(d);
    return users;
}
