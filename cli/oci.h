/* The OCI runtime CLI (`osbox-oci VERB` / `osbox oci VERB`), as engines
 * call runc and crun. Shared between cli/cmd_oci.c and cli/oci_*.c. */
#ifndef OSBOX_CLI_OCI_H
#define OSBOX_CLI_OCI_H

#include <stdbool.h>

#include "osbox_err.h"
#include "runtime/oci.h"

struct oci_globals {
    const char *root;   /* state dir (--root) */
    const char *log;    /* --log FILE, NULL: stderr only */
    bool log_json;      /* --log-format json */
    bool debug;
};
extern struct oci_globals oci_g;

/* Print the error (and log it); returns the exit status (1 for OCI errors). */
int oci_fail(const struct osbox_err *err);
int oci_failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void oci_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Verbs; argv[0] is the verb. */
int oci_create_main(int argc, char **argv);
int oci_run_main(int argc, char **argv);
int oci_start_main(int argc, char **argv);
int oci_state_main(int argc, char **argv);
int oci_kill_main(int argc, char **argv);
int oci_delete_main(int argc, char **argv);
int oci_list_main(int argc, char **argv);
int oci_ps_main(int argc, char **argv);
int oci_features_main(int argc, char **argv);
int oci_spec_main(int argc, char **argv);
int oci_exec_main(int argc, char **argv);

/* Helpers shared by the verbs (oci_create.c). */
char *oci_state_string(const struct oci_state *s); /* state JSON for hooks */
/* Load the config saved in the state dir at create. */
int oci_saved_config(const struct oci_state *s, struct oci_config *c, struct osbox_err *err);
/* Open the start gate and let the container run (start). */
int oci_do_start(const struct oci_state *s, struct osbox_err *err);
/* poststop hooks (warnings only) then cleanup. */
int oci_do_delete(const struct oci_state *s, struct osbox_err *err);
/* Pids (host view) in the pid namespace of the container's init. */
int oci_container_pids(pid_t init, int **pids, size_t *n);

#endif
