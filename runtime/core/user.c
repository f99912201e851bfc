/* -u NAME[:GROUP] / UID[:GID]: resolved against the container's own
 * /etc/passwd and /etc/group (read after pivot_root, never the host's NSS). */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "runtime/core/internal.h"
#include "util.h"

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

static int parse_id(const char *s, unsigned *out, struct osbox_err *err)
{
    long long v;
    if (osbox_parse_int(s, 0, 0xfffffffe, &v, err) < 0)
        return -1;
    *out = (unsigned)v;
    return 0;
}

/* Finds the passwd entry by name or uid; 1 found, 0 not. */
static int find_passwd(const char *name, bool by_uid, uid_t uid, uid_t *ouid, gid_t *ogid,
                       char **home, char **oname)
{
    _cleanup_fclose_ FILE *f = fopen("/etc/passwd", "re");
    struct passwd *pw;

    if (!f)
        return 0;
    while ((pw = fgetpwent(f))) {
        if (by_uid ? pw->pw_uid == uid : !strcmp(pw->pw_name, name)) {
            *ouid = pw->pw_uid;
            *ogid = pw->pw_gid;
            *home = osbox_xstrdup(pw->pw_dir);
            *oname = osbox_xstrdup(pw->pw_name);
            return 1;
        }
    }
    return 0;
}

static int find_group(const char *name, gid_t *gid)
{
    _cleanup_fclose_ FILE *f = fopen("/etc/group", "re");
    struct group *gr;

    if (!f)
        return 0;
    while ((gr = fgetgrent(f)))
        if (!strcmp(gr->gr_name, name)) {
            *gid = gr->gr_gid;
            return 1;
        }
    return 0;
}

/* Supplementary groups: those that list the user by name. */
static void member_groups(const char *user, gid_t primary, struct resolved_user *u)
{
    _cleanup_fclose_ FILE *f = fopen("/etc/group", "re");
    struct group *gr;

    if (!f || !user)
        return;
    while ((gr = fgetgrent(f))) {
        if (gr->gr_gid == primary)
            continue;
        for (char **m = gr->gr_mem; m && *m; m++) {
            if (strcmp(*m, user))
                continue;
            gid_t *n = realloc(u->gids, (u->n_gids + 1) * sizeof *n);
            if (!n)
                abort();
            u->gids = n;
            u->gids[u->n_gids++] = gr->gr_gid;
            break;
        }
    }
}

int user_resolve(const struct osbox_process *p, struct resolved_user *u, struct osbox_err *err)
{
    _cleanup_free_ char *spec = NULL, *pwname = NULL;
    char *group;
    unsigned id;

    memset(u, 0, sizeof *u);
    if (!p->user || !*p->user) {
        u->uid = p->uid;
        u->gid = p->gid;
        if (p->n_additional_gids) {
            u->gids = osbox_xcalloc(p->n_additional_gids, sizeof *u->gids);
            memcpy(u->gids, p->additional_gids, p->n_additional_gids * sizeof *u->gids);
            u->n_gids = p->n_additional_gids;
        }
        find_passwd(NULL, true, u->uid, &(uid_t){ 0 }, &(gid_t){ 0 }, &u->home, &pwname);
        return 0;
    }
    spec = osbox_xstrdup(p->user);
    group = strchr(spec, ':');
    if (group)
        *group++ = '\0';
    if (all_digits(spec)) {
        if (parse_id(spec, &id, err) < 0)
            return osbox_error_prefix(err, "user '%s'", p->user);
        /* A uid unknown to passwd is fine; it runs with gid 0, as in Docker. */
        u->uid = id;
        u->gid = 0;
        find_passwd(NULL, true, id, &u->uid, &u->gid, &u->home, &pwname);
    } else if (!find_passwd(spec, false, 0, &u->uid, &u->gid, &u->home, &pwname)) {
        return osbox_error(err, 0, "unable to find user %s: no matching entries in passwd file",
                           spec);
    }
    if (group) {
        if (all_digits(group)) {
            if (parse_id(group, &id, err) < 0)
                return osbox_error_prefix(err, "group '%s'", group);
            u->gid = id;
        } else if (!find_group(group, &u->gid)) {
            return osbox_error(err, 0, "unable to find group %s: no matching entries in group file",
                               group);
        }
    }
    member_groups(pwname, u->gid, u);
    /* Those of the spec on top (run --group-add, OCI additionalGids). */
    for (size_t i = 0; i < p->n_additional_gids; i++) {
        gid_t *n = realloc(u->gids, (u->n_gids + 1) * sizeof *n);
        if (!n)
            abort();
        u->gids = n;
        u->gids[u->n_gids++] = p->additional_gids[i];
    }
    return 0;
}

void resolved_user_free(struct resolved_user *u)
{
    free(u->gids);
    free(u->home);
    memset(u, 0, sizeof *u);
}
