/* osbox run's security flags (--privileged, --cap-add/--cap-drop,
 * --security-opt, --userns) -> struct osbox_security, with Docker's rules
 * (see struct osbox_security_opts in runtime/core/runtime.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/core/runtime.h"
#include "runtime/userns/userns.h"
#include "util.h"

void osbox_security_opts_init(struct osbox_security_opts *rs)
{
    *rs = (struct osbox_security_opts){ .no_new_privs = -1 };
}

void osbox_security_opts_free(struct osbox_security_opts *rs)
{
    osbox_strv_free(rs->cap_add);
    osbox_strv_free(rs->cap_drop);
    rs->cap_add = rs->cap_drop = NULL;
}

static int parse_bool(const char *v, int *out)
{
    if (!*v || !strcmp(v, "true") || !strcmp(v, "1"))
        *out = 1;
    else if (!strcmp(v, "false") || !strcmp(v, "0"))
        *out = 0;
    else
        return -1;
    return 0;
}

int osbox_security_opts_security_opt(struct osbox_security_opts *rs, const char *arg, struct osbox_err *err)
{
    size_t klen = strcspn(arg, "=:");
    const char *v = arg[klen] ? arg + klen + 1 : "";

    if (klen == strlen("no-new-privileges") && !strncmp(arg, "no-new-privileges", klen)) {
        if (parse_bool(v, &rs->no_new_privs) < 0)
            return osbox_error(err, 0, "--security-opt %s: expected true or false", arg);
        return 0;
    }
    if (klen == strlen("seccomp") && !strncmp(arg, "seccomp", klen)) {
        if (!*v)
            return osbox_error(err, 0, "--security-opt seccomp needs unconfined or a FILE");
        rs->seccomp = v;
        return 0;
    }
    return osbox_error(err, 0, "--security-opt %s: supported are no-new-privileges and seccomp",
                       arg);
}

int osbox_security_opts_cap(struct osbox_security_opts *rs, const char *arg, bool add,
                            struct osbox_err *err)
{
    uint64_t scratch = 0;

    /* Check the names now, before anything is created. */
    if (osbox_caps_update(&scratch, arg, add, err) < 0)
        return -1;
    osbox_strv_push(add ? &rs->cap_add : &rs->cap_drop, arg);
    return 0;
}

int osbox_security_opts_userns(struct osbox_security_opts *rs, const char *arg,
                               struct osbox_err *err)
{
    enum osbox_userns_mode m;

    if (osbox_userns_parse_mode(arg, &m, err) < 0)
        return -1;
    rs->userns = (int)m;
    return 0;
}

static bool lists_all(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        for (const char *p = v[i]; *p;) {
            size_t n = strcspn(p, ",");
            if (n == 3 && !strncasecmp(p, "ALL", 3))
                return true;
            p += n + (p[n] == ',');
        }
    return false;
}

/* As Docker: ALL in --cap-add starts from every capability, ALL in
 * --cap-drop from none; then the other drops, then the other adds. */
static int apply_caps(const struct osbox_security_opts *rs, struct osbox_security *sec,
                      struct osbox_err *err)
{
    uint64_t caps = sec->caps;

    if (lists_all(rs->cap_add))
        osbox_caps_update(&caps, "ALL", true, err);
    else if (lists_all(rs->cap_drop))
        caps = 0;
    for (size_t i = 0; rs->cap_drop && rs->cap_drop[i]; i++)
        if (strcasecmp(rs->cap_drop[i], "ALL") &&
            osbox_caps_update(&caps, rs->cap_drop[i], false, err) < 0)
            return -1;
    for (size_t i = 0; rs->cap_add && rs->cap_add[i]; i++)
        if (strcasecmp(rs->cap_add[i], "ALL") &&
            osbox_caps_update(&caps, rs->cap_add[i], true, err) < 0)
            return -1;
    sec->caps = caps;
    return 0;
}

/* keep-id's user: the caller, or under sudo the user who ran sudo. */
static int keep_id_user(struct osbox_security_opts *rs, struct osbox_err *err)
{
    const char *u = getenv("SUDO_UID"), *g = getenv("SUDO_GID");
    char *end;

    if (!u || !*u || !g || !*g)
        return osbox_error(err, 0, "--userns=keep-id as root keeps the id of the user who ran "
                           "sudo: SUDO_UID and SUDO_GID are not set");
    rs->keep_uid = strtoul(u, &end, 10);
    if (*end || rs->keep_uid == 0 || rs->keep_uid > 0xfffffffeUL)
        return osbox_error(err, 0, "--userns=keep-id: bad SUDO_UID '%s'", u);
    rs->keep_gid = strtoul(g, &end, 10);
    if (*end || rs->keep_gid > 0xfffffffeUL)
        return osbox_error(err, 0, "--userns=keep-id: bad SUDO_GID '%s'", g);
    return 0;
}

int osbox_security_opts_validate(struct osbox_security_opts *rs, struct osbox_err *err)
{
    if (rs->userns == OSBOX_USERNS_KEEP_ID && geteuid() != 0)
        return osbox_error(err, 0, "--userns=keep-id rootless needs a subordinate id range "
                           "(newuidmap and /etc/subuid), which rootless osbox does not use yet: "
                           "without --userns, uid %u is root inside and owns its files",
                           (unsigned)getuid());
    if (rs->userns == OSBOX_USERNS_AUTO && geteuid() != 0)
        return osbox_error(err, 0, "--userns=auto needs root (rootless osbox already runs in a "
                           "user namespace: uid %u is root inside)", (unsigned)getuid());
    if (rootless_enter(&rs->rootless, err) < 0)
        return -1;
    if (rs->userns == OSBOX_USERNS_KEEP_ID && keep_id_user(rs, err) < 0)
        return -1;
    if (rs->userns != OSBOX_USERNS_HOST &&
        osbox_userns_auto_ranges(&rs->uids, &rs->gids, err) < 0)
        return -1;
    if (rs->userns == OSBOX_USERNS_KEEP_ID &&
        ((rs->keep_uid >= rs->uids.start && rs->keep_uid < rs->uids.start + rs->uids.count) ||
         (rs->keep_gid >= rs->gids.start && rs->keep_gid < rs->gids.start + rs->gids.count)))
        return osbox_error(err, 0, "--userns=keep-id: uid %lu/gid %lu lies inside the "
                           "subordinate range %lu:%lu", rs->keep_uid, rs->keep_gid,
                           rs->uids.start, rs->uids.count);
    return 0;
}

int osbox_security_opts_apply(const struct osbox_security_opts *rs, struct osbox_security *sec,
                              char ***warnings, struct osbox_err *err)
{
    if (rs->privileged)
        osbox_security_set_privileged(sec);
    if (rs->no_new_privs >= 0)
        sec->no_new_privs = rs->no_new_privs;
    if (apply_caps(rs, sec, err) < 0)
        return -1;
    if (rs->userns != OSBOX_USERNS_HOST) {
        sec->userns_uid = rs->uids.start;
        sec->userns_gid = rs->gids.start;
        sec->userns_size = rs->uids.count < rs->gids.count ? rs->uids.count : rs->gids.count;
    }
    if (rs->userns == OSBOX_USERNS_KEEP_ID) {
        sec->userns_keep = true;
        sec->userns_keep_uid = rs->keep_uid;
        sec->userns_keep_gid = rs->keep_gid;
    }
    sec->rootless = rs->rootless;
    if (rs->privileged)
        return 0; /* no seccomp at all, as Docker */
    if (rs->seccomp && !strcmp(rs->seccomp, "unconfined")) {
        sec->seccomp_mode = OSBOX_SECCOMP_UNCONFINED;
        return 0;
    }
    if (rs->seccomp)
        return osbox_seccomp_load_file(sec, rs->seccomp, warnings, err);
    return osbox_security_prepare(sec, err);
}
