/* Image references: "name[:tag]" with Docker's grammar, normalised to "name:tag";
 * "name@sha256:<hex>" (an image pulled by digest) stays "name@sha256:<hex>". */
#include <string.h>

#include "internal.h"
#include "util.h"

static bool name_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-' || c == '/' || c == ':';
}

bool images_tag_ok(const char *t)
{
    size_t n = strlen(t);

    if (n == 0 || n > 128 || t[0] == '.' || t[0] == '-')
        return false;
    for (const char *p = t; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '.' || *p == '-'))
            return false;
    return true;
}

int images_ref_normalize(const char *ref, char **out, struct osbox_err *err)
{
    _cleanup_free_ char *name = NULL;
    const char *slash, *colon, *tag = "latest";
    size_t n;

    if (!ref || !*ref || strlen(ref) > 255 + 72)
        return osbox_error(err, 0, "invalid image reference '%s'", ref ? ref : "");
    const char *at = strchr(ref, '@');
    if (at) {
        /* By digest: the name part must be valid on its own, the tag is dropped. */
        _cleanup_free_ char *base = strndup(ref, (size_t)(at - ref)), *bn = NULL;
        if (!base)
            abort();
        if (!images_digest_valid(at + 1) || images_ref_normalize(base, &bn, err) < 0)
            return osbox_error(err, 0, "invalid image reference '%s'", ref);
        *strrchr(bn, ':') = '\0';
        *out = osbox_strdup_printf("%s@%s", bn, at + 1);
        return 0;
    }
    if (strlen(ref) > 255)
        return osbox_error(err, 0, "invalid image reference '%s'", ref);
    /* Docker Hub's implicit prefixes: "docker.io/library/busybox" is "busybox". */
    if (!strncmp(ref, "docker.io/library/", 18) && ref[18])
        ref += 18;
    else if (!strncmp(ref, "docker.io/", 10) && ref[10])
        ref += 10;
    /* A tag is a ':' after the last '/', so "localhost:5000/x" has no tag. */
    slash = strrchr(ref, '/');
    colon = strrchr(slash ? slash : ref, ':');
    n = colon ? (size_t)(colon - ref) : strlen(ref);
    if (colon)
        tag = colon + 1;
    name = strndup(ref, n);
    if (!name)
        abort();
    if (!*name || !images_tag_ok(tag) || name[0] == '/' || name[n - 1] == '/' || strstr(name, "//"))
        return osbox_error(err, 0, "invalid image reference '%s'", ref);
    for (const char *p = name; *p; p++) {
        if (!name_char_ok(*p))
            return osbox_error(err, 0, "invalid image reference '%s' (names are lowercase)", ref);
        /* ':' only in a registry host part (before the first '/'). */
        if (*p == ':' && (!strchr(p, '/')))
            return osbox_error(err, 0, "invalid image reference '%s'", ref);
    }
    if (name[0] == '.' || name[0] == '-' || name[0] == '_')
        return osbox_error(err, 0, "invalid image reference '%s'", ref);
    *out = osbox_strdup_printf("%s:%s", name, tag);
    return 0;
}
