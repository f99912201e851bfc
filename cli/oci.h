/* The OCI runtime CLI (`osbox-oci VERB` / `osbox oci VERB`), as engines
 * call runc and crun. Shared between cli/cmd_oci.c and cli/oci_*.c. */
#ifndef OSBOX_CLI_OCI_H
#define OSBOX_CLI_OCI_H

#include <stdbool.h>

#include "osbox_err.h"
#include "runtime/oci/oci.h"

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
int oci_pause_main(int argc, char **argv);  /* pause, resume */
int oci_update_main(int argc, char **argv);

/* Print each warning (oci_warn) and free them. */
void oci_warn_all(char **warnings);
/* Print (and free) what config parsing warned of. */
void oci_take_warnings(struct oci_config *cfg);

#endif
