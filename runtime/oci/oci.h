/* The OCI runtime side of osbox: a bundle's config.json -> struct osbox_spec
 * plus what the spec does not carry (hooks, namespace paths, rlimits,
 * sysctls, annotations), the per-container OCI state, and hooks.
 * and the OCI lifecycle engines drive (create, start, exec, kill, delete;
 * oci_lifecycle.c, oci_exec.c, oci_kill.c). cli/cmd_oci.c parses the verbs
 * and calls one function each; the runtime proper never sees these. */
#ifndef OSBOX_RUNTIME_OCI_H
#define OSBOX_RUNTIME_OCI_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "runtime/core/runtime.h"

#define OCI_VERSION "1.1.0"

enum oci_hook_kind {
    OCI_HOOK_PRESTART,
    OCI_HOOK_CREATE_RUNTIME,
    OCI_HOOK_CREATE_CONTAINER,
    OCI_HOOK_START_CONTAINER,
    OCI_HOOK_POSTSTART,
    OCI_HOOK_POSTSTOP,
    OCI_HOOK_N,
};
extern const char *const oci_hook_names[OCI_HOOK_N]; /* "prestart", "createRuntime", ... */

struct oci_hook {
    char *path;
    char **args;  /* may be NULL: argv is just path */
    char **env;
    int timeout;  /* seconds, 0 none */
};

/* Namespaces that may be joined by path (linux.namespaces[].path). */
enum oci_ns { OCI_NS_PID, OCI_NS_NET, OCI_NS_IPC, OCI_NS_UTS, OCI_NS_MOUNT, OCI_NS_CGROUP,
              OCI_NS_TIME, OCI_NS_N };

struct oci_rlimit {
    int resource;
    struct rlimit lim;
};

struct oci_config {
    struct osbox_spec spec;
    struct oci_hook *hooks[OCI_HOOK_N];
    size_t n_hooks[OCI_HOOK_N];
    char *ns_path[OCI_NS_N];     /* join this namespace instead of a new one */
    struct oci_rlimit *rlimits;
    size_t n_rlimits;
    char **sysctl;               /* "net.ipv4.ip_forward=1" */
    bool has_oom_score_adj;
    int oom_score_adj;
    json_t *annotations;         /* object, owned */
    /* What the runtime leaves out of the config and says so (a capability
     * it does not have), for the CLI to print on stderr. */
    char **warnings;
};

/* Parse bundle/config.json (bundle absolute). Errors name the field, e.g.
 * "config.json: process.args: must be a non-empty array of strings". */
int oci_config_load(const char *bundle, struct oci_config *c, struct osbox_err *err);
/* Same from a parsed document; root.path relative to bundle. */
int oci_config_from_json(json_t *doc, const char *bundle, struct oci_config *c,
                         struct osbox_err *err);
/* An OCI "process" object (exec --process) into p; caps into *caps when set. */
int oci_process_from_json(json_t *o, struct osbox_process *p, struct osbox_security *sec,
                          struct oci_config *c, struct osbox_err *err);
void oci_config_free(struct oci_config *c);
/* The mount option words config.json's mounts[].options may hold, appended to out. */
void oci_mount_option_names(json_t *out);
/* What `osbox-oci features` prints (oci_features.c). */
json_t *oci_features_json(void);
/* A linux.resources object alone (osbox-oci update --resources). */
int oci_resources_from_json(json_t *r, struct osbox_resources *res, struct osbox_err *err);

/* pause / resume / update --resources (oci_pause.c): the container's cgroup
 * (osbox-<runtime id>, found from its init) frozen, thawed, or given new limits. */
int oci_pause(const char *root, const char *id, bool freeze, struct osbox_err *err);
int oci_update(const char *root, const char *id, const struct osbox_resources *res, struct osbox_err *err);
struct oci_state;
/* True when the running container's cgroup is frozen; thaw it if so. */
bool oci_paused(const struct oci_state *s);
void oci_thaw(const struct oci_state *s);

/* The other way (oci_config_write.c): a spec as config.json, the form in
 * which `osbox run` saves what it built ($OSBOX_ROOT/containers/<id>/config.json)
 * and `start`, `restart` and `exec` read it back with oci_config_load. What
 * OCI has no field for is in the "osbox" object (oci_config_osbox.c): image
 * layers instead of root.path, a user by name, the default seccomp profile,
 * --privileged, --userns, the network options. The image digest, when given,
 * is the annotation below. */
#define OCI_ANNOTATION_IMAGE_DIGEST "io.osbox.image.digest"
json_t *oci_config_to_json(const struct osbox_spec *spec, const char *image_digest);
/* dir/config.json, replaced atomically. */
int oci_config_save(const char *dir, const struct osbox_spec *spec, const char *image_digest,
                    struct osbox_err *err);
json_t *oci_config_osbox_json(const struct osbox_spec *spec);
/* Applied after the standard fields (caps and linux.seccomp already known). */
int oci_config_osbox_from_json(json_t *o, struct osbox_spec *spec, struct osbox_err *err);
/* The default config.json `spec` writes (a busybox-style shell). */
json_t *oci_default_config(void);

/* Hooks (hooks.c): run each hook of kind with the state JSON on its stdin.
 * ns_pid > 0: createContainer/startContainer run in that process's mount
 * namespace (path resolved on the host first). Fails with the hook named. */
int oci_hooks_run(const struct oci_config *c, enum oci_hook_kind kind, const char *state_json,
                  pid_t ns_pid, struct osbox_err *err);

/* Our own namespaces while the config's joined ones are entered, for the
 * clone only: filled by oci_apply_inherited, emptied by
 * oci_restore_namespaces (-1: not joined). */
struct oci_saved_ns {
    int fd[OCI_NS_N];
};
/* Before clone, in the creating process (inherited by the container):
 * rlimits, oom_score_adj, joined namespaces (saved initialised here). */
int oci_apply_inherited(const struct oci_config *c, struct oci_saved_ns *saved,
                        struct osbox_err *err);
/* Back to the namespaces we had before oci_apply_inherited (after the clone). */
int oci_restore_namespaces(struct oci_saved_ns *saved, struct osbox_err *err);
/* After the container exists (waiting at the start gate): namespaced sysctls. */
int oci_apply_sysctl(const struct oci_config *c, pid_t pid, struct osbox_err *err);

/* The pty master of a container created with a terminal (-1 otherwise),
 * taken from the container. */
int oci_take_pty(struct osbox_container *c);
/* Send fd to the unix socket at path as SCM_RIGHTS (conmon's console socket). */
int oci_send_console(const char *path, int fd, struct osbox_err *err);

/* OCI state ($root/<id>/state.json). */
struct oci_state {
    char *id;
    char runtime_id[65];
    pid_t pid;
    unsigned long long pid_start;
    char *bundle;
    char *created;
    bool creating;       /* create has not finished */
    json_t *annotations; /* owned */
};
/* The runtime's 64-hex id for a state dir: sha256("osbox-oci:" + dir), so
 * the cgroup name (osbox-<it>) is known from the root and the OCI id alone. */
void oci_runtime_id(const char *state_dir, char out[65]);
/* Directory of id under root; validates id ([A-Za-z0-9][A-Za-z0-9_.+-]*). */
int oci_state_dir(const char *root, const char *id, char **out, struct osbox_err *err);
int oci_state_write(const char *dir, const struct oci_state *s, struct osbox_err *err);
int oci_state_read(const char *root, const char *id, struct oci_state *s, struct osbox_err *err);
void oci_state_free(struct oci_state *s);
/* "creating", "created", "running", "stopped". */
const char *oci_state_status(const char *root, const struct oci_state *s);
/* The JSON `state` prints and hooks get on stdin. */
json_t *oci_state_json(const char *root, const struct oci_state *s);
/* Kill what is left, remove the cgroup and the runtime's live state, and the state dir. */
int oci_state_cleanup(const char *root, const struct oci_state *s, struct osbox_err *err);
/* linux.cgroupsPath: the container's cgroup lives in it (as osbox-<runtime id>);
 * remove it in every hierarchy once empty. */
void oci_cgroup_path_remove(const char *path);

/* The lifecycle (oci_lifecycle.c). root: the state root (--root).
 * Warnings (failed poststart/poststop hooks) are appended to *warnings
 * (may be NULL) for the caller to print. */
struct oci_create_opts {
    const char *bundle;          /* NULL: the current directory */
    const char *pid_file;        /* write the init's pid there */
    const char *console_socket;  /* process.terminal: send the pty master there */
    bool detach;                 /* the container outlives us (create, run -d) */
};
/* State dir, the bundle's config kept in it, the init made and waiting at
 * the start gate; prestart, createRuntime, createContainer hooks in that
 * order; console, pid file. On failure nothing is left. *out is the
 * container: create leaves without runtime_destroy (that keeps it), run
 * waits on it. st and cfg are filled; free both on every return. */
int oci_container_create(const char *root, const char *id, const struct oci_create_opts *o,
                         struct oci_state *st, struct oci_config *cfg,
                         struct osbox_container **out, struct osbox_err *err);
/* startContainer hooks in its mount namespace (a failure kills it), open
 * the gate, then poststart hooks. */
int oci_container_start(const char *root, const struct oci_state *st, const struct oci_config *cfg,
                        char ***warnings, struct osbox_err *err);
/* start ID: it must be "created". */
int oci_start(const char *root, const char *id, char ***warnings, struct osbox_err *err);
/* Cleanup (kill what is left, cgroup, state) then poststop hooks. */
int oci_container_delete(const char *root, const struct oci_state *st, char ***warnings,
                         struct osbox_err *err);
/* delete ID: a running one only with force; force also removes the dir a
 * create killed halfway left without state. */
int oci_delete(const char *root, const char *id, bool force, char ***warnings,
               struct osbox_err *err);
/* The config saved in the state dir at create. */
int oci_saved_config(const char *root, const struct oci_state *s, struct oci_config *c,
                     struct osbox_err *err);
char *oci_state_string(const char *root, const struct oci_state *s); /* state JSON for hooks */
/* list: the state JSON of every container under root. */
json_t *oci_list_json(const char *root);

/* exec (oci_exec.c): the process from --process FILE or args plus the
 * saved config; the rest override. Returns the process's exit status (0
 * once it runs with detach). The caller blocks signals unless detaching. */
struct oci_exec_opts {
    const char *process;
    char **args;
    char **env;
    const char *cwd, *user, *pid_file, *console_socket;
    bool tty, detach;
};
int oci_exec(const char *root, const char *id, const struct oci_exec_opts *o,
             struct osbox_err *err);

/* kill and ps (oci_kill.c). */
int oci_kill(const char *root, const char *id, int sig, bool all, struct osbox_err *err);
/* Pids (host view) in the pid namespace of the container's init; -1 when
 * that init (pid and start time of st) no longer runs. */
int oci_container_pids(const struct oci_state *st, int **pids, size_t *n);

#endif
