/* Helpers every virtio device shares. */
#include "virtio.h"

void virtio_used(struct virtio_dev *dev, int q, uint16_t head, uint32_t written)
{
    virtq_push(&dev->vq[q], head, written);
    if (dev->interrupt && virtq_should_notify(&dev->vq[q]))
        dev->interrupt(dev);
}
