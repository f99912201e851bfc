/* Distribution references, normalised as Docker does:
 *   alpine                      -> docker.io/library/alpine:latest
 *   user/app:1                  -> docker.io/user/app:1
 *   127.0.0.1:5000/x/y@sha256:… -> host 127.0.0.1:5000, path x/y, that digest
 * A first component is a registry host when it has a '.' or a ':' or is
 * "localhost"; there is no search list of registries (see images/README.md). */
#include <stdlib.h>
#include <string.h>

#include "images/internal.h"
#include "registry.h"
#include "util.h"

static bool alnum_lower(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One path component: [a-z0-9]+ joined by '.', '_', '__' or '-'s. */
static bool component_ok(const char *s, size_t n)
{
    if (n == 0 || !alnum_lower(s[0]) || !alnum_lower(s[n - 1]))
        return false;
    for (size_t i = 1; i < n; i++) {
        if (alnum_lower(s[i]))
            continue;
        if (s[i] == '-')
            continue;
        if ((s[i] == '.' || s[i] == '_') && alnum_lower(s[i - 1]))
            continue;
        if (s[i] == '_' && s[i - 1] == '_' && i >= 2 && alnum_lower(s[i - 2]))
            continue;
        return false;
    }
    return true;
}

static bool domain_ok(const char *s)
{
    if (!*s || *s == '-' || *s == '.' || *s == ':')
        return false;
    if (*s == '[') /* an IPv6 literal with brackets */
        return strchr(s, ']') != NULL;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '-' || *p == ':'))
            return false;
    const char *colon = strchr(s, ':');
    if (colon) {
        if (!colon[1] || strlen(colon + 1) > 5)
            return false;
        for (const char *p = colon + 1; *p; p++)
            if (*p < '0' || *p > '9')
                return false;
    }
    return true;
}

void reg_ref_clear(struct reg_ref *r)
{
    free(r->domain);
    free(r->path);
    free(r->tag);
    free(r->digest);
    memset(r, 0, sizeof *r);
}

static int bad(struct reg_ref *r, struct osbox_err *err, const char *s, const char *why)
{
    reg_ref_clear(r);
    return osbox_error(err, 0, "invalid reference '%s': %s", s, why);
}

int reg_ref_parse(const char *s, struct reg_ref *r, struct osbox_err *err)
{
    _cleanup_free_ char *rest = NULL;
    char *at, *slash, *colon, *name;

    memset(r, 0, sizeof *r);
    if (!s || !*s)
        return bad(r, err, "", "empty");
    if (strlen(s) > 512)
        return bad(r, err, "(too long)", "longer than 512 characters");
    rest = osbox_xstrdup(s);
    at = strchr(rest, '@');
    if (at) {
        *at = '\0';
        if (!images_digest_valid(at + 1))
            return bad(r, err, s, "a digest is sha256: and 64 lowercase hex digits");
        r->digest = osbox_xstrdup(at + 1);
    }
    /* The tag is a ':' after the last '/' ("host:5000/x" has none). */
    slash = strrchr(rest, '/');
    colon = strrchr(slash ? slash : rest, ':');
    if (colon) {
        *colon = '\0';
        if (!images_tag_ok(colon + 1))
            return bad(r, err, s, "a tag is up to 128 of [A-Za-z0-9_.-], not starting with . or -");
        r->tag = osbox_xstrdup(colon + 1);
    } else if (!r->digest) {
        r->tag = osbox_xstrdup("latest");
    }
    name = rest;
    slash = strchr(name, '/');
    if (slash && (memchr(name, '.', (size_t)(slash - name)) ||
                  memchr(name, ':', (size_t)(slash - name)) ||
                  (slash - name == 9 && !strncmp(name, "localhost", 9)))) {
        *slash = '\0';
        if (!domain_ok(name))
            return bad(r, err, s, "the registry host is not a valid host[:port]");
        r->domain = osbox_xstrdup(name);
        name = slash + 1;
    } else {
        r->domain = osbox_xstrdup("docker.io");
    }
    if (!strcmp(r->domain, "index.docker.io")) {
        free(r->domain);
        r->domain = osbox_xstrdup("docker.io");
    }
    if (!*name)
        return bad(r, err, s, "no repository name");
    for (const char *p = name;;) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (!component_ok(p, n)) {
            for (size_t i = 0; i < n; i++)
                if (p[i] >= 'A' && p[i] <= 'Z')
                    return bad(r, err, s, "repository names must be lowercase");
            return bad(r, err, s, "repository name components are [a-z0-9] joined by . _ __ or -");
        }
        if (!e)
            break;
        p = e + 1;
    }
    if (!strcmp(r->domain, "docker.io") && !strchr(name, '/'))
        r->path = osbox_strdup_printf("library/%s", name);
    else
        r->path = osbox_xstrdup(name);
    if (strlen(r->domain) + strlen(r->path) + 1 > 255)
        return bad(r, err, s, "the name is longer than 255 characters");
    return 0;
}

char *reg_ref_string(const struct reg_ref *r)
{
    if (r->tag)
        return osbox_strdup_printf("%s/%s:%s", r->domain, r->path, r->tag);
    return osbox_strdup_printf("%s/%s@%s", r->domain, r->path, r->digest ? r->digest : "");
}

int reg_ref_store_name(const struct reg_ref *r, char **out, struct osbox_err *err)
{
    _cleanup_free_ char *full = NULL;

    if (r->digest)
        full = osbox_strdup_printf("%s/%s@%s", r->domain, r->path, r->digest);
    else
        full = reg_ref_string(r);
    return images_ref_normalize(full, out, err);
}
