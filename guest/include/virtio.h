/* virtio-mmio v2 registers and the split virtqueue layout (virtio 1.x spec). */
#ifndef GUEST_VIRTIO_H
#define GUEST_VIRTIO_H
#include "types.h"
#include "mm.h"

#define VIRTIO_MMIO_MAGIC 0x000
#define VIRTIO_MMIO_VERSION 0x004
#define VIRTIO_MMIO_DEVICE_ID 0x008
#define VIRTIO_MMIO_DEVICE_FEATURES 0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES 0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL 0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX 0x034
#define VIRTIO_MMIO_QUEUE_NUM 0x038
#define VIRTIO_MMIO_QUEUE_READY 0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS 0x060
#define VIRTIO_MMIO_INTERRUPT_ACK 0x064
#define VIRTIO_MMIO_STATUS 0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW 0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH 0x084
#define VIRTIO_MMIO_QUEUE_AVAIL_LOW 0x090
#define VIRTIO_MMIO_QUEUE_AVAIL_HIGH 0x094
#define VIRTIO_MMIO_QUEUE_USED_LOW 0x0a0
#define VIRTIO_MMIO_QUEUE_USED_HIGH 0x0a4

#define VIRTIO_F_VERSION_1 (1UL << 32)
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2
#define VQ_SIZE 64

struct vring_desc { u64 addr; u32 len; u16 flags, next; };
struct vring_avail { u16 flags, idx, ring[]; };
struct vring_used_elem { u32 id, len; };
struct vring_used { u16 flags; volatile u16 idx; struct vring_used_elem ring[]; };

struct virtq {
    u32 num;
    struct vring_desc *desc;
    struct vring_avail *avail;
    struct vring_used *used;
    u16 last_used;
};
struct virtio_dev {
    u64 base;
    int gsi;
    u32 device_id;
    u64 features;
    struct virtq vq;
};
int virtio_init_dev(struct virtio_dev *d, u64 features_wanted);
void virtio_notify(struct virtio_dev *d);
u64 virtio_offered_features(struct virtio_dev *d);
int virtio_init_queues(struct virtio_dev *d, u64 features_wanted, struct virtq *qs, int nq);
void virtio_notify_queue(struct virtio_dev *d, u32 q);
u32 virtio_ack_irq(struct virtio_dev *d);
u32 virtio_cfg_read32(struct virtio_dev *d, u32 off);
void virtio_blk_attach(struct virtio_dev *d);
void virtio_net_attach(struct virtio_dev *d);
#endif
