/* libFuzzer target: random guest memory holds the descriptor table and the
 * rings of a virtqueue; pop every chain it offers and serve it as a
 * virtio-blk request against a small disk. ASan/UBSan watch the monitor's
 * side: no out-of-bounds access, no endless loop, whatever the guest wrote. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/guest_mem.h"
#include "vmm/virtio_blk.h"
#include "vmm/virtio_mmio.h"
#include "vmm/virtq.h"

#define RAM (64 * 1024)

/* virtio_blk.c's attach needs the transport, which this target does not
 * link (it drives the device directly); nothing here attaches. */
int virtio_mmio_attach(struct vm *vm, struct virtio_dev *dev, struct osbox_err *err)
{
    (void)vm, (void)dev, (void)err;
    abort();
}

static uint8_t *ram;
static struct virtio_dev *blk;

static void init(void)
{
    static char path[] = "/tmp/osbox-fuzz-disk.XXXXXX";
    struct osbox_err err;
    int fd = mkstemp(path);

    if (fd < 0 || ftruncate(fd, 32 * 1024) < 0)
        abort();
    close(fd);
    blk = virtio_blk_new(path, false, &err);
    unlink(path);
    if (!blk)
        abort();
    ram = aligned_alloc(4096, RAM);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct guest_mem gm;
    struct virtq q = { 0 };
    struct virtq_chain c;
    const char *why;

    if (!ram)
        init();
    if (size < 8)
        return 0;
    /* Header: queue size and ring placement; the rest tiles guest RAM. */
    q.size = (uint16_t)(1u << (data[0] % 11));
    q.desc_gpa = (uint64_t)data[1] << 10;
    q.avail_gpa = ((uint64_t)data[2] << 8) | (data[3] & 0xfe);
    q.used_gpa = ((uint64_t)data[4] << 8) | (data[5] & 0xfc);
    data += 8, size -= 8;
    for (size_t off = 0; off < RAM; off += size ? size : RAM)
        memcpy(ram + off, data, size < RAM - off ? size : RAM - off);
    guest_mem_layout(&gm, ram, RAM);
    blk->mem = &gm;
    if (virtq_enable(&q, &gm, &why) < 0)
        return 0;
    for (int i = 0; i < 2 * q.size; i++) {
        uint32_t written;
        if (virtq_pop(&q, &gm, &c, &why) <= 0)
            break;
        if (virtio_blk_handle(blk, &c, &written, &why) < 0)
            break;
        virtq_push(&q, c.head, written);
    }
    return 0;
}
