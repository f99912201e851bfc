/* osbox run's security flags -> struct osbox_security (see run_security.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "cli/run_security.h"
#include "runtime/userns.h"
#include "util.h"

void run_security_init(struct run_security *rs)
{
    *rs = (struct run_security){ .no_new_privs = -1 };
}

void run_security_free(struct run_security *rs)
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

static int security_opt(struct run_security *rs, const char *arg, struct osbox_err *err)
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

int run_security_opt(struct run_security *rs, int opt, const char *arg, struct osbox_err *err)
{
    uint64_t scratch = 0;

    switch (opt) {
    case OPT_SEC_PRIVILEGED:
        rs->privileged = true;
        return 0;
    case OPT_SEC_CAP_ADD:
    case OPT_SEC_CAP_DROP:
        /* Check the names now, before anything is created. */
        if (osbox_caps_update(&scratch, arg, opt == OPT_SEC_CAP_ADD, err) < 0)
            return -1;
        osbox_strv_push(opt == OPT_SEC_CAP_ADD ? &rs->cap_add : &rs->cap_drop, arg);
        return 0;
    case OPT_SEC_OPT:
        return security_opt(rs, arg, err);
    case OPT_SEC_USERNS: {
        enum osbox_userns_mode m;
        if (osbox_userns_parse_mode(arg, &m, err) < 0)
            return -1;
        rs->userns = (int)m;
        return 0;
    }
    }
    return osbox_error(err, 0, "unknown security option");
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
static int apply_caps(const struct run_security *rs, struct osbox_security *sec,
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

/* What osbox would need to run this user's containers without root. */
static int rootless_error(struct osbox_err *err)
{
    _cleanup_free_ char *max = NULL, *clone = NULL;
    struct osbox_err ignored;
    struct osbox_idrange r;
    char missing[512] = "";
    char uid[16];

    snprintf(uid, sizeof uid, "%u", (unsigned)getuid());
    if (osbox_read_file("/proc/sys/user/max_user_namespaces", &max, NULL, &ignored) == 0 &&
        atol(max) == 0)
        strcat(missing, "; user namespaces are disabled (user.max_user_namespaces=0)");
    if (osbox_read_file("/proc/sys/kernel/unprivileged_userns_clone", &clone, NULL, &ignored) == 0 &&
        atol(clone) == 0)
        strcat(missing, "; unprivileged user namespaces are off (kernel.unprivileged_userns_clone=0)");
    if (osbox_subid_lookup("/etc/subuid", getlogin() ? getlogin() : uid, getuid(), &r, &ignored) != 1)
        strcat(missing, "; /etc/subuid has no range for this user");
    return osbox_error(err, 0, "osbox run as uid %s needs root: rootless containers are not "
                       "implemented yet%s", uid, missing);
}

int run_security_validate(struct run_security *rs, struct osbox_err *err)
{
    if (geteuid() != 0)
        return rootless_error(err);
    if (rs->userns == OSBOX_USERNS_KEEP_ID)
        return osbox_error(err, 0, "--userns=keep-id is for rootless osbox, which is not "
                           "implemented yet");
    if (rs->userns == OSBOX_USERNS_AUTO &&
        osbox_userns_auto_ranges(&rs->uids, &rs->gids, err) < 0)
        return -1;
    return 0;
}

int run_security_apply(const struct run_security *rs, struct osbox_security *sec,
                       struct osbox_err *err)
{
    char **warnings = NULL;
    int rc = 0;

    if (rs->privileged)
        osbox_security_set_privileged(sec);
    if (rs->no_new_privs >= 0)
        sec->no_new_privs = rs->no_new_privs;
    if (apply_caps(rs, sec, err) < 0)
        return -1;
    if (rs->userns == OSBOX_USERNS_AUTO) {
        sec->userns_uid = rs->uids.start;
        sec->userns_gid = rs->gids.start;
        sec->userns_size = rs->uids.count < rs->gids.count ? rs->uids.count : rs->gids.count;
    }
    if (rs->privileged)
        return 0; /* no seccomp at all, as Docker */
    if (rs->seccomp && !strcmp(rs->seccomp, "unconfined")) {
        sec->seccomp_mode = OSBOX_SECCOMP_UNCONFINED;
        return 0;
    }
    if (rs->seccomp) {
        rc = osbox_seccomp_load_file(sec, rs->seccomp, &warnings, err);
        for (size_t i = 0; warnings && warnings[i]; i++)
            fprintf(stderr, "osbox: warning: seccomp profile %s: %s\n", rs->seccomp, warnings[i]);
        osbox_strv_free(warnings);
        return rc;
    }
    return osbox_security_prepare(sec, err);
}
