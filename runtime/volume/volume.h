/* Named and anonymous volumes: directories osbox keeps outside any
 * container, bound into containers by `run -v NAME:/path`, `-v /path`
 * (anonymous) or `--mount type=volume`, to Docker's semantics.
 *
 * Layout (under $OSBOX_ROOT/volumes; rootless: ~/.local/share/osbox/volumes):
 *   <name>/volume.json     Name, Driver "local", CreatedAt, Labels, Anonymous
 *   <name>/_data/          the content, what containers see
 *   <name>/users/<id>      one empty file per container that mounts it
 *
 * A volume is made in a temporary dir and renamed into place, so a crash
 * leaves no half volume. "In use" means a users/<id> whose container still
 * exists (a stale entry of a removed container does not count). */
#ifndef OSBOX_VOLUME_H
#define OSBOX_VOLUME_H

#include <jansson.h>
#include <stdbool.h>

#include "osbox_err.h"

struct osbox_volume {
    char *name;
    char *mountpoint; /* <dir>/_data */
    char *created;    /* RFC 3339 UTC */
    bool anonymous;
    char **labels;    /* "K=V" */
    char **users;     /* ids of existing containers that mount it */
};
void osbox_volume_free(struct osbox_volume *v);

/* Docker's rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+ */
bool volume_name_valid(const char *name);

/* Create NAME (NULL: a random 64-hex name). anonymous marks a volume of
 * `-v /path` (removed with its container by --rm or rm -v; pruned by
 * default). An existing volume is returned as is, *created false. */
int volume_create(const char *name, bool anonymous, char *const *labels, struct osbox_volume *out,
                  bool *created, struct osbox_err *err);
int volume_inspect(const char *name, struct osbox_volume *out, struct osbox_err *err);
/* All volumes, sorted by name. */
int volume_list(struct osbox_volume **out, size_t *n, struct osbox_err *err);
/* Refused while a container uses it. */
int volume_remove(const char *name, struct osbox_err *err);
/* Remove unused volumes: anonymous ones, or all with all_volumes (Docker's
 * `volume prune [-a]`). *removed gets their names (may be NULL). */
int volume_prune(bool all_volumes, char ***removed, struct osbox_err *err);

/* Container id now mounts volume name (before it starts). */
int volume_attach(const char *name, const char *id, struct osbox_err *err);
/* The container is gone: drop its users/ entries, and remove the anonymous
 * volumes it was the last user of when remove_anonymous (--rm, rm -v). */
void volume_release(const char *id, bool remove_anonymous);

/* --volumes-from REF[:ro|:rw]: append the binds and volumes of container
 * ref's saved spec to spec (ro: 1 all read-only, 0 all read-write, -1 as
 * they were) and record id as a user of its volumes. */
struct osbox_spec;
int volume_mounts_from(const char *ref, int ro, const char *id, struct osbox_spec *spec,
                       struct osbox_err *err);

/* Docker's `volume inspect` object. */
json_t *volume_to_json(const struct osbox_volume *v);

#endif
