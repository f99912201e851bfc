/* virtio-blk (virtio 1.x, section 5.2): read, write, flush and get-id on a
 * raw disk file, optionally read-only. Requests are served on the
 * transport's thread with plain preadv/pwritev: one request in flight per
 * kick keeps it simple, and the page cache makes that fast enough here. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"
#include "virtio_blk.h"
#include "virtio_mmio.h"
#include "vm.h"

#define VIRTIO_ID_BLOCK 2
#define VIRTIO_BLK_F_SEG_MAX  (1ULL << 2)
#define VIRTIO_BLK_F_RO       (1ULL << 5)
#define VIRTIO_BLK_F_BLK_SIZE (1ULL << 6)
#define VIRTIO_BLK_F_FLUSH    (1ULL << 9)

#define VIRTIO_BLK_T_IN     0
#define VIRTIO_BLK_T_OUT    1
#define VIRTIO_BLK_T_FLUSH  4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2
#define VIRTIO_BLK_ID_BYTES 20
#define SECTOR 512

struct __attribute__((packed)) blk_config {
    uint64_t capacity;          /* 512-byte sectors */
    uint32_t size_max;
    uint32_t seg_max;
    uint16_t cylinders;
    uint8_t heads, sectors;
    uint32_t blk_size;
};

struct virtio_blk {
    struct virtio_dev dev;
    int fd;
    bool ro;
    uint64_t bytes;
    struct blk_config config;
    char id[VIRTIO_BLK_ID_BYTES];
};

static struct virtio_blk *to_blk(struct virtio_dev *d)
{
    return (struct virtio_blk *)d;
}

static uint64_t blk_features(struct virtio_dev *d)
{
    return VIRTIO_F_VERSION_1 | VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_BLK_SIZE |
           VIRTIO_BLK_F_FLUSH | (to_blk(d)->ro ? VIRTIO_BLK_F_RO : 0);
}

static const void *blk_config(struct virtio_dev *d, uint32_t *len)
{
    *len = sizeof to_blk(d)->config;
    return &to_blk(d)->config;
}

/* Build an iovec over `len` bytes of the chain's buffers [from, to), skipping
 * `skip` bytes first. Returns the number of entries. */
static int gather(const struct virtq_chain *c, int from, int to, uint64_t skip, uint64_t len,
                  struct iovec *iov)
{
    int n = 0;

    for (int i = from; i < to && len; i++) {
        uint64_t l = c->buf[i].len;
        if (skip >= l) {
            skip -= l;
            continue;
        }
        uint64_t take = l - skip < len ? l - skip : len;
        iov[n++] = (struct iovec){ c->buf[i].host + skip, take };
        len -= take;
        skip = 0;
    }
    return n;
}

/* Read or write all of iov at off; false on any error or short transfer. */
static bool do_io(int fd, bool write, struct iovec *iov, int n, uint64_t off, uint64_t len)
{
    while (len) {
        ssize_t r = write ? pwritev(fd, iov, n, (off_t)off) : preadv(fd, iov, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        off += (uint64_t)r;
        len -= (uint64_t)r;
        while (n && (size_t)r >= iov->iov_len) {
            r -= (ssize_t)iov->iov_len;
            iov++, n--;
        }
        if (n) {
            iov->iov_base = (uint8_t *)iov->iov_base + r;
            iov->iov_len -= (size_t)r;
        }
    }
    return true;
}

int virtio_blk_handle(struct virtio_dev *d, const struct virtq_chain *c, uint32_t *written,
                      const char **why)
{
    struct virtio_blk *b = to_blk(d);
    struct { uint32_t type, reserved; uint64_t sector; } hdr;
    struct iovec iov[VIRTQ_MAX_CHAIN];
    int nread = 0, n;
    uint8_t status = VIRTIO_BLK_S_OK, *statusp;
    uint64_t data_len, off;

    while (nread < c->n && !c->buf[nread].writable)
        nread++;
    if (c->readable < sizeof hdr || c->writable < 1 || c->writable > UINT32_MAX) {
        *why = "block request without a header or a status byte";
        return -1;
    }
    n = gather(c, 0, nread, 0, sizeof hdr, iov);
    uint8_t *h = (uint8_t *)&hdr;
    for (int i = 0; i < n; i++)
        memcpy(h, iov[i].iov_base, iov[i].iov_len), h += iov[i].iov_len;
    const struct virtq_buf *last = &c->buf[c->n - 1];
    if (last->len == 0) {
        *why = "block request whose last buffer is empty";
        return -1;
    }
    statusp = last->host + last->len - 1;
    *written = 1;

    switch (hdr.type) {
    case VIRTIO_BLK_T_IN:
    case VIRTIO_BLK_T_OUT: {
        bool out = hdr.type == VIRTIO_BLK_T_OUT;
        data_len = out ? c->readable - sizeof hdr : c->writable - 1;
        off = hdr.sector * SECTOR;
        if (out && b->ro) {
            status = VIRTIO_BLK_S_IOERR;
        } else if (data_len % SECTOR || hdr.sector > b->bytes / SECTOR ||
                   data_len > b->bytes - off) {
            status = VIRTIO_BLK_S_IOERR;
        } else if (data_len) {
            n = out ? gather(c, 0, nread, sizeof hdr, data_len, iov)
                    : gather(c, nread, c->n, 0, data_len, iov);
            if (!do_io(b->fd, out, iov, n, off, data_len))
                status = VIRTIO_BLK_S_IOERR;
            else if (!out)
                *written += (uint32_t)data_len;
        }
        break;
    }
    case VIRTIO_BLK_T_FLUSH:
        if (!b->ro && fdatasync(b->fd) < 0)
            status = VIRTIO_BLK_S_IOERR;
        break;
    case VIRTIO_BLK_T_GET_ID:
        data_len = c->writable - 1 < VIRTIO_BLK_ID_BYTES ? c->writable - 1 : VIRTIO_BLK_ID_BYTES;
        n = gather(c, nread, c->n, 0, data_len, iov);
        const char *src = b->id;
        for (int i = 0; i < n; i++)
            memcpy(iov[i].iov_base, src, iov[i].iov_len), src += iov[i].iov_len;
        *written += (uint32_t)data_len;
        break;
    default:
        status = VIRTIO_BLK_S_UNSUPP;
    }
    *statusp = status;
    return 0;
}

static int blk_notify(struct virtio_dev *d, int q, const char **why)
{
    struct virtq_chain c;
    uint32_t written;
    int r;

    /* Bounded: at most one pass over the ring per kick; the driver kicks again. */
    for (int i = 0; i < d->vq[q].size; i++) {
        r = virtq_pop(&d->vq[q], d->mem, &c, why);
        if (r <= 0)
            return r;
        if (virtio_blk_handle(d, &c, &written, why) < 0)
            return -1;
        virtio_used(d, q, c.head, written);
    }
    return 0;
}

static void blk_destroy(struct virtio_dev *d)
{
    struct virtio_blk *b = to_blk(d);

    if (b->fd >= 0)
        close(b->fd);
    free(b);
}

static const struct virtio_dev_ops blk_ops = {
    .name = "virtio-blk",
    .device_id = VIRTIO_ID_BLOCK,
    .nqueues = 1,
    .queue_max = 256,
    .features = blk_features,
    .config = blk_config,
    .queue_notify = blk_notify,
    .destroy = blk_destroy,
};

int vmm_disk_open(const char *path, bool read_only, struct osbox_err *err)
{
    struct stat st;
    int fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);

    if (fd < 0)
        return osbox_error(err, errno, "open disk %s", path);
    /* Two writers on one image would corrupt it; readers may share. The lock
     * belongs to the open file, so the monitor's copy of the fd holds it. */
    if (flock(fd, (read_only ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
        osbox_error(err, errno, "disk %s is in use by another VM", path);
        goto fail;
    }
    if (fstat(fd, &st) < 0) {
        osbox_error(err, errno, "stat disk %s", path);
        goto fail;
    }
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
        osbox_error(err, 0, "disk %s is not a file or block device", path);
        goto fail;
    }
    return fd;
fail:
    close(fd);
    return -1;
}

struct virtio_dev *virtio_blk_new_fd(int fd, const char *name, bool read_only,
                                     struct osbox_err *err)
{
    struct virtio_blk *b = calloc(1, sizeof *b);
    _cleanup_free_ char *copy = osbox_xstrdup(name);
    struct stat st;

    if (!b) {
        close(fd);
        osbox_error(err, ENOMEM, "virtio-blk");
        return NULL;
    }
    b->dev.ops = &blk_ops;
    b->ro = read_only;
    b->fd = fd;
    if (fstat(b->fd, &st) < 0) {
        osbox_error(err, errno, "stat disk %s", name);
        goto fail;
    }
    if (S_ISBLK(st.st_mode)) {
        off_t end = lseek(b->fd, 0, SEEK_END);
        st.st_size = end < 0 ? 0 : end;
    }
    b->bytes = (uint64_t)st.st_size & ~(uint64_t)(SECTOR - 1);
    b->config.capacity = b->bytes / SECTOR;
    b->config.seg_max = VIRTQ_MAX_CHAIN - 2;
    b->config.blk_size = SECTOR;
    /* The ID is 20 bytes, NUL-padded but not NUL-terminated when full. */
    const char *base = basename(copy);
    memcpy(b->id, base, strnlen(base, sizeof b->id));
    return &b->dev;
fail:
    blk_destroy(&b->dev);
    return NULL;
}

struct virtio_dev *virtio_blk_new(const char *path, bool read_only, struct osbox_err *err)
{
    int fd = vmm_disk_open(path, read_only, err);

    return fd < 0 ? NULL : virtio_blk_new_fd(fd, path, read_only, err);
}

int virtio_blk_attach(struct vm *vm, const struct vmm_disk *disk, struct osbox_err *err)
{
    struct virtio_dev *dev;
    int fd = fcntl(disk->fd, F_DUPFD_CLOEXEC, 3);

    if (fd < 0)
        return osbox_error(err, errno, "disk %s", disk->path);
    if (!(dev = virtio_blk_new_fd(fd, disk->path, disk->read_only, err)))
        return -1;
    return virtio_mmio_attach(vm, dev, err);
}
