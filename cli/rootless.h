/* Rootless osbox: a non-root user's `osbox run` and `osbox load` run in a
 * user namespace of their own, where the user is root (see cli/rootless.c). */
#ifndef OSBOX_CLI_ROOTLESS_H
#define OSBOX_CLI_ROOTLESS_H

#include <stdbool.h>

#include "osbox_err.h"

/* For a non-root caller: check what the kernel allows, pin the user's
 * state dirs (OSBOX_ROOT/OSBOX_RUN), create the user namespace with the
 * caller's uid/gid as 0 and become its root. No-op for root. Sets
 * *entered when it did. The error names what is missing. */
int rootless_enter(bool *entered, struct osbox_err *err);
/* Commands that manage a non-root user's store (rm, gc, ps, images, rmi...)
 * run as root of a user namespace too, so that they can remove what the
 * containers made (overlay work dirs are mode 000). Best effort: when the
 * namespace cannot be made, the command runs as the user and says what
 * it cannot do. run and load call rootless_enter themselves. */
void rootless_for_command(const char *name);
/* True once rootless_enter made the namespace (in this process). */
bool rootless_active(void);

#endif
