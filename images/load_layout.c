/* `osbox load --oci-dir DIR`: an OCI image layout (oci-layout, index.json,
 * blobs/sha256/...), as skopeo, umoci or our busybox recipe write it. The same
 * code loads an OCI archive once it is unpacked into a staging directory. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "util.h"

#define REF_NAME "org.opencontainers.image.ref.name"
#define CONTAINERD_NAME "io.containerd.image.name"
#define INDEX_TYPE "application/vnd.oci.image.index.v1+json"
#define DOCKER_LIST_TYPE "application/vnd.docker.distribution.manifest.list.v2+json"

static int read_json_at(int dirfd, const char *name, json_t **out, struct osbox_err *err)
{
    _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    json_error_t jerr;

    if (fd < 0)
        return osbox_error(err, errno, "%s", name);
    *out = json_loadfd(fd, 0, &jerr);
    if (!*out)
        return osbox_error(err, 0, "%s: malformed JSON: %s (line %d)", name, jerr.text, jerr.line);
    return 0;
}

/* Read and verify a nested index blob straight from the layout. */
static int read_blob_json(int blobs_dirfd, const char *digest, json_t **out, struct osbox_err *err)
{
    _cleanup_close_ int fd = -1;
    _cleanup_free_ char *text = NULL;
    char got[72];
    json_error_t jerr;
    size_t len;
    _cleanup_free_ char *path = NULL;

    if (!images_digest_valid(digest))
        return osbox_error(err, 0, "index entry has an invalid digest '%s'", digest ? digest : "");
    path = osbox_strdup_printf("/proc/self/fd/%d/%s", blobs_dirfd, images_digest_hex(digest));
    if (osbox_read_file(path, &text, &len, err) < 0)
        return osbox_error(err, 0, "the index points to %s, which is missing from the archive",
                           digest);
    images_sha256_buf(text, len, got);
    if (strcmp(got, digest))
        return osbox_error(err, 0, "index %s: digest mismatch (content hashes to %s)", digest, got);
    *out = json_loadb(text, len, 0, &jerr);
    if (!*out)
        return osbox_error(err, 0, "index %s: malformed JSON: %s", digest, jerr.text);
    return 0;
}

/* From a multi-platform index, the manifest for this machine (or the only one). */
static json_t *pick_platform(json_t *manifests)
{
    size_t i;
    json_t *m;

    if (json_array_size(manifests) == 1)
        return json_array_get(manifests, 0);
    json_array_foreach(manifests, i, m) {
        json_t *pl = json_object_get(m, "platform");
        const char *os = json_string_value(json_object_get(pl, "os"));
        const char *arch = json_string_value(json_object_get(pl, "architecture"));
#if defined(__x86_64__)
        const char *want = "amd64";
#elif defined(__aarch64__)
        const char *want = "arm64";
#else
        const char *want = "";
#endif
        if (os && arch && !strcmp(os, "linux") && !strcmp(arch, want))
            return m;
    }
    return NULL;
}

/* The name an entry is loaded under: --name beats annotations; a bare tag in
 * ref.name is combined with the fallback name (the layout dir's basename). */
static int entry_name(json_t *desc, const char *given, const char *fallback, char **out,
                      struct osbox_err *err)
{
    json_t *ann = json_object_get(desc, "annotations");
    const char *full = json_string_value(json_object_get(ann, CONTAINERD_NAME));
    const char *ref = json_string_value(json_object_get(ann, REF_NAME));
    _cleanup_free_ char *composed = NULL;

    if (given)
        return images_ref_normalize(given, out, err);
    if (full)
        return images_ref_normalize(full, out, err);
    if (ref && (strchr(ref, ':') || strchr(ref, '/')))
        return images_ref_normalize(ref, out, err);
    if (!fallback)
        return osbox_error(err, 0, "the archive does not name its image: give a name");
    composed = osbox_strdup_printf("%s:%s", fallback, ref ? ref : "latest");
    if (images_ref_normalize(composed, out, err) < 0)
        return osbox_error(err, 0, "cannot name the image '%s': give a name", composed);
    return 0;
}

int images_stage_layout(struct images_pending *p, int dirfd, const char *given,
                        const char *fallback, struct osbox_err *err)
{
    json_t *layout = NULL, *index = NULL, *manifests, *desc;
    _cleanup_close_ int blobs = -1;
    int rc = -1;
    size_t i;

    if (read_json_at(dirfd, "oci-layout", &layout, err) < 0)
        return osbox_error_prefix(err, "not an OCI image layout");
    if (!json_is_string(json_object_get(layout, "imageLayoutVersion"))) {
        osbox_error(err, 0, "oci-layout: no imageLayoutVersion");
        goto out;
    }
    if (read_json_at(dirfd, "index.json", &index, err) < 0)
        goto out;
    manifests = json_object_get(index, "manifests");
    if (!json_is_array(manifests) || json_array_size(manifests) == 0) {
        osbox_error(err, 0, "index.json lists no images");
        goto out;
    }
    if (given && json_array_size(manifests) > 1) {
        osbox_error(err, 0, "the archive holds %zu images; a name applies to exactly one",
                    json_array_size(manifests));
        goto out;
    }
    blobs = openat(dirfd, "blobs/sha256", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (blobs < 0) {
        osbox_error(err, errno, "blobs/sha256");
        goto out;
    }
    json_array_foreach(manifests, i, desc) {
        const char *mt = json_string_value(json_object_get(desc, "mediaType"));
        const char *digest = json_string_value(json_object_get(desc, "digest"));
        json_t *size = json_object_get(desc, "size");
        json_t *nested = NULL, *chosen = desc;
        _cleanup_free_ char *name = NULL;

        if (!mt || !digest || !json_is_integer(size)) {
            osbox_error(err, 0, "index.json: entry %zu needs mediaType, digest and size", i);
            goto out;
        }
        if (!strcmp(mt, INDEX_TYPE) || !strcmp(mt, DOCKER_LIST_TYPE)) {
            if (read_blob_json(blobs, digest, &nested, err) < 0)
                goto out;
            chosen = pick_platform(json_object_get(nested, "manifests"));
            if (!chosen) {
                json_decref(nested);
                osbox_error(err, 0, "index %s has no manifest for this platform", digest);
                goto out;
            }
            mt = json_string_value(json_object_get(chosen, "mediaType"));
            digest = json_string_value(json_object_get(chosen, "digest"));
            size = json_object_get(chosen, "size");
        }
        if (!images_manifest_type_ok(mt)) {
            osbox_error(err, 0, "index.json: unknown media type '%s'", mt ? mt : "?");
            json_decref(nested);
            goto out;
        }
        if (!digest || entry_name(desc, given, fallback, &name, err) < 0 ||
            images_stage_manifest(p, blobs, digest, json_integer_value(size), err) < 0) {
            if (!digest)
                osbox_error(err, 0, "index entry without digest");
            json_decref(nested);
            goto out;
        }
        images_pending_set_ref(p, name, digest);
        json_decref(nested);
    }
    rc = 0;
out:
    json_decref(layout);
    json_decref(index);
    return rc;
}

/* The layout dir's basename without ".oci", as a fallback image name. */
static char *fallback_name(const char *dir)
{
    _cleanup_free_ char *copy = osbox_xstrdup(dir);
    char *b, *dot;
    size_t n;

    n = strlen(copy);
    while (n > 1 && copy[n - 1] == '/')
        copy[--n] = '\0';
    b = osbox_xstrdup(basename(copy));
    dot = strrchr(b, '.');
    if (dot && !strcmp(dot, ".oci"))
        *dot = '\0';
    for (char *c = b; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    return b;
}

int images_commit_loaded(struct images_pending *p, char ***loaded, struct osbox_err *err)
{
    const char *name;
    json_t *v;

    if (images_pending_commit(p, err) < 0)
        return -1;
    if (loaded)
        json_object_foreach(p->refs, name, v)
            osbox_strv_push(loaded, name);
    return 0;
}

int images_load_oci_dir(const char *dir, const char *name, char ***loaded, struct osbox_err *err)
{
    _cleanup_close_ int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    _cleanup_free_ char *fallback = fallback_name(dir);
    struct images_store s;
    struct images_pending p;
    int rc;

    if (dirfd < 0)
        return osbox_error(err, errno, "open %s", dir);
    if (images_store_open_locked(&s, err) < 0)
        return -1;
    images_pending_init(&p, &s);
    rc = images_stage_layout(&p, dirfd, name, fallback, err);
    if (rc == 0)
        rc = images_commit_loaded(&p, loaded, err);
    if (rc < 0)
        osbox_error_prefix(err, "load %s", dir);
    images_pending_free(&p);
    images_store_close(&s);
    return rc;
}
