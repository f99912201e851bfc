/* virtio-blk (virtio_blk.c): read, write, flush, get-id, read-only. */
#ifndef OSBOX_VMM_VIRTIO_BLK_H
#define OSBOX_VMM_VIRTIO_BLK_H

#include "virtio.h"

struct vmm_disk;
struct virtio_dev *virtio_blk_new(const char *path, bool read_only, struct osbox_err *err);
/* The same on a disk vmm_disk_open() opened: takes fd (closed on failure too). */
struct virtio_dev *virtio_blk_new_fd(int fd, const char *name, bool read_only,
                                     struct osbox_err *err);

/* The request logic, exposed for unit tests: handles one chain and returns
 * the bytes written to the driver, or <0 (with *why) for a malformed chain. */
int virtio_blk_handle(struct virtio_dev *dev, const struct virtq_chain *c, uint32_t *written,
                      const char **why);

/* A disk of cfg->disks as the next virtio-mmio device of vm. */
struct vm;
int virtio_blk_attach(struct vm *vm, const struct vmm_disk *disk, struct osbox_err *err);

#endif
