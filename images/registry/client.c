/* HTTP to one registry through libcurl: the one place that talks to the network.
 *
 * One curl handle per registry is reused for every call, so the connection
 * stays open (curl_easy_reset keeps it). A call is retried with back-off on
 * 5xx, 429 and broken connections; a blob download resumes with a Range
 * request. A 401 is answered once per call (auth.c: Basic credentials or a
 * Bearer token).
 * Redirects are followed (at most REG_MAX_REDIRS, HTTP(S) only); curl drops
 * the Authorization header when a redirect leaves the host. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "dl_crypto.h"
#include "dl_curl.h"
#include "registry.h"
#include "util.h"

#define REG_MAX_REDIRS 8
#define REG_ATTEMPTS 4
#define REG_ERROR_BODY_MAX (64 << 10)

void reg_resp_clear(struct reg_resp *r)
{
    free(r->body);
    free(r->content_type);
    free(r->docker_digest);
    free(r->location);
    free(r->www_auth);
    free(r->range);
    memset(r, 0, sizeof *r);
    r->content_length = -1;
}

/* ---- one HTTP exchange ---- */

struct exchange {
    struct reg_resp *resp;
    const struct reg_sink *sink; /* for 2xx bodies, or NULL */
    size_t max_body;             /* memory cap for 2xx bodies */
    size_t cap;                  /* allocated bytes of resp->body */
    uint64_t range_from;         /* a Range was asked from this byte */
    bool rewound;
    bool overflow, sink_failed;
    const struct reg_body *body;
    uint64_t sent;
};

static void set_header(char **slot, const char *v, size_t n)
{
    while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
        n--;
    free(*slot);
    *slot = strndup(v, n);
    if (!*slot)
        abort();
}

static size_t on_header(char *buf, size_t size, size_t n, void *ctx)
{
    struct exchange *x = ctx;
    struct reg_resp *r = x->resp;
    size_t len = size * n;
    const char *colon;

    if (len > 5 && !strncmp(buf, "HTTP/", 5)) {
        /* A new response (after a redirect or a 100 Continue): start over. */
        const char *sp = memchr(buf, ' ', len);
        long st = sp ? strtol(sp + 1, NULL, 10) : 0;
        struct reg_resp fresh = { .content_length = -1 };
        free(r->body);
        free(r->content_type);
        free(r->docker_digest);
        free(r->location);
        free(r->www_auth);
        free(r->range);
        *r = fresh;
        r->status = st;
        x->cap = 0;
        return len;
    }
    colon = memchr(buf, ':', len);
    if (!colon)
        return len;
    size_t kn = (size_t)(colon - buf);
    const char *v = colon + 1;
    while (v < buf + len && *v == ' ')
        v++;
    size_t vn = (size_t)(buf + len - v);
#define IS(name) (kn == sizeof name - 1 && !strncasecmp(buf, name, kn))
    if (IS("content-type"))
        set_header(&r->content_type, v, vn);
    else if (IS("docker-content-digest"))
        set_header(&r->docker_digest, v, vn);
    else if (IS("location"))
        set_header(&r->location, v, vn);
    else if (IS("www-authenticate") && !r->www_auth)
        set_header(&r->www_auth, v, vn);
    else if (IS("range"))
        set_header(&r->range, v, vn);
    else if (IS("content-length"))
        r->content_length = strtoll(v, NULL, 10);
#undef IS
    return len;
}

static size_t on_body(char *buf, size_t size, size_t n, void *ctx)
{
    struct exchange *x = ctx;
    struct reg_resp *r = x->resp;
    size_t len = size * n;
    bool ok = r->status >= 200 && r->status < 300;

    if (ok && x->sink) {
        if (x->range_from && r->status == 200 && !x->rewound) {
            /* The server ignored our Range: take the whole blob again. */
            if (!x->sink->rewind(x->sink->ctx, 0)) {
                x->sink_failed = true;
                return 0;
            }
            x->rewound = true;
        }
        if (!x->sink->write(x->sink->ctx, buf, len)) {
            x->sink_failed = true;
            return 0;
        }
        return len;
    }
    size_t max = ok ? x->max_body : REG_ERROR_BODY_MAX;
    if (r->len + len > max) {
        if (ok) {
            x->overflow = true;
            return 0;
        }
        len = max - r->len; /* an error page: the start is enough */
        if (!len)
            return size * n;
    }
    if (r->len + len + 1 > x->cap) {
        size_t want = x->cap ? x->cap : 4096;
        while (want < r->len + len + 1)
            want *= 2;
        char *nb = realloc(r->body, want);
        if (!nb)
            abort();
        r->body = nb;
        x->cap = want;
    }
    memcpy(r->body + r->len, buf, len);
    r->len += len;
    r->body[r->len] = '\0';
    return size * n;
}

static size_t on_read(char *buf, size_t size, size_t n, void *ctx)
{
    struct exchange *x = ctx;
    const struct reg_body *b = x->body;
    size_t want = size * n;

    if (want > b->len - x->sent)
        want = (size_t)(b->len - x->sent);
    if (!want)
        return 0;
    ssize_t got = pread(b->fd, buf, want, (off_t)(b->offset + x->sent));
    if (got <= 0)
        return CURL_READFUNC_ABORT;
    x->sent += (uint64_t)got;
    return (size_t)got;
}

static char *url_for(const struct reg_client *c, const char *path)
{
    if (!strncmp(path, "http://", 7) || !strncmp(path, "https://", 8))
        return osbox_xstrdup(path);
    return osbox_strdup_printf("%s%s", c->base, path);
}

/* Perform one request; CURLE_OK or the curl error. Never retries. */
static CURLcode perform(struct reg_client *c, const char *method, const char *url,
                        const char *accept, const char *auth, const struct reg_body *body,
                        struct exchange *x, char *errbuf)
{
    CURL *h = c->curl;
    struct curl_slist *hdrs = NULL;
    _cleanup_free_ char *acc = NULL, *ct = NULL, *cr = NULL, *rg = NULL;
    CURLcode rc;

    curl_easy_reset(h);
    reg_resp_clear(x->resp);
    x->cap = 0;
    x->rewound = x->overflow = x->sink_failed = false;
    x->sent = 0;
    x->body = body;
    errbuf[0] = '\0';
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "osbox/0.1");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, (long)REG_MAX_REDIRS);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    /* A redirect from HTTPS never downgrades to plain HTTP. */
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR,
                     !strncmp(url, "https:", 6) ? "https" : "http,https");
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 15L);
    /* A stalled transfer (under 1 byte/s for 30 s) counts as broken. */
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 30L);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
    if (c->ca_file)
        curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
    if (accept) {
        acc = osbox_strdup_printf("Accept: %s", accept);
        hdrs = curl_slist_append(hdrs, acc);
    }
    if (auth)
        hdrs = curl_slist_append(hdrs, auth);
    hdrs = curl_slist_append(hdrs, "Expect:");
    if (x->sink && x->sink->received && x->sink->received(x->sink->ctx) > 0) {
        x->range_from = x->sink->received(x->sink->ctx);
        rg = osbox_strdup_printf("Range: bytes=%llu-", (unsigned long long)x->range_from);
        hdrs = curl_slist_append(hdrs, rg);
    } else {
        x->range_from = 0;
    }
    if (!strcmp(method, "HEAD")) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (body) {
        ct = osbox_strdup_printf("Content-Type: %s",
                                 body->content_type ? body->content_type : "application/octet-stream");
        hdrs = curl_slist_append(hdrs, ct);
        if (body->content_range) {
            cr = osbox_strdup_printf("Content-Range: %s", body->content_range);
            hdrs = curl_slist_append(hdrs, cr);
        }
        if (body->buf || body->len == 0) {
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, body->buf ? body->buf : "");
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len);
        } else {
            curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
            curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
            curl_easy_setopt(h, CURLOPT_READDATA, x);
            curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)body->len);
        }
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    } else if (strcmp(method, "GET")) {
        if (!strcmp(method, "POST")) {
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
        }
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    c->requests++;
    rc = curl_easy_perform(h);
    curl_slist_free_all(hdrs);
    return rc;
}

static const char *curl_why(CURLcode rc, const char *errbuf)
{
    return errbuf[0] ? errbuf : curl_easy_strerror(rc);
}

/* Errors worth another attempt: the connection broke, not "nothing there". */
static bool transient(CURLcode rc)
{
    return rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR || rc == CURLE_PARTIAL_FILE ||
           rc == CURLE_GOT_NOTHING || rc == CURLE_OPERATION_TIMEDOUT ||
           rc == CURLE_HTTP2 || rc == CURLE_HTTP2_STREAM;
}

static void backoff(int attempt)
{
    struct timespec ts = { 0, 100000000L << attempt }; /* 0.1, 0.2, 0.4 s */
    nanosleep(&ts, NULL);
}

/* GET an absolute URL (a token realm) into memory, retried like any call,
 * without answering a 401 (the caller judges the status). */
int reg_get_url(struct reg_client *c, const char *url, const char *auth, size_t max,
                struct reg_resp *resp, struct osbox_err *err)
{
    struct exchange x = { .resp = resp, .max_body = max };
    char errbuf[CURL_ERROR_SIZE];
    CURLcode rc;

    for (int attempt = 0;; attempt++) {
        rc = perform(c, "GET", url, "application/json", auth, NULL, &x, errbuf);
        if (x.overflow) {
            reg_resp_clear(resp);
            return osbox_error(err, 0, "the answer of %s is larger than %zu bytes", url, max);
        }
        if (rc == CURLE_OK && resp->status < 500 && resp->status != 429)
            return 0;
        if (attempt + 1 >= REG_ATTEMPTS || (rc != CURLE_OK && !transient(rc))) {
            if (rc == CURLE_OK)
                return 0;
            reg_resp_clear(resp);
            return osbox_error(err, 0, "%s", curl_why(rc, errbuf));
        }
        backoff(attempt);
    }
}

/* ---- the public calls ---- */

static int call_once_authenticated(struct reg_client *c, const char *method, const char *path,
                                   const char *accept, const struct reg_body *body,
                                   const struct reg_sink *sink, size_t max_body,
                                   struct reg_resp *resp, struct osbox_err *err);

int reg_call(struct reg_client *c, const char *method, const char *path, const char *accept,
             const struct reg_body *body, const struct reg_sink *sink, size_t max_body,
             struct reg_resp *resp, struct osbox_err *err)
{
    int rc = call_once_authenticated(c, method, path, accept, body, sink, max_body, resp, err);

    if (rc < 0)
        reg_resp_clear(resp); /* callers own the answer only when there is one */
    return rc;
}

static int call_once_authenticated(struct reg_client *c, const char *method, const char *path,
                                   const char *accept, const struct reg_body *body,
                                   const struct reg_sink *sink, size_t max_body,
                                   struct reg_resp *resp, struct osbox_err *err)
{
    _cleanup_free_ char *url = url_for(c, path);
    struct exchange x = { .resp = resp, .sink = sink, .max_body = max_body };
    char errbuf[CURL_ERROR_SIZE];
    bool answered_401 = false;
    CURLcode rc;

    for (int attempt = 0;;) {
        rc = perform(c, method, url, accept, c->auth, body, &x, errbuf);
        if (x.overflow)
            return osbox_error(err, 0, "%s: the answer to %s %s is larger than %zu bytes",
                               c->domain, method, path, max_body);
        if (x.sink_failed)
            return -1; /* the sink filled err */
        if (rc == CURLE_OK && resp->status == 401 && !answered_401) {
            answered_401 = true;
            int a = reg_auth_answer(c, resp->www_auth, err);
            if (a < 0)
                return -1;
            if (a > 0)
                continue;
            return 0;
        }
        bool retry = rc == CURLE_OK
                         ? (resp->status >= 500 || resp->status == 429)
                         : transient(rc);
        if (!retry || ++attempt >= REG_ATTEMPTS) {
            if (rc == CURLE_TOO_MANY_REDIRECTS)
                return osbox_error(err, 0, "%s: more than %d redirects for %s", c->domain,
                                   REG_MAX_REDIRS, path);
            if (rc != CURLE_OK)
                return osbox_error(err, 0, "%s: %s", c->domain, curl_why(rc, errbuf));
            return 0;
        }
        /* A partly sent upload starts over; a download resumes (Range). */
        backoff(attempt - 1);
    }
}

int reg_status_error(struct reg_client *c, const struct reg_resp *resp, const char *what,
                     struct osbox_err *err)
{
    json_t *j = resp->body ? json_loadb(resp->body, resp->len, 0, NULL) : NULL;
    json_t *e0 = json_array_get(json_object_get(j, "errors"), 0);
    const char *code = json_string_value(json_object_get(e0, "code"));
    const char *msg = json_string_value(json_object_get(e0, "message"));
    char buf[256], cbuf[64];

    if (!msg)
        msg = resp->status == 404 ? "not found" : "";
    snprintf(buf, sizeof buf, "%s", msg);
    snprintf(cbuf, sizeof cbuf, "%s", code ? code : "");
    code = code ? cbuf : NULL;
    json_decref(j);
    if (resp->status == 401) {
        if (c->user)
            return osbox_error(err, 0, "%s: the registry refused the credentials of '%s' (HTTP 401)",
                               what, c->user);
        return osbox_error(err, 0, "%s: authentication required (run 'osbox login %s')", what,
                           c->domain);
    }
    if (code)
        return osbox_error(err, 0, "%s: %s (%s, HTTP %ld)", what, buf, code, resp->status);
    return osbox_error(err, 0, "%s: %s%sHTTP %ld", what, buf, *buf ? " (" : "", resp->status);
}

/* GET /v2/ over one scheme: CURLE_OK and the status, or the transport error. */
static CURLcode ping(struct reg_client *c, const char *scheme, long *status, char *errbuf)
{
    _cleanup_free_ char *url = NULL;
    struct reg_resp resp = { .content_length = -1 };
    struct exchange x = { .resp = &resp, .max_body = REG_ERROR_BODY_MAX };
    CURLcode rc;

    free(c->base);
    c->base = osbox_strdup_printf("%s://%s", scheme, reg_api_host(c->domain));
    url = osbox_strdup_printf("%s/v2/", c->base);
    rc = perform(c, "GET", url, NULL, NULL, NULL, &x, errbuf);
    *status = resp.status;
    if (rc == CURLE_OK && resp.status == 401 && resp.www_auth) {
        struct reg_challenge ch;
        if (reg_challenge_parse(resp.www_auth, &ch) == 0) {
            c->basic = !strcmp(ch.scheme, "basic");
            reg_challenge_clear(&ch);
        }
    }
    reg_resp_clear(&resp);
    return rc;
}

int reg_client_open(struct reg_client *c, const char *domain, const char *user,
                    const char *pass, struct osbox_err *err)
{
    struct reg_endpoints e;
    bool insecure = false;

    if (reg_endpoints_for(domain, &e, err) < 0)
        return -1;
    for (size_t i = 0; i < e.n; i++)
        if (!strcmp(e.host[i], domain))
            insecure = e.insecure[i];
    reg_endpoints_clear(&e);
    return reg_client_open_host(c, domain, insecure, user, pass, err);
}

int reg_client_open_host(struct reg_client *c, const char *domain, bool insecure,
                         const char *user, const char *pass, struct osbox_err *err)
{
    char errbuf[CURL_ERROR_SIZE];
    long status = 0;
    CURLcode rc;

    memset(c, 0, sizeof *c);
    if (lazy_curl_load(err) < 0 || lazy_crypto_load(err) < 0)
        return -1;
    c->domain = osbox_xstrdup(domain);
    c->curl = curl_easy_init();
    if (!c->curl)
        return osbox_error(err, ENOMEM, "curl_easy_init");
    c->ca_file = reg_ca_file(domain);
    if (user) {
        c->user = osbox_xstrdup(user);
        c->pass = osbox_xstrdup(pass ? pass : "");
    } else if (reg_authfile_get(domain, &c->user, &c->pass, err) < 0) {
        reg_client_close(c);
        return -1;
    }
    /* Loopback registries may be plain HTTP (Docker's default for them), and
     * those registries.conf marks insecure. That
     * is tried first there: a TLS server answers it with a 400, and a plain
     * one spares us loading the CA bundle (tens of ms). Elsewhere HTTPS only;
     * a certificate that does not verify is an error, never a reason for HTTP. */
    rc = CURLE_COULDNT_CONNECT;
    if (insecure || reg_host_is_loopback(domain)) {
        rc = ping(c, "http", &status, errbuf);
        if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST) {
            osbox_error(err, 0, "cannot reach registry %s: %s", domain, curl_why(rc, errbuf));
            reg_client_close(c);
            return -1;
        }
    }
    if (rc != CURLE_OK || (status != 200 && status != 401))
        rc = ping(c, "https", &status, errbuf);
    if (rc != CURLE_OK) {
        osbox_error(err, 0, "cannot reach registry %s: %s", domain, curl_why(rc, errbuf));
        reg_client_close(c);
        return -1;
    }
    if (status != 200 && status != 401) {
        osbox_error(err, 0, "%s does not look like a registry: GET /v2/ answered HTTP %ld",
                    domain, status);
        reg_client_close(c);
        return -1;
    }
    return 0;
}

int reg_client_clone(const struct reg_client *src, struct reg_client *dst, struct osbox_err *err)
{
    memset(dst, 0, sizeof *dst);
    dst->curl = curl_easy_init();
    if (!dst->curl)
        return osbox_error(err, ENOMEM, "curl_easy_init");
    dst->domain = osbox_xstrdup(src->domain);
    dst->base = osbox_xstrdup(src->base);
    dst->user = src->user ? osbox_xstrdup(src->user) : NULL;
    dst->pass = src->pass ? osbox_xstrdup(src->pass) : NULL;
    dst->auth = src->auth ? osbox_xstrdup(src->auth) : NULL;
    dst->token_scope = src->token_scope ? osbox_xstrdup(src->token_scope) : NULL;
    dst->ca_file = src->ca_file ? osbox_xstrdup(src->ca_file) : NULL;
    dst->basic = src->basic;
    return 0;
}

void reg_client_close(struct reg_client *c)
{
    if (c->curl)
        curl_easy_cleanup(c->curl);
    if (c->pass)
        explicit_bzero(c->pass, strlen(c->pass));
    reg_set_auth(c, NULL);
    free(c->domain);
    free(c->base);
    free(c->user);
    free(c->pass);
    free(c->token_scope);
    free(c->ca_file);
    memset(c, 0, sizeof *c);
}
