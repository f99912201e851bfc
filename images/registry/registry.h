/* The client side of the OCI distribution spec, private to images/: what
 * `osbox pull`, `push` and `login` are made of. images.h has the public entry
 * points (images_pull, images_push, images_login ...); this header is the
 * seam between the files below, one concern each:
 *
 *   ref_parse.c  "alpine" -> docker.io/library/alpine:latest (Docker's rules)
 *   hosts.c      which hosts speak plain HTTP, API host of docker.io, CA files
 *   conf.c       mirrors and insecure registries from registries.conf
 *   authfile.c   auth.json (Podman/Docker "auths" layout), 0600
 *   challenge.c  WWW-Authenticate parsing
 *   client.c     libcurl transport: one connection per registry, retries,
 *                redirects, resumed downloads
 *   auth.c       answering a 401: Basic, or the Bearer token flow
 *   platform.c   choosing a manifest from an index / manifest list
 *   fetch.c      manifests and blobs, each verified against digest and size
 *   fetch_pool.c layers downloaded and unpacked on a few threads, handed over in order
 *   pull.c       images_pull(): manifest -> config -> layers -> store
 *   upload.c     blob uploads: existence check, mount, monolithic or chunked
 *   push.c       images_push(): blobs, then the manifest
 *   login.c      images_login() / images_logout() */
#ifndef OSBOX_IMAGES_REGISTRY_H
#define OSBOX_IMAGES_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "images/internal.h"

/* Manifests and indexes larger than this are refused before they are read. */
#define REG_MAX_MANIFEST (4 << 20)
/* Image configs larger than this are refused. */
#define REG_MAX_CONFIG (8 << 20)

#define REG_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define REG_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define REG_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define REG_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"

/* ---- ref_parse.c ---- */
struct reg_ref {
    char *domain; /* "docker.io", "127.0.0.1:5000", "localhost" */
    char *path;   /* "library/alpine" */
    char *tag;    /* "latest"; NULL when only a digest was given */
    char *digest; /* "sha256:<hex>" or NULL */
};
/* Parse a reference the way Docker normalises it: a first component with a
 * '.' or ':' or equal to "localhost" is a registry host, else docker.io; a
 * one-component docker.io path gets "library/"; no tag and no digest means
 * ":latest". Fails with "invalid reference 'X': why". */
int reg_ref_parse(const char *s, struct reg_ref *r, struct osbox_err *err);
void reg_ref_clear(struct reg_ref *r);
/* "domain/path:tag" or "domain/path@digest" (tag wins when both are given). */
char *reg_ref_string(const struct reg_ref *r);
/* The name the store files the image under (images_ref_normalize of the full
 * reference: docker.io/library/alpine:latest is "alpine:latest"). */
int reg_ref_store_name(const struct reg_ref *r, char **out, struct osbox_err *err);

/* ---- hosts.c ---- */
/* Loopback hosts (localhost, 127.0.0.0/8, ::1) are reachable over plain
 * HTTP, as Docker treats them as insecure registries by default. */
bool reg_host_is_loopback(const char *domain);
/* The host the API lives on: "registry-1.docker.io" for docker.io. */
const char *reg_api_host(const char *domain);
/* A per-registry CA (certs.d/HOST/ca.crt), malloc'd, or NULL. */
char *reg_ca_file(const char *domain);

/* ---- conf.c ---- */
#define REG_MAX_ENDPOINTS 8
/* Where to pull domain's images from, in order: its mirrors, then the
 * registry itself (or where registries.conf moved it); insecure[i] allows
 * plain HTTP to host[i]. Without a config file: just domain. */
struct reg_endpoints {
    char *host[REG_MAX_ENDPOINTS];
    bool insecure[REG_MAX_ENDPOINTS];
    size_t n;
};
int reg_endpoints_for(const char *domain, struct reg_endpoints *out, struct osbox_err *err);
void reg_endpoints_clear(struct reg_endpoints *e);

/* ---- authfile.c ---- */
/* $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json, else
 * /run/containers/<uid>/auth.json. */
char *reg_authfile_path(void);
/* 0 and *user, *pass (malloc'd) when the file has credentials for domain;
 * 1 when it has none; -1 on a malformed file. Falls back to
 * ~/.docker/config.json for reading, as Podman does. */
int reg_authfile_get(const char *domain, char **user, char **pass, struct osbox_err *err);
int reg_authfile_set(const char *domain, const char *user, const char *pass,
                     struct osbox_err *err);
/* 0 removed, 1 there was nothing to remove. */
int reg_authfile_remove(const char *domain, struct osbox_err *err);

/* ---- challenge.c ---- */
struct reg_challenge {
    char *scheme; /* "basic" or "bearer" (lowercased) */
    char *realm, *service, *scope, *error;
};
/* Parse the first challenge of a WWW-Authenticate value. -1 if unparseable. */
int reg_challenge_parse(const char *header, struct reg_challenge *c);
void reg_challenge_clear(struct reg_challenge *c);

/* ---- client.c ---- */
/* Where a response body goes: to memory (capped), or to a callback (blobs). */
struct reg_sink {
    /* Called with body bytes of a 2xx answer; returns false to abort. */
    bool (*write)(void *ctx, const char *buf, size_t n);
    /* A retry restarts at byte `from` (0: start over). false: cannot. */
    bool (*rewind)(void *ctx, uint64_t from);
    /* Bytes received so far (for a Range request when retrying). */
    uint64_t (*received)(void *ctx);
    void *ctx;
};
/* What to send: nothing, a memory buffer, or len bytes of fd from offset. */
struct reg_body {
    const void *buf;
    int fd;
    uint64_t offset, len;
    const char *content_type;
    const char *content_range; /* "start-end" for a chunked upload, or NULL */
};
struct reg_resp {
    long status;
    char *body; /* memory sink / error answers; NUL-terminated */
    size_t len;
    char *content_type, *docker_digest, *location, *www_auth, *range;
    int64_t content_length; /* -1 if none */
};
void reg_resp_clear(struct reg_resp *r);

struct reg_client {
    void *curl;            /* CURL *, reused: keeps the connection alive */
    char *domain;          /* as the reference names it */
    char *base;            /* "https://host:port" or "http://..." once pinged */
    char *user, *pass;     /* from auth.json or login; never printed */
    char *auth;            /* current "Authorization: ..." header */
    char *token_scope;     /* the scope auth was obtained for */
    bool basic;            /* the registry asked for Basic */
    char *ca_file;
    unsigned requests;     /* HTTP requests made, for tests and the bench */
    const bool *cancel;    /* set (atomically) to abandon a download in flight */
};
/* Find the scheme with a GET /v2/: HTTPS, or for loopback hosts and those
 * registries.conf marks insecure plain HTTP first. Credentials come from
 * auth.json unless user is given. */
int reg_client_open(struct reg_client *c, const char *domain, const char *user,
                    const char *pass, struct osbox_err *err);
/* The same for a host known to be insecure (a mirror marked so). */
int reg_client_open_host(struct reg_client *c, const char *domain, bool insecure,
                         const char *user, const char *pass, struct osbox_err *err);
void reg_client_close(struct reg_client *c);
/* A second connection to the same registry with the same credentials and
 * token, for another thread (no ping). */
int reg_client_clone(const struct reg_client *src, struct reg_client *dst, struct osbox_err *err);
/* One API call: method on base + path (or an absolute URL from a Location),
 * accept (may be NULL), body (may be NULL). A 2xx body goes to sink if given,
 * else to memory up to max_body bytes. 401s are answered with credentials or
 * a token (scope from the challenge) once; 5xx, 429 and broken connections
 * are retried with back-off, resuming a sink with a Range request. Fails on
 * transport errors only: the caller judges resp->status. */
int reg_call(struct reg_client *c, const char *method, const char *path, const char *accept,
             const struct reg_body *body, const struct reg_sink *sink, size_t max_body,
             struct reg_resp *resp, struct osbox_err *err);
/* "HOST: what the registry said (CODE)" from a non-2xx answer. */
int reg_status_error(struct reg_client *c, const struct reg_resp *resp, const char *what,
                     struct osbox_err *err);

/* GET an absolute URL into memory (at most max bytes), retried on 5xx and
 * broken connections, a 401 not answered; auth is a whole header or NULL. */
int reg_get_url(struct reg_client *c, const char *url, const char *auth, size_t max,
                struct reg_resp *resp, struct osbox_err *err);

/* ---- auth.c ---- */
/* Answer a 401's WWW-Authenticate: 1 when c->auth is new and the request
 * should be sent again, 0 when there is nothing better to offer, -1 on error. */
int reg_auth_answer(struct reg_client *c, const char *www_auth, struct osbox_err *err);
/* "Authorization: Basic base64(user:pass)" (malloc'd). */
char *reg_basic_header(const char *user, const char *pass);
/* Replace c->auth (the old value is wiped); header may be NULL. */
void reg_set_auth(struct reg_client *c, char *header);

/* ---- platform.c ---- */
struct reg_platform {
    char os[32], arch[32], variant[32];
};
/* "linux/amd64[/variant]"; NULL means this machine. */
int reg_platform_parse(const char *s, struct reg_platform *p, struct osbox_err *err);
/* The manifests[] entry of an index for p, or NULL; *have lists what there is. */
json_t *reg_platform_select(json_t *index, const struct reg_platform *p, char **have);

/* ---- fetch.c ---- */
/* GET a manifest by tag or digest: media type checked, size capped, digest
 * computed (and compared when ref is a digest, or with Docker-Content-Digest). */
int reg_fetch_manifest(struct reg_client *c, const char *repo, const char *ref, char **body,
                       size_t *len, char **media_type, char digest[72], struct osbox_err *err);
/* GET a small blob (config) into memory, verified. */
int reg_fetch_blob_buf(struct reg_client *c, const char *repo, const struct images_descriptor *d,
                       size_t max, char **out, size_t *len, struct osbox_err *err);
/* GET a blob into the open file fd, verified (digest + size); resumed with
 * Range after a broken connection. */
int reg_fetch_blob_fd(struct reg_client *c, const char *repo, const struct images_descriptor *d,
                      int fd, struct osbox_err *err);

/* ---- fetch_pool.c ---- */
/* One blob to download into fd (fd < 0: nothing to do), then, if layer_dir
 * is set, to unpack there from blob_path, checked against diff_id. */
struct reg_fetch_job {
    const struct images_descriptor *d;
    int fd;
    char *blob_path, *layer_dir;
    const char *diff_id;
    int state; /* 0 waiting, 1 downloading, 2 done, -1 failed (err says why) */
    struct osbox_err err;
};
struct reg_fetch_pool;
/* Start up to `workers` threads, each with its own connection (a clone of c),
 * downloading the jobs in order. */
int reg_pool_start(struct reg_fetch_pool **out, struct reg_client *c, const char *repo,
                   struct reg_fetch_job *jobs, size_t n, unsigned workers, struct osbox_err *err);
/* Wait for job i: 0 when its blob is complete and verified, else -1 and its error. */
int reg_pool_wait(struct reg_fetch_pool *p, size_t i, struct osbox_err *err);
/* Start no more jobs, wait for the running ones, free everything (NULL is fine). */
void reg_pool_stop(struct reg_fetch_pool *p);

/* ---- upload.c ---- */
enum reg_upload_outcome { REG_BLOB_PRESENT, REG_BLOB_MOUNTED, REG_BLOB_SENT };
/* Make the registry hold blob d of repo, reading it from path: nothing if it
 * is there (HEAD), a cross-repository mount from mount_from if given, else an
 * upload (chunked when larger than chunk bytes, 0: always monolithic). */
int reg_upload_blob(struct reg_client *c, const char *repo, const struct images_descriptor *d,
                    const char *path, const char *mount_from, uint64_t chunk,
                    enum reg_upload_outcome *outcome, struct osbox_err *err);

#endif
