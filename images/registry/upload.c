/* Blob uploads (distribution spec "push"): HEAD first, so a blob the registry
 * has is never sent; then POST /blobs/uploads/ (with ?mount=&from= to ask for
 * a cross-repository mount, answered 201 when it worked); then either one
 * PUT ?digest= with the whole blob, or PATCHes of `chunk` bytes with
 * Content-Range followed by an empty PUT ?digest=. Each answer's Location is
 * where the next request goes. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry.h"
#include "util.h"

static char *with_query(const char *location, const char *key, const char *val)
{
    return osbox_strdup_printf("%s%c%s=%s", location, strchr(location, '?') ? '&' : '?', key, val);
}

static int expect(struct reg_client *c, struct reg_resp *resp, long want, const char *what,
                  struct osbox_err *err)
{
    if (resp->status == want)
        return 0;
    reg_status_error(c, resp, what, err);
    return -1;
}

/* Take the Location of an answer as the next upload URL. */
static int next_location(struct reg_client *c, struct reg_resp *resp, char **loc, const char *what,
                         struct osbox_err *err)
{
    if (!resp->location || !*resp->location)
        return osbox_error(err, 0, "%s: %s: the registry gave no upload Location", c->domain, what);
    free(*loc);
    *loc = resp->location;
    resp->location = NULL;
    return 0;
}

int reg_upload_blob(struct reg_client *c, const char *repo, const struct images_descriptor *d,
                    const char *path, const char *mount_from, uint64_t chunk,
                    enum reg_upload_outcome *outcome, struct osbox_err *err)
{
    _cleanup_free_ char *blob = osbox_strdup_printf("/v2/%s/blobs/%s", repo, d->digest);
    _cleanup_free_ char *what = osbox_strdup_printf("%s/%s blob %s", c->domain, repo, d->digest);
    _cleanup_free_ char *start = NULL, *loc = NULL, *put = NULL;
    _cleanup_close_ int fd = -1;
    struct reg_resp resp = { .content_length = -1 };
    struct stat st;
    int rc = -1;

    if (reg_call(c, "HEAD", blob, NULL, NULL, NULL, 0, &resp, err) < 0)
        goto out;
    if (resp.status == 200) {
        *outcome = REG_BLOB_PRESENT;
        rc = 0;
        goto out;
    }
    if (resp.status != 404 && expect(c, &resp, 404, what, err) < 0)
        goto out;
    if (mount_from)
        start = osbox_strdup_printf("/v2/%s/blobs/uploads/?mount=%s&from=%s", repo, d->digest,
                                    mount_from);
    else
        start = osbox_strdup_printf("/v2/%s/blobs/uploads/", repo);
    if (reg_call(c, "POST", start, NULL, NULL, NULL, 1 << 16, &resp, err) < 0)
        goto out;
    if (mount_from && resp.status == 201) {
        *outcome = REG_BLOB_MOUNTED;
        rc = 0;
        goto out;
    }
    if (expect(c, &resp, 202, what, err) < 0 || next_location(c, &resp, &loc, what, err) < 0)
        goto out;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0) {
        osbox_error(err, errno, "open %s", path);
        goto out;
    }
    if (st.st_size != d->size) {
        osbox_error(err, 0, "blob %s in the store has %lld bytes, the manifest says %lld", d->digest,
                    (long long)st.st_size, (long long)d->size);
        goto out;
    }
    uint64_t size = (uint64_t)d->size, off = 0;
    if (chunk && size > chunk) {
        while (off < size) {
            uint64_t n = size - off < chunk ? size - off : chunk;
            char range[64];
            snprintf(range, sizeof range, "%llu-%llu", (unsigned long long)off,
                     (unsigned long long)(off + n - 1));
            struct reg_body b = { .fd = fd, .offset = off, .len = n, .content_range = range };
            if (reg_call(c, "PATCH", loc, NULL, &b, NULL, 1 << 16, &resp, err) < 0 ||
                expect(c, &resp, 202, what, err) < 0 || next_location(c, &resp, &loc, what, err) < 0)
                goto out;
            off += n;
        }
        struct reg_body empty = { .fd = -1, .len = 0 };
        put = with_query(loc, "digest", d->digest);
        if (reg_call(c, "PUT", put, NULL, &empty, NULL, 1 << 16, &resp, err) < 0)
            goto out;
    } else {
        struct reg_body b = { .fd = fd, .offset = 0, .len = size };
        put = with_query(loc, "digest", d->digest);
        if (size == 0)
            b.fd = -1;
        if (reg_call(c, "PUT", put, NULL, &b, NULL, 1 << 16, &resp, err) < 0)
            goto out;
    }
    if (expect(c, &resp, 201, what, err) < 0)
        goto out;
    *outcome = REG_BLOB_SENT;
    rc = 0;
out:
    reg_resp_clear(&resp);
    return rc;
}
