/* The volume store (volume.h): create, inspect, list, remove, prune, and the
 * users/ entries that say which containers mount a volume. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime/core/runtime.h"
#include "runtime/volume/volume.h"
#include "util.h"

static char *volumes_dir(void)
{
    return osbox_strdup_printf("%s/volumes", osbox_root_dir());
}

static char *volume_dir(const char *name)
{
    return osbox_strdup_printf("%s/volumes/%s", osbox_root_dir(), name);
}

bool volume_name_valid(const char *name)
{
    if (!name || strlen(name) < 2 || strlen(name) > 255)
        return false;
    for (const char *p = name; *p; p++) {
        bool alnum = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9');
        if (!alnum && (p == name || !strchr("_.-", *p)))
            return false;
    }
    return true;
}

void osbox_volume_free(struct osbox_volume *v)
{
    free(v->name);
    free(v->mountpoint);
    free(v->created);
    osbox_strv_free(v->labels);
    osbox_strv_free(v->users);
    memset(v, 0, sizeof *v);
}

static char *now_rfc3339(void)
{
    struct timespec ts;
    struct tm tm;
    char buf[64];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return osbox_xstrdup(buf);
}

/* Ids in users/ whose container still exists. */
static char **live_users(const char *dir)
{
    _cleanup_free_ char *udir = osbox_strdup_printf("%s/users", dir);
    char **users = osbox_xcalloc(1, sizeof *users);
    DIR *d = opendir(udir);
    struct dirent *e;

    if (!d)
        return users;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        _cleanup_free_ char *cdir = runtime_container_dir(e->d_name);
        if (access(cdir, F_OK) == 0)
            osbox_strv_push(&users, e->d_name);
    }
    closedir(d);
    return users;
}

int volume_inspect(const char *name, struct osbox_volume *out, struct osbox_err *err)
{
    _cleanup_free_ char *dir = NULL, *path = NULL;
    json_error_t je;
    json_t *o, *labels, *v;
    const char *k;

    memset(out, 0, sizeof *out);
    if (!volume_name_valid(name))
        return osbox_error(err, 0, "invalid volume name '%s' (letters, digits, _ . -; 2 or more)",
                           name ? name : "");
    dir = volume_dir(name);
    path = osbox_strdup_printf("%s/volume.json", dir);
    if (access(dir, F_OK) < 0)
        return osbox_error(err, 0, "no such volume: %s", name);
    if (!(o = json_load_file(path, 0, &je)))
        return osbox_error(err, 0, "volume %s: read %s: %s", name, path, je.text);
    out->name = osbox_xstrdup(name);
    out->mountpoint = osbox_strdup_printf("%s/_data", dir);
    out->created = osbox_xstrdup(json_string_value(json_object_get(o, "CreatedAt")));
    out->anonymous = json_is_true(json_object_get(o, "Anonymous"));
    out->labels = osbox_xcalloc(1, sizeof *out->labels);
    labels = json_object_get(o, "Labels");
    json_object_foreach(labels, k, v) {
        _cleanup_free_ char *kv = osbox_strdup_printf("%s=%s", k, json_string_value(v) ? json_string_value(v) : "");
        osbox_strv_push(&out->labels, kv);
    }
    json_decref(o);
    out->users = live_users(dir);
    return 0;
}

json_t *volume_to_json(const struct osbox_volume *v)
{
    json_t *o = json_object(), *labels = json_object(), *users = json_array();

    for (size_t i = 0; v->labels && v->labels[i]; i++) {
        const char *eq = strchr(v->labels[i], '=');
        _cleanup_free_ char *k = eq ? strndup(v->labels[i], (size_t)(eq - v->labels[i]))
                                    : osbox_xstrdup(v->labels[i]);
        json_object_set_new(labels, k, json_string(eq ? eq + 1 : ""));
    }
    for (size_t i = 0; v->users && v->users[i]; i++)
        json_array_append_new(users, json_string(v->users[i]));
    json_object_set_new(o, "CreatedAt", json_string(v->created ? v->created : ""));
    json_object_set_new(o, "Driver", json_string("local"));
    json_object_set_new(o, "Labels", labels);
    json_object_set_new(o, "Mountpoint", json_string(v->mountpoint ? v->mountpoint : ""));
    json_object_set_new(o, "Name", json_string(v->name));
    json_object_set_new(o, "Options", json_object());
    json_object_set_new(o, "Scope", json_string("local"));
    json_object_set_new(o, "Anonymous", json_boolean(v->anonymous));
    json_object_set_new(o, "UsedBy", users);
    return o;
}

int volume_create(const char *name, bool anonymous, char *const *labels, struct osbox_volume *out,
                  bool *created, struct osbox_err *err)
{
    char rnd[65];
    _cleanup_free_ char *top = volumes_dir(), *dir = NULL, *tmp = NULL, *data = NULL, *users = NULL;
    _cleanup_free_ char *meta = NULL, *text = NULL;
    struct osbox_volume v = { 0 };

    if (created)
        *created = false;
    if (!name) {
        if (osbox_random_id(rnd, err) < 0)
            return -1;
        name = rnd;
    } else if (!volume_name_valid(name)) {
        return osbox_error(err, 0, "invalid volume name '%s' (letters, digits, _ . -; 2 or more)", name);
    }
    dir = volume_dir(name);
    if (access(dir, F_OK) == 0)
        return volume_inspect(name, out, err);
    if (osbox_mkdir_p(top, 0700, err) < 0)
        return -1;
    tmp = osbox_strdup_printf("%s/.tmp-%s-%d", top, name, (int)getpid());
    data = osbox_strdup_printf("%s/_data", tmp);
    users = osbox_strdup_printf("%s/users", tmp);
    if (mkdir(tmp, 0700) < 0)
        return osbox_error(err, errno, "create volume %s", name);
    /* _data as Docker's: 0755 root, until the image's content at the
     * mount point gives it the image's owner and mode (first mount). */
    if (mkdir(data, 0755) < 0 || mkdir(users, 0700) < 0) {
        osbox_error(err, errno, "create volume %s", name);
        goto fail;
    }
    v.name = osbox_xstrdup(name);
    v.created = now_rfc3339();
    v.anonymous = anonymous;
    v.labels = osbox_strv_dup(labels);
    {
        json_t *o = volume_to_json(&v);
        json_object_del(o, "Mountpoint");
        json_object_del(o, "UsedBy");
        text = json_dumps(o, JSON_INDENT(2));
        json_decref(o);
    }
    meta = osbox_strdup_printf("%s/volume.json", tmp);
    if (osbox_write_file(meta, text, strlen(text), 0600, err) < 0)
        goto fail;
    if (rename(tmp, dir) < 0) {
        int e = errno;
        osbox_rm_rf(tmp, NULL);
        osbox_volume_free(&v);
        /* Someone else made it meanwhile: theirs stands. */
        if (e == EEXIST || e == ENOTEMPTY)
            return volume_inspect(name, out, err);
        return osbox_error(err, e, "create volume %s", name);
    }
    osbox_volume_free(&v);
    if (created)
        *created = true;
    return volume_inspect(name, out, err);
fail:
    osbox_rm_rf(tmp, NULL);
    osbox_volume_free(&v);
    return -1;
}

static int cmp_vol(const void *a, const void *b)
{
    return strcmp(((const struct osbox_volume *)a)->name, ((const struct osbox_volume *)b)->name);
}

int volume_list(struct osbox_volume **out, size_t *n, struct osbox_err *err)
{
    _cleanup_free_ char *top = volumes_dir();
    DIR *d = opendir(top);
    struct dirent *e;
    struct osbox_volume *vs = NULL;
    size_t cnt = 0;

    *out = NULL;
    *n = 0;
    if (!d)
        return errno == ENOENT ? 0 : osbox_error(err, errno, "open %s", top);
    while ((e = readdir(d))) {
        struct osbox_volume v;
        struct osbox_err ignored;
        if (e->d_name[0] == '.' || volume_inspect(e->d_name, &v, &ignored) < 0)
            continue;
        struct osbox_volume *grown = realloc(vs, (cnt + 1) * sizeof *vs);
        if (!grown)
            abort();
        vs = grown;
        vs[cnt++] = v;
    }
    closedir(d);
    if (cnt)
        qsort(vs, cnt, sizeof *vs, cmp_vol);
    *out = vs;
    *n = cnt;
    return 0;
}

/* Rename out of the way first, so a half-removed volume is never seen. */
static int remove_dir(const char *name, struct osbox_err *err)
{
    _cleanup_free_ char *dir = volume_dir(name);
    _cleanup_free_ char *gone = osbox_strdup_printf("%s/volumes/.rm-%s-%d", osbox_root_dir(), name,
                                                    (int)getpid());

    if (rename(dir, gone) < 0)
        return osbox_error(err, errno, "remove volume %s", name);
    return osbox_rm_rf(gone, err);
}

int volume_remove(const char *name, struct osbox_err *err)
{
    struct osbox_volume v;
    int rc;

    if (volume_inspect(name, &v, err) < 0)
        return -1;
    if (v.users[0]) {
        rc = osbox_error(err, 0, "volume %s is in use by container %.12s%s", name, v.users[0],
                         v.users[1] ? " and others" : "");
        osbox_volume_free(&v);
        return rc;
    }
    osbox_volume_free(&v);
    return remove_dir(name, err);
}

int volume_prune(bool all_volumes, char ***removed, struct osbox_err *err)
{
    struct osbox_volume *vs;
    size_t n;
    int rc = 0;

    if (removed)
        *removed = osbox_xcalloc(1, sizeof **removed);
    if (volume_list(&vs, &n, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!vs[i].users[0] && (all_volumes || vs[i].anonymous)) {
            if (remove_dir(vs[i].name, err) < 0)
                rc = -1;
            else if (removed)
                osbox_strv_push(removed, vs[i].name);
        }
        osbox_volume_free(&vs[i]);
    }
    free(vs);
    return rc;
}

int volume_attach(const char *name, const char *id, struct osbox_err *err)
{
    _cleanup_free_ char *dir = volume_dir(name);
    _cleanup_free_ char *path = osbox_strdup_printf("%s/users/%s", dir, id);
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

    if (fd < 0)
        return osbox_error(err, errno, "volume %s: record its user", name);
    close(fd);
    return 0;
}

void volume_release(const char *id, bool remove_anonymous)
{
    _cleanup_free_ char *top = volumes_dir();
    DIR *d = opendir(top);
    struct dirent *e;

    if (!d)
        return;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        _cleanup_free_ char *user = osbox_strdup_printf("%s/%s/users/%s", top, e->d_name, id);
        if (unlink(user) < 0 || !remove_anonymous)
            continue;
        struct osbox_volume v;
        struct osbox_err ignored;
        if (volume_inspect(e->d_name, &v, &ignored) < 0)
            continue;
        if (v.anonymous && !v.users[0])
            remove_dir(v.name, &ignored);
        osbox_volume_free(&v);
    }
    closedir(d);
}
