/* Private to images/build/: the parts of `osbox commit` and `osbox build`.
 * What the rest of osbox calls is in images/images.h (images_commit_container,
 * images_build). */
#ifndef OSBOX_IMAGES_BUILD_H
#define OSBOX_IMAGES_BUILD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "images/internal.h"
#include "util.h"

/* ---- layer_tar.c: writing a layer tar ---- */
struct layer_writer {
    struct archive *a;
    int fd;
    struct images_hash hash;   /* of the uncompressed tar: diff_id == blob digest */
    int64_t clamp;             /* mtimes later than this become it; -1 none */
    long mode;                 /* permission bits of every entry added from a file; -1 its own */
    json_t *links;             /* "dev:ino" -> first name, for hardlinks */
    struct osbox_err *err;     /* where a write callback's failure goes */
    bool failed;
};
int layer_writer_open(struct layer_writer *w, const char *path, int64_t clamp,
                      struct osbox_err *err);
/* One entry from the host file at host_path (not followed), named name in
 * the tar; owner -1 keeps the file's. Regular files, dirs, symlinks, fifos,
 * devices; xattrs (user., security. incl. file capabilities, trusted. but
 * overlayfs' own); a second name of an inode already written is a hardlink. */
int layer_writer_add_file(struct layer_writer *w, const char *name, const char *host_path,
                          long uid, long gid, struct osbox_err *err);
/* A directory entry not taken from a file (parents of COPY's destination). */
int layer_writer_add_dir(struct layer_writer *w, const char *name, mode_t mode, uid_t uid,
                         gid_t gid, int64_t mtime, struct osbox_err *err);
/* An OCI whiteout: ".wh.NAME" beside name, or dir/.wh..wh..opq (opaque). */
int layer_writer_add_whiteout(struct layer_writer *w, const char *name, bool opaque,
                              struct osbox_err *err);
/* An overlay upper dir as a layer: whiteouts and opaque dirs in OCI form;
 * entries the runtime only made as mount points (empty, absent from every
 * lower) are left out. lowers: bottom first, may be NULL. */
int layer_writer_add_upper(struct layer_writer *w, const char *upper, char *const *lowers,
                           struct osbox_err *err);
/* Finish: the tar's digest (its diff_id) and size. */
int layer_writer_close(struct layer_writer *w, char digest[72], int64_t *size,
                       struct osbox_err *err);
void layer_writer_abort(struct layer_writer *w);

/* ---- add_archive.c: ADD of a local tar archive ---- */
/* Is path a tar archive (plain, gzip, bzip2, xz), by its content? */
bool build_is_archive(const char *path);
/* Its entries into the layer under dest (absolute, cleaned); an entry that
 * would land outside (.., through a symlink of the archive) is an error
 * naming the archive (shown). */
int layer_writer_add_archive(struct layer_writer *w, const char *archive, const char *shown,
                             const char *dest, struct osbox_err *err);

/* ---- image_state.c: an image being made ---- */
struct build_image {
    json_t *config;     /* the whole OCI image config */
    json_t *layers;     /* manifest layer descriptors, bottom first */
    char **layer_dirs;  /* unpacked layers in the store, bottom first */
    char *digest;       /* manifest digest it came from (NULL: scratch or changed) */
};
/* From a stored image (ref) or, with ref "scratch", empty. */
int build_image_open(struct images_store *s, const char *ref, struct build_image *img,
                     struct osbox_err *err);
void build_image_copy(struct build_image *dst, const struct build_image *src);
void build_image_clear(struct build_image *img);
/* The config's "config" object (created if missing), borrowed. */
json_t *build_image_cfg(struct build_image *img);
/* Append a history entry; empty: the step made no layer. */
void build_image_history(struct build_image *img, const char *created, const char *by,
                         const char *comment, bool empty);
/* Store the layer tar at tar_path (in staging or anywhere) as a layer: blob +
 * unpacked dir, committed under the store lock; then appended to img. */
int build_layer_store(const char *tar_path, struct build_image *img, char diff_id[72],
                      struct osbox_err *err);
/* Append a stored layer (blob digest, diff_id, size) to img. */
int build_image_add_layer(struct images_store *s, struct build_image *img, const char *blob,
                          const char *diff_id, int64_t size, struct osbox_err *err);
/* Write config and manifest, name them (name may be NULL: unnamed), commit.
 * *id_out: the config digest (the image id), *digest_out the manifest's. */
int build_image_commit(struct build_image *img, const char *name, char id_out[72],
                       char digest_out[72], struct osbox_err *err);

/* ---- instr.c: Containerfile lines ---- */
struct build_instr {
    char *keyword;      /* upper case: "RUN" */
    char *args;         /* the rest of the line, continuations joined */
    char **flags;       /* leading --name=value flags (COPY, ADD, FROM, RUN, HEALTHCHECK) */
    char **json;        /* the exec (JSON array) form, or NULL */
    char *text;         /* "RUN make" as written (for progress and history) */
    unsigned line;      /* first line in the file */
};
struct build_file {
    struct build_instr *v;
    size_t n;
};
int build_file_parse(const char *text, const char *filename, struct build_file *f,
                     struct osbox_err *err);
/* commit -c: each string one instruction (no FROM needed). */
int build_changes_parse(char *const *changes, struct build_file *f, struct osbox_err *err);
void build_file_clear(struct build_file *f);
/* The value of flag --name (NULL: not given). */
const char *build_instr_flag(const struct build_instr *in, const char *name);

/* ---- config_apply.c: the instructions that only change the config ---- */
/* ${VAR}, $VAR, ${VAR:-word}, ${VAR:+word} from env ("K=V"), \$ literal. */
char *build_expand(const char *s, char *const *env);
/* Split words as the shell form of ENV/LABEL does (quotes, backslashes). */
char **build_split_words(const char *s);
/* ENV LABEL EXPOSE VOLUME ENTRYPOINT CMD SHELL STOPSIGNAL HEALTHCHECK USER
 * WORKDIR MAINTAINER ONBUILD ARG(no-op here): 1 done, 0 not such an
 * instruction, -1 bad input. vars: what ${} expands from. */
int build_apply_config(struct build_image *img, const struct build_instr *in, char *const *vars,
                       struct osbox_err *err);
/* The command of RUN/CMD/ENTRYPOINT: the JSON form, or SHELL + args. */
char **build_shell_command(struct build_image *img, const struct build_instr *in);

/* ---- context.c: the build context ---- */
struct build_context {
    char *root;         /* realpath of CONTEXT */
    char **ignore;      /* .containerignore / .dockerignore patterns ("!x" re-includes) */
};
int build_context_open(const char *dir, struct build_context *c, struct osbox_err *err);
void build_context_clear(struct build_context *c);
bool build_context_ignored(const struct build_context *c, const char *rel);
/* The context paths (relative, cleaned) a COPY source means: a glob or a
 * name; never outside the context (".." or a symlink there is an error). */
int build_context_match(const struct build_context *c, const char *src, char ***rels,
                        struct osbox_err *err);
/* sha256 over the names, modes, owners, link targets and contents of rels
 * (directories recursively, ignored files left out). */
int build_context_hash(const struct build_context *c, char *const *rels, char out[72],
                       struct osbox_err *err);

/* ---- copy.c: COPY/ADD into a layer ---- */
/* Sources are paths relative to roots: the context (one root), or another
 * stage's layers (top first), merged as overlayfs shows them. */
struct build_copy {
    char *const *roots;  /* top first */
    char *const *rels;   /* the sources ("." the whole root) */
    const char *dest;    /* absolute, cleaned, in the image */
    bool dest_is_dir;
    long uid, gid;       /* --chown; -1: 0:0 from the context, the source's own --from a stage */
    bool keep_owner;     /* --from: owners as in the source */
    long chmod;          /* --chmod; -1 keep */
    const struct build_context *ctx;  /* ignore rules for the context; NULL none */
    int64_t now;         /* mtime of directories COPY creates */
};
int build_copy_layer(struct layer_writer *w, const struct build_copy *c,
                     const struct build_image *img, struct osbox_err *err);
/* The host path of rel in roots (top first) as merged: the topmost layer
 * that has it, NULL when none does or a whiteout / opaque dir hides it. */
char *build_merged_lookup(char *const *roots, const char *rel);
/* img's layer dirs top first (a strv). */
char **build_image_roots(const struct build_image *img);

/* ---- cache.c: step -> layer ---- */
/* key = sha256(parent key, instruction, extra) */
void build_cache_key(const char *parent, const char *instr, const char *extra, char out[72]);
/* A finished step's layer: 1 found, 0 not (or its layer is gone). created is
 * when the step first ran ("" for entries older than that field), so that a
 * rebuild from the cache gives the same history, hence the same image id. */
int build_cache_get(struct images_store *s, const char *key, char blob[72], char diff_id[72],
                    int64_t *size, char created[OSBOX_RFC3339_LEN + 1]);
int build_cache_put(struct images_store *s, const char *key, const char *blob,
                    const char *diff_id, int64_t size, const char *created,
                    struct osbox_err *err);

#endif
