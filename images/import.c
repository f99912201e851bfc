/* `osbox import ROOTFS.tar NAME[:TAG]`: a plain rootfs tarball becomes a
 * one-layer image. The tarball is stored as the layer blob as it is
 * (compressed or not); the config carries only the layer's diff_id and a PATH. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "util.h"

static const char *media_type_of(int fd)
{
    unsigned char m[4] = { 0 };

    if (pread(fd, m, sizeof m, 0) < 2)
        return "application/vnd.oci.image.layer.v1.tar";
    if (m[0] == 0x1f && m[1] == 0x8b)
        return "application/vnd.oci.image.layer.v1.tar+gzip";
    if (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
        return "application/vnd.oci.image.layer.v1.tar+zstd";
    return "application/vnd.oci.image.layer.v1.tar";
}

int images_import_rootfs(const char *tarball, const char *name, char **digest_out,
                         struct osbox_err *err)
{
    _cleanup_close_ int fd = open(tarball, O_RDONLY | O_CLOEXEC);
    _cleanup_free_ char *norm = NULL, *ctext = NULL, *mtext = NULL;
    char created[OSBOX_RFC3339_LEN + 1];
    struct images_store s;
    struct images_pending p;
    char blob[72], diff_id[72], cdigest[72], mdigest[72];
    const char *mt;
    json_t *config = NULL, *manifest = NULL;
    off_t size;
    int rc = -1;

    if (fd < 0)
        return osbox_error(err, errno, "open %s", tarball);
    if (images_ref_normalize(name, &norm, err) < 0)
        return -1;
    mt = media_type_of(fd);
    if (images_store_open_locked(&s, err) < 0)
        return -1;
    images_pending_init(&p, &s);
    images_progress_layer(1, 1, NULL);
    if (images_pending_add_blob_any(&p, fd, blob, err) < 0 ||
        images_pending_add_layer_any(&p, blob, diff_id, err) < 0)
        goto out;
    size = lseek(fd, 0, SEEK_END);
    osbox_rfc3339_now(created);
    config = json_pack("{s:s, s:s, s:s, s:{s:[s]}, s:{s:s, s:[s]}, s:[{s:s, s:s}]}",
                       "architecture", "amd64", "os", "linux", "created", created,
                       "config", "Env",
                       "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                       "rootfs", "type", "layers", "diff_ids", diff_id,
                       "history", "created", created, "created_by", "osbox import");
    ctext = json_dumps(config, JSON_COMPACT | JSON_SORT_KEYS);
    if (!ctext || images_pending_add_blob_buf(&p, ctext, strlen(ctext), cdigest, err) < 0)
        goto out;
    manifest = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:[{s:s, s:s, s:I}]}",
                         "schemaVersion", 2, "mediaType",
                         "application/vnd.oci.image.manifest.v1+json",
                         "config", "mediaType", "application/vnd.oci.image.config.v1+json",
                         "digest", cdigest, "size", (json_int_t)strlen(ctext),
                         "layers", "mediaType", mt, "digest", blob, "size", (json_int_t)size);
    mtext = json_dumps(manifest, JSON_COMPACT | JSON_SORT_KEYS);
    if (!mtext || images_pending_add_blob_buf(&p, mtext, strlen(mtext), mdigest, err) < 0)
        goto out;
    images_pending_set_ref(&p, norm, mdigest);
    if (images_pending_commit(&p, err) < 0)
        goto out;
    if (digest_out)
        *digest_out = osbox_xstrdup(mdigest);
    rc = 0;
out:
    if (rc < 0)
        osbox_error_prefix(err, "import %s", tarball);
    json_decref(config);
    json_decref(manifest);
    images_pending_free(&p);
    images_store_close(&s);
    return rc;
}
