/* Virtio devices and their transport. A device (virtio_blk.c, later
 * virtio_net.c) implements features, config space and queue handling once;
 * the transport (virtio_mmio.c now, PCI later) owns the register file, the
 * ioeventfd kicks, the irqfd interrupt and the device's service thread. */
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
    void (*reset)(struct virtio_dev *dev);
    void (*destroy)(struct virtio_dev *dev);
};

struct virtio_dev {
    const struct virtio_dev_ops *ops;
    const struct guest_mem *mem;
    struct virtq vq[VIRTIO_MAX_QUEUES];
    uint64_t driver_features;
    /* Set by the transport: tell the driver about used buffers. */
    void (*interrupt)(struct virtio_dev *dev);
    void *transport;
};

/* Push a used chain and interrupt the driver if it wants that. */
void virtio_used(struct virtio_dev *dev, int q, uint16_t head, uint32_t written);

/* virtio_blk.c */
struct vmm_disk;
struct virtio_dev *virtio_blk_new(const char *path, bool read_only, struct osbox_err *err);

/* The request logic, exposed for unit tests: handles one chain and returns
 * the bytes written to the driver, or <0 (with *why) for a malformed chain. */
int virtio_blk_handle(struct virtio_dev *dev, const struct virtq_chain *c, uint32_t *written,
                      const char **why);

/* virtio_net.c: tap_fd is the caller's (non-blocking, no vnet header). */
#define VIRTIO_NET_HDR_LEN 12        /* virtio_net_hdr with num_buffers (VERSION_1) */
#define VIRTIO_NET_FRAME_MAX 65550   /* largest frame either way */
#define VIRTIO_NET_MIN_RXBUF 1514    /* receive buffers hold a full frame (no MRG_RXBUF) */
struct virtio_net_stats {
    uint64_t rx_frames, rx_dropped, tx_frames, tx_dropped;
};
struct virtio_dev *virtio_net_new(int tap_fd, const uint8_t mac[6], struct osbox_err *err);
/* The queue logic, exposed for unit tests: drain the transmit queue to the
 * TAP; move frames from the TAP into receive buffers. <0 (with *why) when
 * the driver broke the protocol. */
int virtio_net_tx(struct virtio_dev *dev, const char **why);
int virtio_net_rx(struct virtio_dev *dev, const char **why);
const struct virtio_net_stats *virtio_net_stats(struct virtio_dev *dev);

/* virtio_mmio.c */
struct vm;
int virtio_mmio_attach(struct vm *vm, struct virtio_dev *dev, struct osbox_err *err);
int virtio_blk_attach(struct vm *vm, const struct vmm_disk *disk, struct osbox_err *err);
int virtio_net_attach(struct vm *vm, int tap_fd, const uint8_t mac[6], struct osbox_err *err);
void virtio_teardown_all(struct vm *vm);

#endif
