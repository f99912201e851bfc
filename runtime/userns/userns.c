/* /etc/subuid and /etc/subgid ranges for --userns=auto (see userns.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/userns/userns.h"
#include "util.h"

int osbox_userns_parse_mode(const char *s, enum osbox_userns_mode *mode, struct osbox_err *err)
{
    if (!strcmp(s, "host") || !*s)
        *mode = OSBOX_USERNS_HOST;
    else if (!strcmp(s, "auto"))
        *mode = OSBOX_USERNS_AUTO;
    else if (!strcmp(s, "keep-id"))
        *mode = OSBOX_USERNS_KEEP_ID;
    else
        return osbox_error(err, 0, "--userns %s: supported are host, auto and keep-id", s);
    return 0;
}

int osbox_subid_lookup(const char *file, const char *name, uid_t uid, struct osbox_idrange *out,
                       struct osbox_err *err)
{
    _cleanup_fclose_ FILE *f = fopen(file, "re");
    char line[512], uidstr[16];
    unsigned lineno = 0;

    if (!f)
        return errno == ENOENT ? 0 : osbox_error(err, errno, "open %s", file);
    snprintf(uidstr, sizeof uidstr, "%u", (unsigned)uid);
    while (fgets(line, sizeof line, f)) {
        char *who, *start, *count, *end, *save = NULL;
        unsigned long long s, c;
        lineno++;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        who = strtok_r(line, ":", &save);
        start = strtok_r(NULL, ":", &save);
        count = strtok_r(NULL, ":\n", &save);
        if (!who || !start || !count)
            return osbox_error(err, 0, "%s:%u: expected NAME:START:COUNT", file, lineno);
        if (strcmp(who, name) && strcmp(who, uidstr))
            continue;
        errno = 0;
        s = strtoull(start, &end, 10);
        if (errno || *end)
            return osbox_error(err, 0, "%s:%u: bad start '%s'", file, lineno, start);
        c = strtoull(count, &end, 10);
        if (errno || *end || c == 0 || s + c > 0xffffffffULL)
            return osbox_error(err, 0, "%s:%u: bad count '%s'", file, lineno, count);
        *out = (struct osbox_idrange){ .start = s, .count = c };
        return 1;
    }
    return 0;
}

static int auto_range(const char *env, const char *dflt, const char *what,
                      struct osbox_idrange *out, struct osbox_err *err)
{
    const char *file = getenv(env) ? getenv(env) : dflt;
    const char *names[] = { "osbox", "root" };
    int rc = 0;

    for (size_t i = 0; i < 2 && rc == 0; i++)
        rc = osbox_subid_lookup(file, names[i], i ? 0 : (uid_t)-1, out, err);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        *out = (struct osbox_idrange){ .start = OSBOX_USERNS_DEFAULT_START,
                                       .count = OSBOX_USERNS_SIZE };
        return 0;
    }
    if (out->count < OSBOX_USERNS_SIZE)
        return osbox_error(err, 0,
                           "--userns=auto: the %s range %lu:%lu in %s is too small (%lu ids, "
                           "a container needs %lu)",
                           what, out->start, out->count, file, out->count, OSBOX_USERNS_SIZE);
    out->count = OSBOX_USERNS_SIZE;
    return 0;
}

int osbox_userns_auto_ranges(struct osbox_idrange *uids, struct osbox_idrange *gids,
                             struct osbox_err *err)
{
    if (auto_range("OSBOX_SUBUID", "/etc/subuid", "subuid", uids, err) < 0 ||
        auto_range("OSBOX_SUBGID", "/etc/subgid", "subgid", gids, err) < 0)
        return -1;
    return 0;
}
