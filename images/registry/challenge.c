/* WWW-Authenticate (RFC 7235) as registries send it:
 *   Bearer realm="https://auth.example/token",service="registry",scope="repository:x:pull"
 *   Basic realm="Registry Realm"
 * Only the first challenge is read; parameter values may be quoted (with
 * backslash escapes) or bare tokens. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "util.h"

void reg_challenge_clear(struct reg_challenge *c)
{
    free(c->scheme);
    free(c->realm);
    free(c->service);
    free(c->scope);
    free(c->error);
    memset(c, 0, sizeof *c);
}

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

int reg_challenge_parse(const char *h, struct reg_challenge *c)
{
    const char *p = skip_ws(h ? h : ""), *s = p;

    memset(c, 0, sizeof *c);
    while (*p && *p != ' ' && *p != '\t' && *p != ',')
        p++;
    if (p == s)
        return -1;
    c->scheme = strndup(s, (size_t)(p - s));
    if (!c->scheme)
        abort();
    for (char *q = c->scheme; *q; q++)
        *q = (char)tolower((unsigned char)*q);
    for (;;) {
        char key[32], *val;
        size_t kn = 0, vn = 0, cap;

        p = skip_ws(p);
        if (*p == ',')
            p = skip_ws(p + 1);
        if (!*p)
            break;
        s = p;
        while (*p && *p != '=' && *p != ' ' && *p != ',')
            p++;
        if (*p != '=') /* the next challenge's scheme: stop at the first */
            break;
        kn = (size_t)(p - s);
        if (kn >= sizeof key)
            kn = sizeof key - 1;
        memcpy(key, s, kn);
        key[kn] = '\0';
        p++;
        cap = strlen(p) + 1;
        val = malloc(cap);
        if (!val)
            abort();
        if (*p == '"') {
            for (p++; *p && *p != '"'; p++) {
                if (*p == '\\' && p[1])
                    p++;
                val[vn++] = *p;
            }
            if (*p != '"') {
                free(val);
                reg_challenge_clear(c);
                return -1;
            }
            p++;
        } else {
            while (*p && *p != ',' && *p != ' ')
                val[vn++] = *p++;
        }
        val[vn] = '\0';
        char **slot = !strcasecmp(key, "realm")     ? &c->realm
                      : !strcasecmp(key, "service") ? &c->service
                      : !strcasecmp(key, "scope")   ? &c->scope
                      : !strcasecmp(key, "error")   ? &c->error
                                                    : NULL;
        if (slot && !*slot)
            *slot = val;
        else
            free(val);
    }
    return 0;
}
