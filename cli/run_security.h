/* osbox run's security flags: --privileged, --cap-add, --cap-drop,
 * --security-opt no-new-privileges[=BOOL] | seccomp=unconfined|FILE.json. */
#ifndef OSBOX_CLI_RUN_SECURITY_H
#define OSBOX_CLI_RUN_SECURITY_H

#include <getopt.h>
#include <stdbool.h>

#include "runtime/runtime.h"
#include "runtime/userns.h"

struct run_security {
    bool privileged;
    char **cap_add, **cap_drop;
    const char *seccomp; /* NULL: the default profile */
    int no_new_privs;    /* -1: default (on) */
    int userns;          /* enum osbox_userns_mode */
    struct osbox_idrange uids, gids; /* --userns=auto and keep-id */
    unsigned long keep_uid, keep_gid; /* --userns=keep-id: SUDO_UID/SUDO_GID */
    bool rootless;                    /* a non-root caller: osbox is in its own user ns */
};

enum {
    OPT_SEC_PRIVILEGED = 0x400, OPT_SEC_CAP_ADD, OPT_SEC_CAP_DROP, OPT_SEC_OPT, OPT_SEC_USERNS,
};

#define RUN_SECURITY_LONG_OPTS                                             \
    { "privileged", no_argument, NULL, OPT_SEC_PRIVILEGED },               \
    { "cap-add", required_argument, NULL, OPT_SEC_CAP_ADD },               \
    { "cap-drop", required_argument, NULL, OPT_SEC_CAP_DROP },             \
    { "security-opt", required_argument, NULL, OPT_SEC_OPT },              \
    { "userns", required_argument, NULL, OPT_SEC_USERNS },

#define RUN_SECURITY_USAGE                                                                 \
    "      --privileged          all capabilities, no seccomp, no masked paths, usable\n"    \
    "                            device nodes\n"                                           \
    "      --cap-add CAP         add a capability (NET_ADMIN, CAP_SYS_TIME, ALL)\n"         \
    "      --cap-drop CAP        drop a capability (ALL drops every one)\n"                 \
    "      --security-opt OPT    no-new-privileges[=true|false] (default true),\n"         \
    "                            seccomp=unconfined|PROFILE.json (OCI/Docker format)\n"  \
    "      --userns MODE         user namespace: host; auto maps root to a /etc/subuid\n"  \
    "                            range; keep-id also keeps SUDO_UID/SUDO_GID as themselves\n"

void run_security_init(struct run_security *rs);
/* One of the OPT_SEC_* options; checks its value. */
int run_security_opt(struct run_security *rs, int opt, const char *arg, struct osbox_err *err);
/* After parsing, before anything is created: a non-root caller enters its
 * own user namespace (cli/rootless.c); --userns ranges and keep-id's ids. */
int run_security_validate(struct run_security *rs, struct osbox_err *err);
/* Fill spec->security: caps, then the seccomp profile compiled for them.
 * Prints the profile's warnings (unknown syscalls) on stderr. */
int run_security_apply(const struct run_security *rs, struct osbox_security *sec,
                       struct osbox_err *err);
void run_security_free(struct run_security *rs);

#endif
