/* The OCI lifecycle, as engines drive it (osbox-oci create / start / run /
 * delete): `create` sets the container up and leaves its init waiting at
 * the start gate ($root/<id>/exec.fifo); `start` runs the startContainer
 * hooks and opens the gate; `delete` cleans up and runs poststop. Hook order
 * as the runtime-spec gives it: prestart and createRuntime in our
 * namespaces, createContainer and startContainer in the container's mount
 * namespace, poststart and poststop after (their failures only warn). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/core/internal.h"
#include "runtime/oci/oci.h"
#include "util.h"

char *oci_state_string(const char *root, const struct oci_state *s)
{
    json_t *o = oci_state_json(root, s);
    char *str = json_dumps(o, JSON_COMPACT);

    json_decref(o);
    return str;
}

int oci_saved_config(const char *root, const struct oci_state *s, struct oci_config *c,
                     struct osbox_err *err)
{
    _cleanup_free_ char *path = osbox_strdup_printf("%s/%s/config.json", root, s->id);
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    int rc;

    if (!doc) {
        memset(c, 0, sizeof *c);
        osbox_spec_init(&c->spec);
        return osbox_error(err, 0, "container %s: saved config: %s", s->id, je.text);
    }
    rc = oci_config_from_json(doc, s->bundle, c, err);
    json_decref(doc);
    return rc;
}

static int write_pid_file(const char *path, pid_t pid, struct osbox_err *err)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%d", (int)pid);

    return osbox_write_file_atomic(path, buf, (size_t)n, 0644, err);
}

/* The bundle's config, loaded and kept in the state dir: start, delete and
 * exec read that copy after the bundle may have changed. */
static int load_and_keep(const struct oci_create_opts *o, const char *dir, char *bundle,
                         struct oci_config *cfg, struct osbox_err *err)
{
    _cleanup_free_ char *src = NULL, *saved = NULL, *text = NULL;
    size_t len;

    if (!realpath(o->bundle ? o->bundle : ".", bundle))
        return osbox_error(err, errno, "bundle %s", o->bundle ? o->bundle : ".");
    if (oci_config_load(bundle, cfg, err) < 0)
        return -1;
    if (cfg->spec.process.terminal && o->detach && !o->console_socket)
        return osbox_error(err, 0, "process.terminal is true: a detached container needs --console-socket");
    src = osbox_strdup_printf("%s/config.json", bundle);
    saved = osbox_strdup_printf("%s/config.json", dir);
    if (osbox_read_file(src, &text, &len, err) < 0 || osbox_write_file(saved, text, len, 0600, err) < 0)
        return -1;
    return 0;
}

/* The init, made and waiting at the gate; st gets its pid. */
static int make_init(const char *dir, const struct oci_create_opts *o, struct oci_state *st,
                     struct oci_config *cfg, struct osbox_container **out, struct osbox_err *err)
{
    _cleanup_free_ char *fifo = osbox_strdup_printf("%s/exec.fifo", dir);
    struct osbox_runtime_opts ro = { .kill_on_parent_death = !o->detach, .id = st->runtime_id,
                                     .start_gate = fifo };
    struct oci_saved_ns saved;

    if (mkfifo(fifo, 0600) < 0)
        return osbox_error(err, errno, "mkfifo %s", fifo);
    if (oci_apply_inherited(cfg, &saved, err) < 0)
        return -1;
    if (runtime_create(&cfg->spec, &ro, out, err) < 0) {
        oci_restore_namespaces(&saved, NULL);
        return -1;
    }
    if (oci_restore_namespaces(&saved, err) < 0)
        return -1;
    st->pid = runtime_container_pid(*out);
    st->pid_start = proc_start_time(st->pid);
    return 0;
}

/* Everything after the state dir exists; on failure the caller removes it. */
static int create_in(const char *root, const char *id, const char *dir,
                     const struct oci_create_opts *o, struct oci_state *st, struct oci_config *cfg,
                     struct osbox_container **out, struct osbox_err *err)
{
    char bundle[PATH_MAX], created[OSBOX_RFC3339_LEN + 1];
    _cleanup_free_ char *hstate = NULL;

    if (load_and_keep(o, dir, bundle, cfg, err) < 0)
        return -1;
    osbox_rfc3339_now(created);
    st->id = osbox_xstrdup(id);
    st->bundle = osbox_xstrdup(bundle);
    st->created = osbox_xstrdup(created);
    st->creating = true;
    st->annotations = json_incref(cfg->annotations);
    oci_runtime_id(dir, st->runtime_id);
    if (oci_state_write(dir, st, err) < 0 || make_init(dir, o, st, cfg, out, err) < 0 ||
        oci_state_write(dir, st, err) < 0 || oci_apply_sysctl(cfg, st->pid, err) < 0)
        return -1;
    hstate = oci_state_string(root, st);
    if (oci_hooks_run(cfg, OCI_HOOK_PRESTART, hstate, 0, err) < 0 ||
        oci_hooks_run(cfg, OCI_HOOK_CREATE_RUNTIME, hstate, 0, err) < 0 ||
        oci_hooks_run(cfg, OCI_HOOK_CREATE_CONTAINER, hstate, st->pid, err) < 0)
        return -1;
    if (o->console_socket && cfg->spec.process.terminal) {
        int master = oci_take_pty(*out);
        int rc = oci_send_console(o->console_socket, master, err);
        close(master);
        if (rc < 0)
            return -1;
    }
    if (o->pid_file && write_pid_file(o->pid_file, st->pid, err) < 0)
        return -1;
    st->creating = false;
    return oci_state_write(dir, st, err);
}

int oci_container_create(const char *root, const char *id, const struct oci_create_opts *o,
                         struct oci_state *st, struct oci_config *cfg,
                         struct osbox_container **out, struct osbox_err *err)
{
    _cleanup_free_ char *dir = NULL;

    memset(st, 0, sizeof *st);
    memset(cfg, 0, sizeof *cfg);
    osbox_spec_init(&cfg->spec);
    *out = NULL;
    if (oci_state_dir(root, id, &dir, err) < 0 || osbox_mkdir_p(root, 0700, err) < 0)
        return -1;
    if (mkdir(dir, 0700) < 0) {
        if (errno == EEXIST)
            return osbox_error(err, 0, "container %s already exists", id);
        return osbox_error(err, errno, "mkdir %s", dir);
    }
    osbox_spec_free(&cfg->spec);
    if (create_in(root, id, dir, o, st, cfg, out, err) < 0) {
        /* Nothing of a container that never ran stays behind. */
        if (*out)
            runtime_destroy(*out, NULL);
        *out = NULL;
        if (!st->id)
            st->id = osbox_xstrdup(id);
        oci_state_cleanup(root, st, NULL);
        oci_cgroup_path_remove(cfg->spec.cgroup_parent);
        return -1;
    }
    return 0;
}

/* Open the gate: a reader lets the init's open for writing through; its
 * byte says it passed. Bounded: 10 s, and only while the init lives. */
static int open_gate(const char *root, const struct oci_state *s, struct osbox_err *err)
{
    _cleanup_free_ char *fifo = osbox_strdup_printf("%s/%s/exec.fifo", root, s->id);
    _cleanup_close_ int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    char b;

    if (fd < 0)
        return osbox_error(err, errno, "open the start gate of %s", s->id);
    for (int i = 0; i < 100; i++) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 100) > 0 && read(fd, &b, 1) == 1) {
            unlink(fifo);
            return 0;
        }
        if (!proc_alive(s->pid, s->pid_start))
            break;
    }
    return osbox_error(err, 0, "container %s did not start: its init %s", s->id,
                       proc_alive(s->pid, s->pid_start) ? "did not pass the start gate" : "has exited");
}

/* Each hook of kind on its own: a failure is a warning, the rest still run. */
static void hooks_warn(const struct oci_config *cfg, enum oci_hook_kind kind, const char *hstate,
                       char ***warnings)
{
    for (size_t i = 0; i < cfg->n_hooks[kind]; i++) {
        struct oci_config one = { 0 };
        struct osbox_err e2;
        one.hooks[kind] = &cfg->hooks[kind][i];
        one.n_hooks[kind] = 1;
        if (oci_hooks_run(&one, kind, hstate, 0, &e2) < 0 && warnings)
            osbox_strv_push(warnings, e2.msg);
    }
}

int oci_container_start(const char *root, const struct oci_state *s, const struct oci_config *cfg,
                        char ***warnings, struct osbox_err *err)
{
    _cleanup_free_ char *hstate = oci_state_string(root, s);

    if (oci_hooks_run(cfg, OCI_HOOK_START_CONTAINER, hstate, s->pid, err) < 0) {
        kill(s->pid, SIGKILL); /* the container must not run half-prepared */
        return -1;
    }
    if (open_gate(root, s, err) < 0)
        return -1;
    free(hstate);
    hstate = oci_state_string(root, s); /* now running */
    hooks_warn(cfg, OCI_HOOK_POSTSTART, hstate, warnings);
    return 0;
}

int oci_start(const char *root, const char *id, char ***warnings, struct osbox_err *err)
{
    struct oci_state st;
    struct oci_config cfg;
    const char *status;
    int rc = -1;

    if (oci_state_read(root, id, &st, err) < 0)
        return -1;
    status = oci_state_status(root, &st);
    if (strcmp(status, "created")) {
        osbox_error(err, 0, "cannot start container %s: it is %s, not created", st.id, status);
    } else {
        if (oci_saved_config(root, &st, &cfg, err) == 0)
            rc = oci_container_start(root, &st, &cfg, warnings, err);
        oci_config_free(&cfg);
    }
    oci_state_free(&st);
    return rc;
}

int oci_container_delete(const char *root, const struct oci_state *s, char ***warnings,
                         struct osbox_err *err)
{
    struct oci_config cfg;
    struct osbox_err e2;
    bool have_cfg = oci_saved_config(root, s, &cfg, &e2) == 0;
    int rc = oci_state_cleanup(root, s, err);

    if (have_cfg) {
        struct oci_state stopped = *s;
        oci_cgroup_path_remove(cfg.spec.cgroup_parent);
        stopped.pid = 0;
        _cleanup_free_ char *hstate = oci_state_string(root, &stopped);
        hooks_warn(&cfg, OCI_HOOK_POSTSTOP, hstate, warnings);
    }
    oci_config_free(&cfg);
    return rc;
}

int oci_delete(const char *root, const char *id, bool force, char ***warnings,
               struct osbox_err *err)
{
    struct oci_state st;
    int rc;

    if (oci_state_read(root, id, &st, err) < 0) {
        _cleanup_free_ char *dir = NULL;
        /* A create killed halfway leaves a dir without state: --force removes it. */
        if (force && oci_state_dir(root, id, &dir, NULL) == 0 && access(dir, F_OK) == 0)
            return osbox_rm_rf(dir, err);
        return -1;
    }
    if (!force && !strcmp(oci_state_status(root, &st), "running")) {
        oci_state_free(&st);
        return osbox_error(err, 0, "cannot delete container %s: it is running (stop it, or use --force)",
                           id);
    }
    rc = oci_container_delete(root, &st, warnings, err);
    oci_state_free(&st);
    return rc;
}

json_t *oci_list_json(const char *root)
{
    json_t *arr = json_array();
    DIR *d = opendir(root);
    struct dirent *e;

    while (d && (e = readdir(d))) {
        struct oci_state st;
        struct osbox_err err;
        if (e->d_name[0] == '.' || oci_state_read(root, e->d_name, &st, &err) < 0)
            continue;
        json_array_append_new(arr, oci_state_json(root, &st));
        oci_state_free(&st);
    }
    if (d)
        closedir(d);
    return arr;
}
