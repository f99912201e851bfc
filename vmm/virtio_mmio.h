/* The virtio-mmio v2 transport (virtio_mmio.c): a window and an IRQ per
 * device, in attach order (vmm.h's VMM_VIRTIO_*). */
#ifndef OSBOX_VMM_VIRTIO_MMIO_H
#define OSBOX_VMM_VIRTIO_MMIO_H

#include "virtio.h"

struct vm;
/* Give dev the next window; on failure dev is destroyed. */
int virtio_mmio_attach(struct vm *vm, struct virtio_dev *dev, struct osbox_err *err);
/* Stop every device's service thread and destroy the devices. */
void virtio_teardown_all(struct vm *vm);

#endif
