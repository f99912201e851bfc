/* Answering a registry's 401 (WWW-Authenticate): Basic with the stored
 * credentials, or the Bearer token flow of the distribution spec: GET the
 * challenge's realm with its service and scope(s), with our credentials as
 * Basic if we have any (anonymous otherwise), and send the token it returns
 * as "Authorization: Bearer" from then on. A realm over plain HTTP must be on
 * loopback, like the registry rule. Secrets are wiped when replaced. */
#include <stdlib.h>
#include <string.h>

#include "dl_crypto.h"
#include "dl_curl.h"
#include "registry.h"
#include "util.h"

#define REG_MAX_TOKEN_RESPONSE (1 << 20)

char *reg_basic_header(const char *user, const char *pass)
{
    _cleanup_free_ char *plain = osbox_strdup_printf("%s:%s", user, pass);
    size_t n = strlen(plain);
    char *b64 = malloc(4 * ((n + 2) / 3) + 1), *h;

    if (!b64)
        abort();
    EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)plain, (int)n);
    h = osbox_strdup_printf("Authorization: Basic %s", b64);
    explicit_bzero(plain, n);
    explicit_bzero(b64, strlen(b64));
    free(b64);
    return h;
}

void reg_set_auth(struct reg_client *c, char *header)
{
    if (c->auth)
        explicit_bzero(c->auth, strlen(c->auth));
    free(c->auth);
    c->auth = header;
}

static void append_escaped(struct reg_client *c, char **url, const char *key, const char *val)
{
    char *esc = curl_easy_escape(c->curl, val, 0);
    char *n = osbox_strdup_printf("%s%c%s=%s", *url, strchr(*url, '?') ? '&' : '?', key, esc);
    curl_free(esc);
    free(*url);
    *url = n;
}

/* The Bearer flow: GET realm?service=S&scope=A&scope=B with our credentials. */
static int fetch_token(struct reg_client *c, const struct reg_challenge *ch, struct osbox_err *err)
{
    _cleanup_free_ char *url = NULL, *basic = NULL, *scopes = NULL;
    struct reg_resp resp = { .content_length = -1 };
    json_t *j;
    const char *tok;

    if (!ch->realm || strncmp(ch->realm, "http", 4))
        return osbox_error(err, 0, "%s: the registry asked for a token but named no realm", c->domain);
    /* The realm is another server: the same plain-HTTP rule holds for it. */
    if (!strncmp(ch->realm, "http://", 7)) {
        _cleanup_free_ char *host = osbox_xstrdup(ch->realm + 7);
        host[strcspn(host, "/?")] = '\0';
        if (!reg_host_is_loopback(host))
            return osbox_error(err, 0, "%s: refusing a token realm over plain HTTP (%s)",
                               c->domain, ch->realm);
    }
    url = osbox_xstrdup(ch->realm);
    if (ch->service)
        append_escaped(c, &url, "service", ch->service);
    if (ch->scope) {
        scopes = osbox_xstrdup(ch->scope);
        for (char *save = NULL, *s = strtok_r(scopes, " ", &save); s; s = strtok_r(NULL, " ", &save))
            append_escaped(c, &url, "scope", s);
    }
    if (c->user)
        basic = reg_basic_header(c->user, c->pass);
    if (reg_get_url(c, url, basic, REG_MAX_TOKEN_RESPONSE, &resp, err) < 0)
        return osbox_error_prefix(err, "%s: token server %s", c->domain, ch->realm);
    if (resp.status >= 500 || resp.status == 429) {
        osbox_error(err, 0, "%s: token server answered HTTP %ld", c->domain, resp.status);
        reg_resp_clear(&resp);
        return -1;
    }
    if (resp.status == 401 || resp.status == 403) {
        reg_resp_clear(&resp);
        if (c->user)
            return osbox_error(err, 0, "%s: the token server refused the credentials of '%s'",
                               c->domain, c->user);
        return 0; /* anonymous and refused: the caller reports the 401 */
    }
    if (resp.status != 200) {
        osbox_error(err, 0, "%s: token server answered HTTP %ld", c->domain, resp.status);
        reg_resp_clear(&resp);
        return -1;
    }
    j = json_loadb(resp.body ? resp.body : "", resp.len, 0, NULL);
    tok = json_string_value(json_object_get(j, "token"));
    if (!tok || !*tok)
        tok = json_string_value(json_object_get(j, "access_token"));
    if (!tok || !*tok) {
        json_decref(j);
        reg_resp_clear(&resp);
        return osbox_error(err, 0, "%s: the token server's answer has no token", c->domain);
    }
    reg_set_auth(c, osbox_strdup_printf("Authorization: Bearer %s", tok));
    free(c->token_scope);
    c->token_scope = ch->scope ? osbox_xstrdup(ch->scope) : NULL;
    if (resp.body)
        explicit_bzero(resp.body, resp.len);
    json_decref(j);
    reg_resp_clear(&resp);
    return 1;
}

/* Answer a 401: 1 when a new Authorization header is ready, 0 when we have
 * nothing better to offer, -1 on error. */
int reg_auth_answer(struct reg_client *c, const char *www_auth, struct osbox_err *err)
{
    struct reg_challenge ch;
    int rc = 0;

    if (reg_challenge_parse(www_auth, &ch) < 0)
        return 0;
    if (!strcmp(ch.scheme, "basic")) {
        c->basic = true;
        if (c->user && !(c->auth && !strncmp(c->auth, "Authorization: Basic", 20))) {
            reg_set_auth(c, reg_basic_header(c->user, c->pass));
            rc = 1;
        }
    } else if (!strcmp(ch.scheme, "bearer")) {
        rc = fetch_token(c, &ch, err);
    }
    reg_challenge_clear(&ch);
    return rc;
}
