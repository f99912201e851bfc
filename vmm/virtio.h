/* Virtio devices and their transport. A device (virtio_blk.h, virtio_net.h)
 * implements features, config space and queue handling once; the transport
 * (virtio_mmio.h now, PCI later) owns the register file, the ioeventfd
 * kicks, the irqfd interrupt and the device's service thread. */
#ifndef OSBOX_VMM_VIRTIO_H
#define OSBOX_VMM_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>

#include "guest_mem.h"
#include "osbox_err.h"
#include "virtq.h"

#define VIRTIO_MAX_QUEUES 4

#define VIRTIO_F_VERSION_1 (1ULL << 32)

#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER      2
#define VIRTIO_STATUS_DRIVER_OK   4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED      0x80

#define VIRTIO_ISR_USED   1
#define VIRTIO_ISR_CONFIG 2

struct virtio_dev;

struct virtio_dev_ops {
    const char *name;
    uint32_t device_id;
    int nqueues;
    uint16_t queue_max;
    uint64_t (*features)(struct virtio_dev *dev);
    /* Config space bytes (read-only to the driver here). */
    const void *(*config)(struct virtio_dev *dev, uint32_t *len);
    /* Drain queue q; runs on the transport's thread with its lock held.
     * <0 with *why set means the driver broke the protocol. */
    int (*queue_notify)(struct virtio_dev *dev, int q, const char **why);
    /* An extra fd the service thread should wait on (a TAP for virtio-net),
     * or -1, and what to do when it is readable. */
    int (*backend_fd)(struct virtio_dev *dev);
    int (*backend_ready)(struct virtio_dev *dev, const char **why);
    /* The driver's features are final (FEATURES_OK, again after every
     * reset): set the backend up for them. <0 with *why refuses them. */
    int (*activate)(struct virtio_dev *dev, const char **why);
    void (*reset)(struct virtio_dev *dev);
    void (*destroy)(struct virtio_dev *dev);
};

struct virtio_dev {
    const struct virtio_dev_ops *ops;
    const struct guest_mem *mem;
    struct virtq vq[VIRTIO_MAX_QUEUES];
    uint64_t driver_features;
    /* Set by the transport: tell the driver about used buffers; put a
     * line about the device on the monitor's stderr (may be NULL). */
    void (*interrupt)(struct virtio_dev *dev);
    void (*log)(struct virtio_dev *dev, const char *msg);
    void *transport;
};

/* Push a used chain and interrupt the driver if it wants that. */
void virtio_used(struct virtio_dev *dev, int q, uint16_t head, uint32_t written);

#endif
