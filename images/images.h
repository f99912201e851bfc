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

/* Remove a name (or, by id/digest, all of an image's names). The image's blobs
 * and layers go once no name and no container uses them; refused while a
 * container uses the image unless force. *untagged gets the names removed,
 * *deleted the manifest digest if the image itself was deleted. */
int images_remove(const char *ref, bool force, char ***untagged, char **deleted,
                  struct osbox_err *err);
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

/* Store part of `osbox gc`: remove what killed imports left in tmp/ and every
 * blob and layer that no name and no container uses. */
struct images_gc_stats {
    unsigned long temp, blobs, layers;
};
int images_gc(struct images_gc_stats *stats, struct osbox_err *err);

#endif
