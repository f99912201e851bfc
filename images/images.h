/* The osbox image store: what the rest of osbox may ask of images.
 *
 * Layout under $OSBOX_ROOT/images (see images/README.md):
 *   blobs/sha256/<hex>        content-addressed blobs (manifests, configs, layer tars)
 *   layers/<diff_id hex>/     unpacked layers, shared between images
 *   index.json                names ("name:tag") -> manifest digest
 * The runtime never reads the store; `osbox run` resolves a reference here and
 * hands the runtime layer directories and the image config. */
#ifndef OSBOX_IMAGES_H
#define OSBOX_IMAGES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "osbox_err.h"

struct json_t; /* jansson */

struct osbox_image {
    char *ref;            /* normalised reference, e.g. "busybox:latest" */
    char *digest;         /* manifest digest, "sha256:<hex>" */
    char *config_digest;  /* image id, "sha256:<hex>" */
    char **layers;        /* absolute paths of unpacked layer dirs, bottom first; NULL-terminated */
    /* The image config (OCI image-spec "config" object); any may be NULL. */
    char **env;           /* "K=V" */
    char **entrypoint;
    char **cmd;
    char *workdir;
    char *user;
    char **exposed_ports; /* "80/tcp" */
    char **volumes;       /* VOLUME paths ("/data"): anonymous volumes at run */
    struct images_healthcheck *healthcheck; /* HEALTHCHECK; NULL when the config has none */
};

/* The config's "Healthcheck" as Docker writes it: Test is ["CMD", arg...],
 * ["CMD-SHELL", command] or ["NONE"] (empty: inherit); durations in ns,
 * 0 for the default. */
struct images_healthcheck {
    char **test;
    int64_t interval_ns, timeout_ns, start_period_ns;
    int retries;
};

/* Look up NAME[:TAG], a full "sha256:<hex>" digest or a unique id prefix.
 * Fails with a clear message when the image is unknown or a layer vanished. */
int images_resolve(const char *ref, struct osbox_image **out, struct osbox_err *err);
void images_image_free(struct osbox_image *img);

/* Progress of an import, reported to a callback the CLI installs. */
struct images_progress {
    const char *phase;   /* "copy" (verifying a blob) or "unpack" (a layer) */
    const char *digest;  /* the layer's blob digest */
    unsigned layer, layers; /* 1-based layer number and count (0 if unknown) */
    unsigned long long done, total; /* bytes of the blob; total 0 if unknown */
};
typedef void (*images_progress_fn)(void *ctx, const struct images_progress *p);
void images_set_progress(images_progress_fn fn, void *ctx);

/* Import every image of an OCI image layout directory; name (NAME[:TAG]) overrides
 * the layout's own. *loaded receives the names now in the store (strv). */
int images_load_oci_dir(const char *dir, const char *name, char ***loaded, struct osbox_err *err);
/* Import a `docker save` archive or an OCI archive (tar, optionally compressed). */
int images_load_archive(const char *file, const char *name, char ***loaded, struct osbox_err *err);

/* Import a plain rootfs tarball (optionally gzip/zstd) as a one-layer image. */
int images_import_rootfs(const char *tarball, const char *name, char **digest_out,
                         struct osbox_err *err);

/* JSON array of {name, tag, ref, digest, id, created, size} for every name. */
int images_list_json(struct json_t **out, struct osbox_err *err);
/* JSON object for one image: id, digest, names, created, architecture, os,
 * size, layers [{digest, diff_id, media_type, size, path}], config. */
int images_inspect_json(const char *ref, struct json_t **out, struct osbox_err *err);

/* Which images containers use: {"sha256:<manifest digest>": "container name
 * or id"}, a new reference. The store does not read container records: the
 * container runtime answers (runtime_images_in_use) and the caller passes
 * its function; NULL means no container uses any image. */
typedef struct json_t *(*images_users_fn)(void);

/* Remove a name (or, by id/digest, all of an image's names). The image's blobs
 * and layers go once no name and no container uses them; refused while a
 * container uses the image unless force. *untagged gets the names removed,
 * *deleted the manifest digest if the image itself was deleted. */
int images_remove(const char *ref, bool force, images_users_fn users, char ***untagged,
                  char **deleted, struct osbox_err *err);
/* Give the image src the additional name dst. */
int images_tag(const char *src, const char *dst, struct osbox_err *err);

/* Write the images refs (NULL-terminated) to out as one OCI archive. */
int images_save(char *const *refs, const char *out, struct osbox_err *err);

/* For `vm run`: an ext2 disk holding the image's root filesystem as a container
 * would see it (layers merged, whiteouts applied), with extra_bytes free.
 * Cached under images/disks/ by manifest digest and shared: copy it before
 * writing to it. *path_out is malloc'd. */
int images_ext2_disk(const char *ref, unsigned long long extra_bytes, char **path_out,
                     struct osbox_err *err);

/* ---- registries (images/registry/) ---- */

/* What a pull did. */
struct images_pull_result {
    char *name;          /* the store name, e.g. "alpine:latest", "127.0.0.1:5000/x:1" */
    char *digest;        /* manifest digest (the platform's, when the tag is an index) */
    bool up_to_date;     /* the name already pointed at this manifest: nothing fetched */
    unsigned layers, layers_fetched;
    unsigned long long bytes_fetched;
    unsigned requests;   /* HTTP requests made */
};
void images_pull_result_clear(struct images_pull_result *r);
/* Fetch ref (Docker's normalisation: "alpine" is docker.io/library/alpine:latest)
 * from its registry into the store: the manifest for platform ("linux/amd64",
 * NULL: this machine), its config and every layer not stored yet, each
 * verified against digest and size before anything becomes visible. A
 * failure leaves the store as it was. */
int images_pull(const char *ref, const char *platform, struct images_pull_result *res,
                struct osbox_err *err);

/* What a push did. */
struct images_push_result {
    char *dest;          /* the full reference pushed to */
    char *digest;        /* manifest digest */
    unsigned blobs, uploaded, mounted; /* config + layers; sent; mounted from another repo */
    unsigned long long bytes_sent;
};
void images_push_result_clear(struct images_push_result *r);
/* Upload a stored image to dest (a full reference; NULL: the image's own
 * name): blobs the registry lacks (a HEAD tells), mounted from another
 * repository of the same registry when one we know of has them, else sent;
 * then the manifest. Blobs larger than chunk bytes go in chunks (0: one
 * request each). */
int images_push(const char *image, const char *dest, unsigned long long chunk,
                struct images_push_result *res, struct osbox_err *err);

/* Check user/password against registry (a host[:port]), then store them in
 * auth.json ($REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json).
 * *path_out gets the file written. */
int images_login(const char *registry, const char *user, const char *password, char **path_out,
                 struct osbox_err *err);
/* Forget registry's credentials; fails with "not logged in to X" when there are none. */
int images_logout(const char *registry, struct osbox_err *err);

/* `run --pull`: when to fetch an image before resolving it. DEFAULT (no
 * --pull) is $OSBOX_PULL if set (the tests set never: no test reaches for
 * docker.io), else missing. */
enum images_pull_policy {
    IMAGES_PULL_DEFAULT, IMAGES_PULL_MISSING, IMAGES_PULL_ALWAYS, IMAGES_PULL_NEVER
};
int images_pull_policy_parse(const char *s, enum images_pull_policy *out, struct osbox_err *err);
/* images_resolve(), pulling first as policy says (missing: only if ref is not
 * in the store; always: pull, then resolve; never: resolve only). A failed
 * pull of a missing image says both: "image 'X' not found, and pulling it
 * failed: ...". */
int images_resolve_pull(const char *ref, enum images_pull_policy policy, struct osbox_image **out,
                        struct osbox_err *err);

/* Store part of `osbox gc`: remove what killed imports left in tmp/ and every
 * blob and layer that no name and no container uses. */
struct images_gc_stats {
    unsigned long temp, blobs, layers;
};
int images_gc(images_users_fn users, struct images_gc_stats *stats, struct osbox_err *err);

/* osbox image prune (prune.c): gc, and with all first every image (all its
 * names) no container uses (users: as for images_remove). *deleted lists names untagged and images deleted. */
int images_prune(bool all, images_users_fn users, char ***deleted, struct images_gc_stats *gc,
                 struct osbox_err *err);

/* osbox history (history.c): the image config's history, newest first, each
 * {created, created_by, comment, empty_layer, size, layer} (size and layer
 * digest of the layer the step made; 0 and null for empty ones). */
int images_history_json(const char *ref, struct json_t **out, struct osbox_err *err);

/* ---- commit and build (images/build/) ---- */

/* osbox commit: a container's writable layer (an overlay upper dir) on top of
 * its image (base: a manifest digest or reference; NULL: nothing below)
 * becomes a new image named name (NULL: unnamed). lowers: the container's
 * layer dirs, bottom first (what tells a mount point the runtime made from a
 * file the container made). changes: Dockerfile instructions applied to the
 * config (CMD, ENV, LABEL, ...). id_out: the image id (config digest). */
struct images_commit_opts {
    const char *message;    /* -m: the history comment */
    const char *author;     /* -a */
    char **changes;         /* -c */
    const char *created_by; /* the history's created_by */
};
int images_commit_container(const char *base, char *const *lowers, const char *upper,
                            const char *name, const struct images_commit_opts *o,
                            char id_out[72], struct osbox_err *err);

/* osbox build: how a RUN step runs. The runtime does it (runtime/run/
 * run_build.c); images/ only hands over what the container needs. */
struct images_build_run {
    char *const *layers;   /* bottom first */
    char *const *env;      /* K=V */
    char *const *args;
    const char *workdir;   /* absolute */
    const char *user;      /* NULL: root */
    const char *network;   /* none (default), host, bridge */
};
struct images_build_runner {
    /* Run r in a container that stays once it exits. Returns its exit
     * status (-1 with err when it could not run); *upper gets its writable
     * layer dir and *handle what remove needs, both malloc'd. */
    int (*run)(void *ctx, const struct images_build_run *r, char **upper, char **handle,
               struct osbox_err *err);
    void (*remove)(void *ctx, const char *handle);
    void *ctx;
};
struct images_build_opts {
    const char *context;      /* directory */
    const char *file;         /* NULL: CONTEXT/Containerfile, else CONTEXT/Dockerfile */
    const char *tag;          /* NULL: unnamed */
    char **build_args;        /* K=V */
    const char *target;       /* last stage to build (NULL: the last) */
    const char *network;      /* RUN's network (NULL: none) */
    bool no_cache;
    long long timestamp;      /* -1: none; else mtimes and created clamped to it */
    struct images_build_runner runner;
    FILE *out;                /* progress (STEP n/N: ...) */
};
/* Returns 0 with the image id in id_out; -1 with err (which names the step). */
int images_build(const struct images_build_opts *o, char id_out[72], struct osbox_err *err);

#endif
