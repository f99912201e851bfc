/* The OCI runtime side of osbox: a bundle's config.json -> struct osbox_spec
 * plus what the spec does not carry (hooks, namespace paths, rlimits,
 * sysctls, annotations), the per-container OCI state, and hooks.
 * The CLI (cli/cmd_oci.c) drives these; the runtime proper never sees them. */
#ifndef OSBOX_RUNTIME_OCI_H
#define OSBOX_RUNTIME_OCI_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "runtime/runtime.h"

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
/* The default config.json `spec` writes (a busybox-style shell). */
json_t *oci_default_config(void);

/* Hooks (hooks.c): run each hook of kind with the state JSON on its stdin.
 * ns_pid > 0: createContainer/startContainer run in that process's mount
 * namespace (path resolved on the host first). Fails with the hook named. */
int oci_hooks_run(const struct oci_config *c, enum oci_hook_kind kind, const char *state_json,
                  pid_t ns_pid, struct osbox_err *err);

/* Before clone, in the creating process (inherited by the container):
 * rlimits, oom_score_adj, joined namespaces. */
int oci_apply_inherited(const struct oci_config *c, struct osbox_err *err);
/* Back to the namespaces we had before oci_apply_inherited (after the clone). */
int oci_restore_namespaces(struct osbox_err *err);
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
/* True when pid (with start time) still runs (a zombie counts as gone). */
bool oci_pid_alive(pid_t pid, unsigned long long start);
unsigned long long oci_pid_start(pid_t pid); /* against pid reuse */
/* Kill what is left, remove the cgroup and the runtime's live state, and the state dir. */
int oci_state_cleanup(const char *root, const struct oci_state *s, struct osbox_err *err);
/* linux.cgroupsPath: the container's cgroup lives in it (as osbox-<runtime id>);
 * remove it in every hierarchy once empty. */
void oci_cgroup_path_remove(const char *path);

#endif
