/* Split virtqueues (virtio 1.x, section 2.7) over checked guest memory.
 * Pure logic with no KVM in sight, so unit tests and the fuzzer drive it
 * against plain memory. Everything read from the rings is guest-controlled:
 * indices are range-checked, chains are bounded by the queue size (a loop
 * cannot run forever) and every buffer is resolved through guest_ptr(). */
#ifndef OSBOX_VMM_VIRTQ_H
#define OSBOX_VMM_VIRTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"

#define VIRTQ_MAX_SIZE 1024
#define VIRTQ_MAX_CHAIN 64   /* longest descriptor chain a device accepts */

#define VIRTQ_DESC_F_NEXT     1
#define VIRTQ_DESC_F_WRITE    2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
};

struct virtq {
    uint16_t size;              /* entries, a power of two */
    uint64_t desc_gpa, avail_gpa, used_gpa;
    /* resolved when the queue is enabled */
    struct virtq_desc *desc;
    uint16_t *avail;            /* flags, idx, ring[size] */
    uint8_t *used;              /* flags, idx, ring[size] of {id, len} */
    uint16_t last_avail;
    bool ready;
};

struct virtq_buf {
    uint8_t *host;
    uint32_t len;
    bool writable;              /* device writes into it */
};

struct virtq_chain {
    uint16_t head;
    int n;
    struct virtq_buf buf[VIRTQ_MAX_CHAIN];
    uint64_t readable, writable; /* byte totals */
};

/* Check the ring addresses and size, and resolve them. <0 with why set if bad. */
int virtq_enable(struct virtq *q, const struct guest_mem *gm, const char **why);

/* Take the next available chain: 1 got one, 0 queue empty, <0 malformed
 * (why says how; the device should stop using the queue). */
int virtq_pop(struct virtq *q, const struct guest_mem *gm, struct virtq_chain *c,
              const char **why);

/* Return a chain to the driver with `written` bytes written into it. */
void virtq_push(struct virtq *q, uint16_t head, uint32_t written);

/* Return n chains at once, published by one index update: a driver never
 * sees a frame's first merged buffer without the rest (virtio-net). */
void virtq_push_n(struct virtq *q, const uint16_t *heads, const uint32_t *written, int n);

/* Does the driver want an interrupt for the used buffers? */
bool virtq_should_notify(const struct virtq *q);

#endif
