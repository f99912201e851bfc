/* Choosing one manifest from an OCI index or a Docker manifest list: the
 * entry whose platform matches os and architecture (and the variant, when one
 * is asked for; arm64's implicit variant is v8). */
#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "util.h"

static void copy_part(char *dst, size_t n, const char *s, size_t len)
{
    if (len >= n)
        len = n - 1;
    memcpy(dst, s, len);
    dst[len] = '\0';
}

int reg_platform_parse(const char *s, struct reg_platform *p, struct osbox_err *err)
{
    memset(p, 0, sizeof *p);
    if (!s) {
        strcpy(p->os, "linux");
#if defined(__x86_64__)
        strcpy(p->arch, "amd64");
#elif defined(__aarch64__)
        strcpy(p->arch, "arm64");
#else
        strcpy(p->arch, "unknown");
#endif
        return 0;
    }
    const char *a = strchr(s, '/'), *v = a ? strchr(a + 1, '/') : NULL;
    if (!a || a == s || !a[1] || a[1] == '/' || (v && (!v[1] || strchr(v + 1, '/'))) ||
        (size_t)(a - s) >= sizeof p->os ||
        (v ? (size_t)(v - a - 1) : strlen(a + 1)) >= sizeof p->arch ||
        (v && strlen(v + 1) >= sizeof p->variant))
        return osbox_error(err, 0, "invalid platform '%s' (want OS/ARCH[/VARIANT], e.g. linux/amd64)", s);
    copy_part(p->os, sizeof p->os, s, (size_t)(a - s));
    copy_part(p->arch, sizeof p->arch, a + 1, v ? (size_t)(v - a - 1) : strlen(a + 1));
    if (v)
        copy_part(p->variant, sizeof p->variant, v + 1, strlen(v + 1));
    return 0;
}

static bool variant_matches(const struct reg_platform *want, const char *arch, const char *have)
{
    if (!want->variant[0])
        return true;
    if (!have || !*have)
        return !strcmp(arch, "arm64") && !strcmp(want->variant, "v8");
    return !strcmp(want->variant, have);
}

json_t *reg_platform_select(json_t *index, const struct reg_platform *want, char **have)
{
    json_t *manifests = json_object_get(index, "manifests"), *m, *hit = NULL;
    size_t i;

    *have = NULL;
    json_array_foreach(manifests, i, m) {
        json_t *pl = json_object_get(m, "platform");
        const char *os = json_string_value(json_object_get(pl, "os"));
        const char *arch = json_string_value(json_object_get(pl, "architecture"));
        const char *var = json_string_value(json_object_get(pl, "variant"));

        if (!os || !arch)
            continue; /* attestations and other artifacts have no platform */
        if (!hit && !strcmp(os, want->os) && !strcmp(arch, want->arch) &&
            variant_matches(want, arch, var))
            hit = m;
        char *n = osbox_strdup_printf("%s%s%s/%s%s%s", *have ? *have : "", *have ? ", " : "", os,
                                      arch, var ? "/" : "", var ? var : "");
        free(*have);
        *have = n;
    }
    return hit;
}
