/* User namespaces: the id ranges a container's root would map to.
 * --userns=host (the default) shares the host's ids. --userns=auto maps
 * container ids 0..65535 onto a range from /etc/subuid and /etc/subgid
 * (the entry for "osbox", else "root"; a built-in 100000:65536 when neither
 * file names one). keep-id also maps SUDO_UID/SUDO_GID to themselves (the
 * range fills the rest). Ranges are resolved and checked here;
 * runtime/userns/userns_run.c runs the container in the namespace (idmapped
 * layers). Rootless osbox (osbox itself in a user namespace of a non-root
 * user) is runtime/userns/rootless.c, at the end. */
#ifndef OSBOX_RUNTIME_USERNS_H
#define OSBOX_RUNTIME_USERNS_H

#include <stdbool.h>
#include <sys/types.h>

#include "osbox_err.h"

enum osbox_userns_mode { OSBOX_USERNS_HOST, OSBOX_USERNS_AUTO, OSBOX_USERNS_KEEP_ID };

struct osbox_idrange {
    unsigned long start, count; /* host ids start .. start+count-1 */
};

#define OSBOX_USERNS_SIZE 65536UL /* ids a container gets: 0..65535 */
#define OSBOX_USERNS_DEFAULT_START 100000UL

int osbox_userns_parse_mode(const char *s, enum osbox_userns_mode *mode, struct osbox_err *err);
/* The first range for name (or its numeric uid) in a subuid/subgid file.
 * Returns 1 found, 0 not found (or no file), -1 on a malformed line. */
int osbox_subid_lookup(const char *file, const char *name, uid_t uid, struct osbox_idrange *out,
                       struct osbox_err *err);
/* The ranges --userns=auto uses; fails when a configured range is smaller
 * than OSBOX_USERNS_SIZE. $OSBOX_SUBUID / $OSBOX_SUBGID replace the files. */
int osbox_userns_auto_ranges(struct osbox_idrange *uids, struct osbox_idrange *gids,
                             struct osbox_err *err);

/* Rootless osbox (rootless.c): a non-root user's `osbox run` and `osbox
 * load` run in a user namespace of their own, where the user is root.
 * For a non-root caller: check what the kernel allows, pin the user's
 * state dirs (OSBOX_ROOT/OSBOX_RUN), create the user namespace with the
 * caller's uid/gid as 0 and become its root. No-op for root. Sets
 * *entered when it did. The error names what is missing. */
int rootless_enter(bool *entered, struct osbox_err *err);
/* After rootless_enter: why the map is a single id (no /etc/subuid range,
 * newuidmap missing...), for the caller to print as a note; NULL when the
 * map is the full range or nothing was made. */
const char *rootless_note(void);
/* Commands that manage a non-root user's store (rm, gc, ps, images, rmi...)
 * run as root of a user namespace too, so that they can remove what the
 * containers made (overlay work dirs are mode 000). Best effort: when the
 * namespace cannot be made, the command runs as the user and says what
 * it cannot do. run and load call rootless_enter themselves; exec joins
 * the container's own namespace later (runtime/lifecycle/exec_into.c). */
void rootless_for_command(const char *name);
/* True once rootless_enter made the namespace (in this process). */
bool rootless_active(void);

#endif
