/* images_login() / images_logout(): credentials are checked against the
 * registry (GET /v2/ answered through Basic or the token flow) before they
 * are written to auth.json; a refused login writes nothing. */
#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "util.h"

/* "https://host:port/whatever" or "host:port" -> "host:port"; Docker Hub's
 * aliases -> "docker.io". */
static char *registry_key(const char *s, struct osbox_err *err)
{
    char *k;

    if (!strncmp(s, "https://", 8))
        s += 8;
    else if (!strncmp(s, "http://", 7))
        s += 7;
    k = strndup(s, strcspn(s, "/"));
    if (!k)
        abort();
    if (!*k || strchr(k, '@') || strchr(k, ' ')) {
        free(k);
        osbox_error(err, 0, "invalid registry '%s' (want HOST[:PORT])", s);
        err->exit_status = OSBOX_EXIT_USAGE;
        return NULL;
    }
    if (!strcmp(k, "index.docker.io") || !strcmp(k, "registry-1.docker.io")) {
        free(k);
        k = osbox_xstrdup("docker.io");
    }
    return k;
}

int images_login(const char *registry, const char *user, const char *password, char **path_out,
                 struct osbox_err *err)
{
    _cleanup_free_ char *key = registry_key(registry, err);
    struct reg_client c;
    struct reg_resp resp = { .content_length = -1 };
    int rc = -1;

    if (!key)
        return -1;
    if (!user || !*user || !password)
        return osbox_error(err, 0, "login %s: a user name and a password are needed", key);
    if (reg_client_open(&c, key, user, password, err) < 0)
        return -1;
    if (reg_call(&c, "GET", "/v2/", NULL, NULL, NULL, 1 << 16, &resp, err) < 0) {
        osbox_error_prefix(err, "login %s", key);
        goto out;
    }
    if (resp.status != 200) {
        if (resp.status == 401)
            osbox_error(err, 0, "login %s: the registry refused the credentials of '%s'", key, user);
        else
            reg_status_error(&c, &resp, key, err);
        goto out;
    }
    if (reg_authfile_set(key, user, password, err) < 0)
        goto out;
    *path_out = reg_authfile_path();
    rc = 0;
out:
    reg_resp_clear(&resp);
    reg_client_close(&c);
    return rc;
}

int images_logout(const char *registry, struct osbox_err *err)
{
    _cleanup_free_ char *key = registry_key(registry, err);
    int rc;

    if (!key)
        return -1;
    rc = reg_authfile_remove(key, err);
    if (rc == 1)
        return osbox_error(err, 0, "not logged in to %s", key);
    return rc;
}
