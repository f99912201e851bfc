/* Capabilities with libcap: Docker's default set, names, and the sets of
 * the command's process (bounding first, permitted/effective last). */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "runtime/security/security.h"
#include "util.h"


int caps_last(void)
{
    static int last = -1;

    if (last < 0) {
        last = (int)cap_max_bits() - 1;
        if (last < CAP_LAST_CAP)
            last = CAP_LAST_CAP;
        if (last > 63)
            last = 63;
    }
    return last;
}

uint64_t caps_all(void)
{
    int last = caps_last();
    return last >= 63 ? ~UINT64_C(0) : (CAP_BIT(last + 1) - 1);
}

uint64_t caps_docker_default(void)
{
    static const int dflt[] = {
        CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_MKNOD, CAP_NET_RAW,
        CAP_SETGID, CAP_SETUID, CAP_SETFCAP, CAP_SETPCAP, CAP_NET_BIND_SERVICE,
        CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE,
    };
    uint64_t m = 0;

    for (size_t i = 0; i < sizeof dflt / sizeof dflt[0]; i++)
        m |= CAP_BIT(dflt[i]);
    return m;
}

char *caps_name(int cap)
{
    char *lower = cap_to_name((cap_value_t)cap);
    char *up = osbox_strdup_printf("%s", lower ? lower : "");

    cap_free(lower);
    for (char *p = up; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    return up;
}

/* "NET_ADMIN", "CAP_NET_ADMIN", "cap_net_admin" -> CAP_NET_ADMIN. */
int caps_from_name(const char *name, int *cap)
{
    char buf[64];
    size_t n = 0;
    cap_value_t v;

    if (!strncasecmp(name, "CAP_", 4))
        name += 4;
    if (!*name || strlen(name) + 5 > sizeof buf)
        return -1;
    n = (size_t)sprintf(buf, "cap_");
    for (; *name; name++) {
        if (!isalnum((unsigned char)*name) && *name != '_')
            return -1;
        buf[n++] = (char)tolower((unsigned char)*name);
    }
    buf[n] = '\0';
    /* libcap also takes plain numbers: names only here. */
    if (isdigit((unsigned char)buf[4]) || cap_from_name(buf, &v) < 0 || v < 0 || v > 63)
        return -1;
    *cap = v;
    return 0;
}

int osbox_caps_update(uint64_t *caps, const char *names, bool add, struct osbox_err *err)
{
    _cleanup_free_ char *copy = osbox_xstrdup(names);
    char *save = NULL, *tok;

    for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int cap;
        if (!strcasecmp(tok, "ALL")) {
            *caps = add ? caps_all() : 0;
            continue;
        }
        if (caps_from_name(tok, &cap) < 0)
            return osbox_error(err, 0, "--cap-%s: unknown capability '%s'",
                               add ? "add" : "drop", tok);
        if (add)
            *caps |= CAP_BIT(cap);
        else
            *caps &= ~CAP_BIT(cap);
    }
    if (!names[0])
        return osbox_error(err, 0, "--cap-%s: empty capability name", add ? "add" : "drop");
    return 0;
}

int caps_drop_bounding(uint64_t keep, struct osbox_err *err)
{
    for (int c = 0; c <= caps_last(); c++) {
        if (keep & CAP_BIT(c))
            continue;
        if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
            return osbox_error(err, errno, "drop capability %d from the bounding set", c);
    }
    return 0;
}

static int caps_apply(const struct osbox_cap_sets *sets, struct osbox_err *err)
{
    cap_t c = cap_init();
    int rc = 0;

    if (!c)
        return osbox_error(err, errno, "cap_init");
    for (int i = 0; i <= caps_last(); i++) {
        cap_value_t v = i;
        /* Only what osbox itself may have (--privileged asks for all). */
        if (prctl(PR_CAPBSET_READ, i, 0, 0, 0) != 1)
            continue;
        if (sets->permitted & CAP_BIT(i))
            cap_set_flag(c, CAP_PERMITTED, 1, &v, CAP_SET);
        if (sets->effective & CAP_BIT(i))
            cap_set_flag(c, CAP_EFFECTIVE, 1, &v, CAP_SET);
        if (sets->inheritable & CAP_BIT(i))
            cap_set_flag(c, CAP_INHERITABLE, 1, &v, CAP_SET);
    }
    if (cap_set_proc(c) < 0)
        rc = osbox_error(err, errno, "set the capabilities");
    cap_free(c);
    return rc;
}

/* The ambient set, raised one by one: the kernel takes a capability only
 * when it is both permitted and inheritable (as runc, an error otherwise). */
static int caps_raise_ambient(uint64_t ambient, struct osbox_err *err)
{
    for (int i = 0; i <= caps_last(); i++) {
        if (!(ambient & CAP_BIT(i)))
            continue;
        if (cap_set_ambient((cap_value_t)i, CAP_SET) < 0) {
            _cleanup_free_ char *name = caps_name(i);
            return osbox_error(err, errno, "raise the ambient capability %s (it must be permitted and inheritable)",
                               name);
        }
    }
    return 0;
}

int caps_set_final(const struct osbox_security *s, struct osbox_err *err)
{
    struct osbox_cap_sets docker = { .effective = s->caps, .permitted = s->caps };
    const struct osbox_cap_sets *sets = s->has_cap_sets ? &s->cap_sets : &docker;

    /* Docker's rule (no sets given): inheritable stays empty (since
     * CVE-2022-24769) and so does the ambient set, so a non-root command
     * gets no capabilities on exec. An OCI config's sets are applied as
     * given; its ambient set is what a non-root command keeps past execve. */
    if (cap_reset_ambient() < 0 && errno != EINVAL)
        return osbox_error(err, errno, "clear the ambient capabilities");
    if (caps_apply(sets, err) < 0)
        return -1;
    return caps_raise_ambient(sets->ambient, err);
}

uint64_t caps_unavailable(uint64_t wanted)
{
    uint64_t missing = 0;

    for (int i = 0; i <= 63; i++)
        if ((wanted & CAP_BIT(i)) && (i > caps_last() || prctl(PR_CAPBSET_READ, i, 0, 0, 0) != 1))
            missing |= CAP_BIT(i);
    return missing;
}

int caps_raise_sys_admin(struct osbox_err *err)
{
    cap_t c = cap_get_proc();
    cap_value_t v = CAP_SYS_ADMIN;
    int rc = 0;

    if (!c)
        return osbox_error(err, errno, "cap_get_proc");
    cap_set_flag(c, CAP_EFFECTIVE, 1, &v, CAP_SET);
    if (cap_set_proc(c) < 0)
        rc = osbox_error(err, errno, "raise CAP_SYS_ADMIN to load the seccomp filter");
    cap_free(c);
    return rc;
}

int caps_raise_all(struct osbox_err *err)
{
    cap_t c = cap_get_proc();
    int rc = 0;

    if (!c)
        return osbox_error(err, errno, "cap_get_proc");
    for (int i = 0; i <= caps_last(); i++) {
        cap_value_t v = i;
        cap_flag_value_t on = CAP_CLEAR;
        if (cap_get_flag(c, v, CAP_PERMITTED, &on) == 0 && on == CAP_SET)
            cap_set_flag(c, CAP_EFFECTIVE, 1, &v, CAP_SET);
    }
    if (cap_set_proc(c) < 0)
        rc = osbox_error(err, errno, "raise the capabilities");
    cap_free(c);
    return rc;
}
