/* `osbox load -i FILE`: an OCI archive (a tarred OCI layout) or a `docker
 * save` archive (manifest.json, <id>.json configs, <id>/layer.tar layers).
 * The archive is unpacked into the import's staging directory with the same
 * safe extractor as layers, then loaded from there. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "util.h"

#define MAX_JSON (8 << 20)

/* Open a path named inside the archive without leaving it. */
static int open_beneath(int dirfd, const char *path, struct osbox_err *err)
{
    struct open_how how = {
        .flags = O_RDONLY | O_CLOEXEC,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS, /* relative links inside only */
    };
    int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);

    if (fd < 0) {
        if (errno == ENOENT)
            return osbox_error(err, 0, "manifest.json points to '%s', which is missing from the archive",
                               path);
        return osbox_error(err, errno, "archive member '%s'", path);
    }
    return fd;
}

static int read_member(int dirfd, const char *path, char **out, size_t *len, struct osbox_err *err)
{
    _cleanup_close_ int fd = open_beneath(dirfd, path, err);
    _cleanup_free_ char *proc = NULL;
    struct stat st;

    if (fd < 0)
        return -1;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_JSON)
        return osbox_error(err, 0, "archive member '%s' is not a small regular file", path);
    proc = osbox_strdup_printf("/proc/self/fd/%d", fd);
    return osbox_read_file(proc, out, len, err);
}

static const char *layer_type_of(int fd)
{
    unsigned char m[4] = { 0 };

    if (pread(fd, m, sizeof m, 0) >= 2 && m[0] == 0x1f && m[1] == 0x8b)
        return "application/vnd.oci.image.layer.v1.tar+gzip";
    if (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
        return "application/vnd.oci.image.layer.v1.tar+zstd";
    return "application/vnd.oci.image.layer.v1.tar";
}

/* One entry of a docker-save manifest.json: build an OCI manifest for it. */
static int stage_docker_entry(struct images_pending *p, int dirfd, json_t *entry,
                              const char *given, struct osbox_err *err)
{
    const char *cfg_path = json_string_value(json_object_get(entry, "Config"));
    json_t *paths = json_object_get(entry, "Layers"), *tags = json_object_get(entry, "RepoTags");
    _cleanup_free_ char *ctext = NULL, *mtext = NULL;
    struct images_config c = { 0 };
    json_t *layers = json_array(), *manifest = NULL, *t;
    char cdigest[72], mdigest[72];
    size_t clen, i;
    int rc = -1;

    if (!cfg_path || !json_is_array(paths)) {
        osbox_error(err, 0, "manifest.json: entry needs Config and Layers");
        goto out;
    }
    if (read_member(dirfd, cfg_path, &ctext, &clen, err) < 0 ||
        images_config_parse(ctext, clen, &c, err) < 0 ||
        images_pending_add_blob_buf(p, ctext, clen, cdigest, err) < 0)
        goto out;
    if (c.n_diff_ids != json_array_size(paths)) {
        osbox_error(err, 0, "config %s lists %zu diff_ids but manifest.json has %zu layers",
                    cfg_path, c.n_diff_ids, json_array_size(paths));
        goto out;
    }
    for (i = 0; i < c.n_diff_ids; i++) {
        const char *lp = json_string_value(json_array_get(paths, i));
        _cleanup_close_ int fd = lp ? open_beneath(dirfd, lp, err) : -1;
        char digest[72];
        struct stat st;

        images_progress_layer((unsigned)i + 1, (unsigned)c.n_diff_ids, NULL);
        if (!lp)
            osbox_error(err, 0, "manifest.json: layer %zu is not a path", i);
        if (fd < 0 || fstat(fd, &st) < 0)
            goto out;
        if (images_pending_add_blob_any(p, fd, digest, err) < 0 ||
            images_pending_add_layer(p, digest, c.diff_ids[i], err) < 0)
            goto out;
        json_array_append_new(layers, json_pack("{s:s,s:s,s:I}", "mediaType", layer_type_of(fd),
                                                "digest", digest, "size",
                                                (json_int_t)st.st_size));
    }
    manifest = json_pack("{s:i,s:s,s:{s:s,s:s,s:I},s:O}", "schemaVersion", 2, "mediaType",
                         "application/vnd.oci.image.manifest.v1+json", "config", "mediaType",
                         "application/vnd.oci.image.config.v1+json", "digest", cdigest, "size",
                         (json_int_t)clen, "layers", layers);
    mtext = json_dumps(manifest, JSON_COMPACT);
    if (!mtext || images_pending_add_blob_buf(p, mtext, strlen(mtext), mdigest, err) < 0)
        goto out;
    if (given) {
        _cleanup_free_ char *n = NULL;
        if (images_ref_normalize(given, &n, err) < 0)
            goto out;
        images_pending_set_ref(p, n, mdigest);
    } else {
        if (!json_array_size(tags)) {
            osbox_error(err, 0, "the archive does not name its image (no RepoTags): give --name");
            goto out;
        }
        json_array_foreach(tags, i, t) {
            _cleanup_free_ char *n = NULL;
            if (images_ref_normalize(json_string_value(t) ? json_string_value(t) : "", &n, err) < 0)
                goto out;
            images_pending_set_ref(p, n, mdigest);
        }
    }
    rc = 0;
out:
    images_config_clear(&c);
    json_decref(layers);
    json_decref(manifest);
    return rc;
}

static int stage_docker(struct images_pending *p, int dirfd, const char *given,
                        struct osbox_err *err)
{
    _cleanup_free_ char *text = NULL;
    json_error_t jerr;
    json_t *m, *entry;
    size_t len, i;
    int rc = 0;

    if (read_member(dirfd, "manifest.json", &text, &len, err) < 0)
        return -1;
    m = json_loadb(text, len, 0, &jerr);
    if (!m)
        return osbox_error(err, 0, "manifest.json: malformed JSON: %s (line %d)", jerr.text,
                           jerr.line);
    if (!json_is_array(m) || !json_array_size(m)) {
        json_decref(m);
        return osbox_error(err, 0, "manifest.json lists no images");
    }
    if (given && json_array_size(m) > 1) {
        json_decref(m);
        return osbox_error(err, 0, "the archive holds %zu images; a name applies to exactly one",
                           json_array_size(m));
    }
    json_array_foreach(m, i, entry)
        if ((rc = stage_docker_entry(p, dirfd, entry, given, err)) < 0)
            break;
    json_decref(m);
    return rc;
}

int images_load_archive(const char *file, const char *name, char ***loaded, struct osbox_err *err)
{
    struct images_store s;
    struct images_pending p;
    _cleanup_free_ char *dir = NULL;
    _cleanup_close_ int dirfd = -1;
    char ignored_digest[72];
    struct stat st;
    int rc = -1;

    if (stat(file, &st) < 0)
        return osbox_error(err, errno, "load %s", file);
    if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode))
        return osbox_error(err, 0, "load %s: not a file", file);
    if (S_ISREG(st.st_mode) && st.st_size == 0)
        return osbox_error(err, 0, "load %s: the archive is empty", file);
    if (images_store_open_locked(&s, err) < 0)
        return -1;
    images_pending_init(&p, &s);
    if (images_pending_scratch(&p, "archive", &dir, err) < 0)
        goto out;
    if (images_extract_layer(file, dir, ignored_digest, NULL, err) < 0) {
        osbox_error_prefix(err, "unpack archive");
        goto out;
    }
    dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        osbox_error(err, errno, "open %s", dir);
        goto out;
    }
    if (faccessat(dirfd, "oci-layout", F_OK, 0) == 0 && faccessat(dirfd, "index.json", F_OK, 0) == 0)
        rc = images_stage_layout(&p, dirfd, name, NULL, err);
    else if (faccessat(dirfd, "manifest.json", F_OK, 0) == 0)
        rc = stage_docker(&p, dirfd, name, err);
    else
        rc = osbox_error(err, 0, "neither an OCI archive (oci-layout, index.json) nor a docker "
                                 "archive (manifest.json)");
    if (rc == 0)
        rc = images_commit_loaded(&p, loaded, err);
out:
    if (rc < 0)
        osbox_error_prefix(err, "load %s", file);
    images_pending_free(&p);
    images_store_close(&s);
    return rc;
}
