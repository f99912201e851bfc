/* Mirrors and insecure registries from a registries.conf (Podman's format,
 * version 2), read from $OSBOX_REGISTRIES_CONF, else
 * /etc/containers/registries.conf. Only the part osbox uses is understood,
 * line by line (not a general TOML parser):
 *
 *   [[registry]]
 *   prefix = "docker.io"              # or location alone; a host[:port]
 *   location = "docker.io"
 *   insecure = false                  # true: plain HTTP allowed
 *   [[registry.mirror]]
 *   location = "127.0.0.1:5000"
 *   insecure = true
 *
 * Other keys and tables (unqualified-search-registries, [aliases] ...) are
 * ignored; prefixes with a path are ignored too (osbox matches hosts). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "util.h"

static const char *conf_path(void)
{
    const char *env = getenv("OSBOX_REGISTRIES_CONF");
    return env && *env ? env : "/etc/containers/registries.conf";
}

static char *trim(char *s)
{
    char *e;

    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        *--e = '\0';
    return s;
}

/* `"text"` -> text (in place); NULL if not a plain double-quoted string. */
static char *unquote(char *v)
{
    size_t n = strlen(v);

    if (n < 2 || v[0] != '"' || v[n - 1] != '"' || memchr(v + 1, '"', n - 2))
        return NULL;
    v[n - 1] = '\0';
    return v + 1;
}

void reg_endpoints_clear(struct reg_endpoints *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->host[i]);
    memset(e, 0, sizeof *e);
}

static void add(struct reg_endpoints *e, const char *host, bool insecure)
{
    if (e->n >= REG_MAX_ENDPOINTS || !*host)
        return;
    e->host[e->n] = osbox_xstrdup(host);
    e->insecure[e->n] = insecure;
    e->n++;
}

int reg_endpoints_for(const char *domain, struct reg_endpoints *out, struct osbox_err *err)
{
    const char *path = conf_path();
    FILE *f = fopen(path, "re");
    char line[1024], prefix[256] = "", location[256] = "";
    bool in_registry = false, in_mirror = false, insecure = false, mirror_insecure = false;
    struct reg_endpoints mirrors = { 0 };
    char mirror[256] = "";
    bool matched = false, main_insecure = false, moved = false;
    unsigned lineno = 0;

    memset(out, 0, sizeof *out);
    if (!f) {
        if (errno != ENOENT)
            return osbox_error(err, errno, "open %s", path);
        add(out, domain, false);
        return 0;
    }
    /* A [[registry]] table ends at the next table header or at EOF. */
#define FLUSH_MIRROR()                                                   \
    do {                                                                 \
        if (in_mirror && *mirror)                                        \
            add(&mirrors, mirror, mirror_insecure);                      \
        in_mirror = false;                                               \
        mirror[0] = '\0';                                                \
        mirror_insecure = false;                                         \
    } while (0)
#define FLUSH_REGISTRY()                                                 \
    do {                                                                 \
        FLUSH_MIRROR();                                                  \
        const char *key = *prefix ? prefix : location;                   \
        if (in_registry && !matched && !strcmp(key, domain)) {           \
            matched = true;                                              \
            main_insecure = insecure;                                    \
            for (size_t i = 0; i < mirrors.n; i++)                       \
                add(out, mirrors.host[i], mirrors.insecure[i]);          \
            if (*location && strcmp(location, domain)) {                 \
                add(out, location, insecure); /* the registry moved */   \
                moved = true;                                            \
            }                                                            \
        }                                                                \
        reg_endpoints_clear(&mirrors);                                   \
        in_registry = false;                                             \
        prefix[0] = location[0] = '\0';                                  \
        insecure = false;                                                \
    } while (0)
    while (fgets(line, sizeof line, f)) {
        char *s, *eq, *k, *v;

        lineno++;
        bool quoted = false;
        for (s = line; *s; s++) { /* a comment: '#' outside a string */
            if (*s == '"')
                quoted = !quoted;
            else if (*s == '#' && !quoted) {
                *s = '\0';
                break;
            }
        }
        s = trim(line);
        if (!*s)
            continue;
        if (!strcmp(s, "[[registry]]")) {
            FLUSH_REGISTRY();
            in_registry = true;
            continue;
        }
        if (!strcmp(s, "[[registry.mirror]]")) {
            FLUSH_MIRROR();
            in_mirror = in_registry;
            continue;
        }
        if (*s == '[') {
            FLUSH_REGISTRY();
            continue;
        }
        if (!in_registry || !(eq = strchr(s, '=')))
            continue;
        *eq = '\0';
        k = trim(s);
        v = trim(eq + 1);
        if (!strcmp(k, "insecure")) {
            bool b = !strcmp(v, "true");
            if (!b && strcmp(v, "false")) {
                fclose(f);
                reg_endpoints_clear(&mirrors);
                reg_endpoints_clear(out);
                return osbox_error(err, 0, "%s:%u: insecure must be true or false", path, lineno);
            }
            *(in_mirror ? &mirror_insecure : &insecure) = b;
        } else if (!strcmp(k, "location") || !strcmp(k, "prefix")) {
            char *q = unquote(v);
            if (!q) {
                fclose(f);
                reg_endpoints_clear(&mirrors);
                reg_endpoints_clear(out);
                return osbox_error(err, 0, "%s:%u: %s must be a double-quoted string", path,
                                   lineno, k);
            }
            char *dst = in_mirror ? mirror : !strcmp(k, "prefix") ? prefix : location;
            snprintf(dst, 256, "%s", q);
        }
    }
    FLUSH_REGISTRY();
#undef FLUSH_REGISTRY
#undef FLUSH_MIRROR
    fclose(f);
    /* The registry itself comes last, unless its table moved it elsewhere. */
    if (!moved)
        add(out, domain, main_insecure);
    return 0;
}
