/* Private to images/: the store's building blocks. Other directories use images.h. */
#ifndef OSBOX_IMAGES_INTERNAL_H
#define OSBOX_IMAGES_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "images.h"
#include "osbox_err.h"

#define IMAGES_SHA256_HEX 64

/* ---- digest.c: sha256 through libcrypto ---- */
struct images_hash {
    EVP_MD_CTX *ctx;
    uint64_t bytes;
};
int images_hash_init(struct images_hash *h, struct osbox_err *err);
void images_hash_update(struct images_hash *h, const void *buf, size_t len);
/* Writes "sha256:<hex>" into out (72 bytes) and frees the context. */
void images_hash_final(struct images_hash *h, char out[72]);
void images_hash_free(struct images_hash *h);
void images_sha256_buf(const void *buf, size_t len, char out[72]);
/* True for "sha256:" followed by exactly 64 lowercase hex digits. */
bool images_digest_valid(const char *digest);
/* The hex part of a valid digest. */
static inline const char *images_digest_hex(const char *digest) { return digest + 7; }

/* ---- progress.c ---- */
void images_progress_layer(unsigned layer, unsigned layers, const char *digest);
void images_progress_bytes(const char *phase, uint64_t done, uint64_t total, bool force);
/* Silence progress reports from the calling thread (download workers). */
void images_progress_mute(bool mute);

/* ---- store.c: paths, lock, staging ---- */
struct images_store {
    char *root;     /* $OSBOX_ROOT/images */
    int lock_fd;    /* flock'd exclusively while writing; -1 when not held */
};
/* Create the directory skeleton if needed. */
int images_store_open(struct images_store *s, struct osbox_err *err);
/* Only compute paths; creates nothing (for readers). */
void images_store_open_ro(struct images_store *s);
void images_store_close(struct images_store *s);
/* Exclusive writer lock (blocks until other writers finish). */
int images_store_lock(struct images_store *s, struct osbox_err *err);
/* images_store_open, then images_store_lock: the start of every writer
 * (import, load, pull). Closed again on failure. */
int images_store_open_locked(struct images_store *s, struct osbox_err *err);
char *images_blob_path(const struct images_store *s, const char *digest);
char *images_layer_path(const struct images_store *s, const char *diff_id);
bool images_blob_exists(const struct images_store *s, const char *digest);
/* A fresh staging directory under tmp/ (ignored by readers, removed by gc). */
int images_staging_create(const struct images_store *s, char **out, struct osbox_err *err);
/* Read a stored blob (verified when it was written, not again here). */
int images_blob_read(const struct images_store *s, const char *digest, char **out, size_t *len,
                     struct osbox_err *err);
/* Copy fd's content to path (created), hashing it; checks size (if >= 0) and
 * digest (if not NULL); the digest seen goes to got_out (72 bytes) if not NULL. */
int images_copy_verified(int src_fd, const char *dst_path, const char *want_digest,
                         int64_t want_size, const char *what, char *got_out,
                         struct osbox_err *err);
int images_fsync_path(const char *path);

/* ---- index.c: names ---- */
/* The name index: a JSON object {"refs": {"name:tag": "sha256:<manifest>"}}. */
int images_index_load(const struct images_store *s, json_t **out, struct osbox_err *err);
int images_index_save(const struct images_store *s, json_t *index, struct osbox_err *err);
json_t *images_index_refs(json_t *index); /* borrowed */
/* The images without a name, {"sha256:<manifest>": true}; made if missing. */
json_t *images_index_untagged(json_t *index); /* borrowed */

/* ---- reference.c ---- */
/* "name[:tag]" -> normalised "name:tag" (tag defaults to latest). Fails on invalid names. */
int images_ref_normalize(const char *ref, char **out, struct osbox_err *err);
/* A tag as the distribution spec allows it: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}. */
bool images_tag_ok(const char *t);

/* ---- manifest.c: OCI / Docker manifest and config ---- */
struct images_descriptor {
    char *media_type;
    char *digest;
    int64_t size;
};
struct images_manifest {
    struct images_descriptor config;
    struct images_descriptor *layers;
    size_t n_layers;
};
struct images_config {
    char **diff_ids;
    size_t n_diff_ids;
    json_t *json; /* the whole config */
};
int images_manifest_parse(const char *text, size_t len, struct images_manifest *m,
                          struct osbox_err *err);
void images_manifest_clear(struct images_manifest *m);
int images_config_parse(const char *text, size_t len, struct images_config *c,
                        struct osbox_err *err);
void images_config_clear(struct images_config *c);
/* Compression of a layer media type: 0 none, 1 gzip, 2 zstd; -1 unknown type. */
int images_layer_compression(const char *media_type);
bool images_manifest_type_ok(const char *media_type);

/* ---- extract.c: safe layer unpacking ---- */
/* Normalise a tar member name: drop "." and empty components and a leading
 * '/'; fails on "..". "" means the root. */
int images_path_clean(const char *in, char *out, size_t outsz);
struct images_extract_stats {
    uint64_t entries, bytes, skipped_devices;
};
/* Unpack the layer tar in blob_path into the empty directory dir; whiteouts become
 * overlayfs whiteouts; nothing is written outside dir. Writes the sha256 of the
 * uncompressed stream (the diff_id) into diff_id. */
int images_extract_layer(const char *blob_path, const char *dir, char diff_id[72],
                         struct images_extract_stats *stats, struct osbox_err *err);
/* The same in one pass over the blob read from fd: every block read is hashed
 * into blob_digest (if not NULL; also set, when it can be, on failure, so a
 * caller can tell a corrupt blob from a wrong one) and written to tee_fd
 * (if >= 0) as it is fed to the decompressor. */
int images_extract_layer_fd(int fd, int tee_fd, const char *dir, char blob_digest[72],
                            char diff_id[72], struct images_extract_stats *stats,
                            struct osbox_err *err);

/* ---- commit.c: making an image visible ---- */
/* Everything an import staged: blobs and unpacked layers in a staging dir. */
struct images_pending {
    struct images_store *store;
    char *staging;          /* tmp/<id> */
    json_t *refs;           /* "name:tag" -> manifest digest, set at commit */
    char **blob_digests;    /* staged in staging/blobs/<hex> */
    char **layer_ids;       /* staged in staging/layers/<hex> */
};
void images_pending_init(struct images_pending *p, struct images_store *s);
/* Stage a blob from an open fd, verifying it. Skips the copy if already stored. */
int images_pending_add_blob_fd(struct images_pending *p, int fd, const char *digest,
                               int64_t size, const char *what, struct osbox_err *err);
int images_pending_add_blob_buf(struct images_pending *p, const void *buf, size_t len,
                                char digest_out[72], struct osbox_err *err);
/* True if the blob is staged or already stored. */
bool images_pending_has_blob(struct images_pending *p, const char *digest);
/* A fresh staging/blobs/<hex>.part to download into (the caller verifies it),
 * then made the staged blob digest by images_pending_blob_adopt. */
int images_pending_blob_open(struct images_pending *p, const char *digest, int *fd,
                             char **path_out, struct osbox_err *err);
int images_pending_blob_adopt(struct images_pending *p, const char *digest, struct osbox_err *err);
/* Stage a blob of unknown digest from fd; its digest goes to digest_out. */
int images_pending_add_blob_any(struct images_pending *p, int fd, char digest_out[72],
                                struct osbox_err *err);
/* Unpack a staged layer blob whose diff_id is not known beforehand. */
int images_pending_add_layer_any(struct images_pending *p, const char *blob_digest,
                                 char diff_id_out[72], struct osbox_err *err);
/* A fresh directory inside the staging area, removed with it. */
int images_pending_scratch(struct images_pending *p, const char *name, char **out,
                           struct osbox_err *err);
/* Path of a blob either staged or already stored. */
char *images_pending_blob_path(struct images_pending *p, const char *digest);
/* Unpack a staged/stored layer blob unless the layer is already in the store;
 * the uncompressed stream must hash to diff_id. */
int images_pending_add_layer(struct images_pending *p, const char *blob_digest,
                             const char *diff_id, struct osbox_err *err);
/* For unpacking off the importer's thread: the (created, empty) staging dir
 * for layer diff_id in *dir, or NULL when the layer is stored, staged or
 * already claimed. Fill it with images_extract_layer, check the diff_id, then
 * images_pending_layer_adopt (on the importer's thread). */
int images_pending_layer_claim(struct images_pending *p, const char *diff_id, char **dir,
                               struct osbox_err *err);
void images_pending_layer_adopt(struct images_pending *p, const char *diff_id);
/* Point name (normalised) at a staged manifest once committed. */
void images_pending_set_ref(struct images_pending *p, const char *name, const char *digest);
/* Move staged content into place, then update the names in one atomic index write. */
int images_pending_commit(struct images_pending *p, struct osbox_err *err);

/* ---- layer_pool.c: a manifest's layers, one pass each, two at a time ---- */
struct images_manifest;
struct images_config;
/* Stage every layer of m (blobs from blobs_dirfd, diff_ids from c). */
int images_stage_layers(struct images_pending *p, int blobs_dirfd,
                        const struct images_manifest *m, const struct images_config *c,
                        struct osbox_err *err);
/* Remove whatever is still staged (after commit: the empty staging dir). */
void images_pending_free(struct images_pending *p);

/* ---- load_oci.c ---- */
/* Import the manifest at manifest_digest whose blobs live in blobs_dir (an OCI
 * layout's blobs/sha256 or an unpacked archive) into p. Shared by all importers. */
int images_stage_manifest(struct images_pending *p, int blobs_dirfd, const char *manifest_digest,
                          int64_t manifest_size, struct osbox_err *err);

/* ---- resolve.c ---- */
/* The index entry a reference means (name, full digest, or id prefix). */
int images_lookup(json_t *index, const struct images_store *s, const char *ref,
                  const char **name_out, const char **digest_out, struct osbox_err *err);
/* Read and verify an image's manifest and config from the store. */
int images_open_image(const struct images_store *s, const char *digest,
                      struct images_manifest *m, struct images_config *c, struct osbox_err *err);

/* ---- usage.c ---- */
/* users(), or an empty object without one (images.h: images_users_fn). */
json_t *images_containers_using(images_users_fn users);
/* Add an image's manifest, config and layer blobs to blobs, its diff_ids to layers. */
int images_mark_image(const struct images_store *s, const char *digest, json_t *blobs,
                      json_t *layers, struct osbox_err *err);
/* Everything reachable from the index's names and from containers. */
int images_mark_in_use(const struct images_store *s, json_t *index, images_users_fn users,
                       json_t *blobs, json_t *layers, struct osbox_err *err);

/* build/cache.c: the layers and blobs the build cache names (kept by gc). */
void images_mark_build_cache(const struct images_store *s, json_t *blobs, json_t *layers);

/* ---- load_layout.c ---- */
/* Stage every image an OCI layout at dirfd holds; given overrides the name. */
int images_stage_layout(struct images_pending *p, int dirfd, const char *given,
                        const char *fallback, struct osbox_err *err);
/* Commit and report the names loaded. */
int images_commit_loaded(struct images_pending *p, char ***loaded, struct osbox_err *err);

#endif
