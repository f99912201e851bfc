/* Registry credentials in the auth.json layout Podman, skopeo and Docker share:
 *   {"auths": {"HOST[:PORT]": {"auth": base64("user:password")}}}
 * The file is written 0600 (temp + rename) and its secrets are never printed;
 * entries for other registries and other keys are kept as they were. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dl_crypto.h"
#include "registry.h"
#include "util.h"

char *reg_authfile_path(void)
{
    const char *env = getenv("REGISTRY_AUTH_FILE"), *xdg = getenv("XDG_RUNTIME_DIR");

    if (env && *env)
        return osbox_xstrdup(env);
    if (xdg && *xdg)
        return osbox_strdup_printf("%s/containers/auth.json", xdg);
    return osbox_strdup_printf("/run/containers/%u/auth.json", (unsigned)getuid());
}

/* The "auths" keys a domain may be filed under (Docker writes docker.io as
 * its old index URL). */
static const char *const *domain_keys(const char *domain, const char *buf[3])
{
    buf[0] = domain;
    buf[1] = !strcmp(domain, "docker.io") ? "https://index.docker.io/v1/" : NULL;
    buf[2] = NULL;
    return buf;
}

static int load(const char *path, json_t **out, struct osbox_err *err)
{
    json_error_t jerr;

    *out = json_load_file(path, 0, &jerr);
    if (!*out) {
        if (access(path, F_OK) < 0 && errno == ENOENT)
            return 1;
        return osbox_error(err, 0, "%s: malformed JSON: %s (line %d)", path, jerr.text, jerr.line);
    }
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return osbox_error(err, 0, "%s: not a JSON object", path);
    }
    return 0;
}

static int decode(const char *path, const char *b64, char **user, char **pass,
                  struct osbox_err *err)
{
    size_t n = strlen(b64);
    _cleanup_free_ unsigned char *raw = malloc(n + 4);
    char *colon;
    int len;

    if (!raw)
        abort();
    if (lazy_crypto_load(err) < 0)
        return -1;
    len = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)n);
    if (len < 0)
        return osbox_error(err, 0, "%s: an \"auth\" value is not base64", path);
    /* EVP_DecodeBlock counts the padding as zero bytes. */
    while (n > 0 && b64[n - 1] == '=' && len > 0) {
        n--;
        len--;
    }
    raw[len] = '\0';
    colon = strchr((char *)raw, ':');
    if (!colon)
        return osbox_error(err, 0, "%s: an \"auth\" value is not user:password", path);
    *colon = '\0';
    *user = osbox_xstrdup((char *)raw);
    *pass = osbox_xstrdup(colon + 1);
    explicit_bzero(raw, (size_t)len);
    return 0;
}

static int lookup_in(const char *path, const char *domain, char **user, char **pass,
                     struct osbox_err *err)
{
    json_t *root = NULL;
    const char *keys[3];
    int rc = load(path, &root, err);

    if (rc != 0)
        return rc;
    rc = 1;
    for (const char *const *k = domain_keys(domain, keys); *k && rc == 1; k++) {
        json_t *e = json_object_get(json_object_get(root, "auths"), *k);
        const char *b64 = json_string_value(json_object_get(e, "auth"));
        if (b64 && *b64)
            rc = decode(path, b64, user, pass, err);
    }
    json_decref(root);
    return rc;
}

int reg_authfile_get(const char *domain, char **user, char **pass, struct osbox_err *err)
{
    _cleanup_free_ char *path = reg_authfile_path(), *docker = NULL;
    const char *home = getenv("HOME");
    int rc = lookup_in(path, domain, user, pass, err);

    if (rc != 1 || getenv("REGISTRY_AUTH_FILE") || !home || !*home)
        return rc;
    docker = osbox_strdup_printf("%s/.docker/config.json", home);
    return lookup_in(docker, domain, user, pass, err);
}

static int save(const char *path, json_t *root, struct osbox_err *err)
{
    _cleanup_free_ char *dir = osbox_xstrdup(path), *text = NULL;
    char *slash = strrchr(dir, '/');

    if (slash && slash != dir) {
        *slash = '\0';
        if (osbox_mkdir_p(dir, 0700, err) < 0)
            return -1;
    }
    text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
    if (!text)
        abort();
    int rc = osbox_write_file_atomic(path, text, strlen(text), 0600, err);
    explicit_bzero(text, strlen(text));
    return rc;
}

int reg_authfile_set(const char *domain, const char *user, const char *pass,
                     struct osbox_err *err)
{
    _cleanup_free_ char *path = reg_authfile_path();
    _cleanup_free_ char *plain = osbox_strdup_printf("%s:%s", user, pass);
    size_t n = strlen(plain);
    _cleanup_free_ unsigned char *b64 = malloc(4 * ((n + 2) / 3) + 1);
    json_t *root = NULL, *auths;
    int rc;

    if (!b64)
        abort();
    if (lazy_crypto_load(err) < 0)
        return -1;
    rc = load(path, &root, err);
    if (rc < 0)
        return -1;
    if (rc == 1)
        root = json_object();
    auths = json_object_get(root, "auths");
    if (!json_is_object(auths)) {
        auths = json_object();
        json_object_set_new(root, "auths", auths);
    }
    EVP_EncodeBlock(b64, (const unsigned char *)plain, (int)n);
    json_object_set_new(auths, domain, json_pack("{s:s}", "auth", (char *)b64));
    explicit_bzero(plain, n);
    explicit_bzero(b64, strlen((char *)b64));
    rc = save(path, root, err);
    json_decref(root);
    return rc;
}

int reg_authfile_remove(const char *domain, struct osbox_err *err)
{
    _cleanup_free_ char *path = reg_authfile_path();
    json_t *root = NULL, *auths;
    const char *keys[3];
    int rc = load(path, &root, err), removed = 0;

    if (rc != 0)
        return rc;
    auths = json_object_get(root, "auths");
    for (const char *const *k = domain_keys(domain, keys); *k; k++)
        if (json_object_del(auths, *k) == 0)
            removed = 1;
    rc = removed ? save(path, root, err) : 1;
    json_decref(root);
    return rc;
}
