/* Split virtqueue: pop available chains, push used ones. */
#include <string.h>

#include "virtq.h"

static inline uint16_t load16(const uint16_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

int virtq_enable(struct virtq *q, const struct guest_mem *gm, const char **why)
{
    uint64_t n = q->size;

    if (n == 0 || n > VIRTQ_MAX_SIZE || (n & (n - 1))) {
        *why = "queue size is not a power of two up to 1024";
        return -1;
    }
    if ((q->desc_gpa & 15) || (q->avail_gpa & 1) || (q->used_gpa & 3)) {
        *why = "queue ring is misaligned";
        return -1;
    }
    q->desc = guest_ptr(gm, q->desc_gpa, 16 * n);
    q->avail = guest_ptr(gm, q->avail_gpa, 6 + 2 * n);
    q->used = guest_ptr(gm, q->used_gpa, 6 + 8 * n);
    if (!q->desc || !q->avail || !q->used) {
        *why = "queue ring lies outside guest RAM";
        return -1;
    }
    q->last_avail = 0;
    q->ready = true;
    return 0;
}

int virtq_pop(struct virtq *q, const struct guest_mem *gm, struct virtq_chain *c,
              const char **why)
{
    uint16_t avail_idx, idx, head;
    bool seen_writable = false;

    if (!q->ready)
        return 0;
    avail_idx = load16(&q->avail[1]);
    if (avail_idx == q->last_avail)
        return 0;
    if ((uint16_t)(avail_idx - q->last_avail) > q->size) {
        *why = "available index moved by more than the queue size";
        return -1;
    }
    head = load16(&q->avail[2 + (q->last_avail & (q->size - 1))]);
    if (head >= q->size) {
        *why = "available ring names a descriptor out of range";
        return -1;
    }
    c->n = 0;
    c->readable = c->writable = 0;
    c->head = head;
    idx = head;
    /* A chain visits at most `size` descriptors: more means a loop. */
    for (int visited = 0;; visited++) {
        struct virtq_desc d;

        if (visited >= q->size) {
            *why = "descriptor chain loops";
            return -1;
        }
        if (c->n >= VIRTQ_MAX_CHAIN) {
            *why = "descriptor chain is too long";
            return -1;
        }
        memcpy(&d, &q->desc[idx], sizeof d);
        if (d.flags & VIRTQ_DESC_F_INDIRECT) {
            *why = "indirect descriptor (not negotiated)";
            return -1;
        }
        struct virtq_buf *b = &c->buf[c->n++];
        b->host = guest_ptr(gm, d.addr, d.len);
        if (!b->host) {
            *why = "descriptor buffer lies outside guest RAM";
            return -1;
        }
        b->len = d.len;
        b->writable = d.flags & VIRTQ_DESC_F_WRITE;
        if (b->writable) {
            seen_writable = true;
            c->writable += d.len;
        } else if (seen_writable) {
            *why = "device-readable descriptor after a device-writable one";
            return -1;
        } else {
            c->readable += d.len;
        }
        if (!(d.flags & VIRTQ_DESC_F_NEXT))
            break;
        if (d.next >= q->size) {
            *why = "descriptor names a next descriptor out of range";
            return -1;
        }
        idx = d.next;
    }
    q->last_avail++;
    return 1;
}

void virtq_push_n(struct virtq *q, const uint16_t *heads, const uint32_t *written, int n)
{
    uint16_t *used_idx = (uint16_t *)(q->used + 2);
    uint16_t i = *used_idx;

    for (int k = 0; k < n; k++) {
        uint8_t *elem = q->used + 4 + 8 * (size_t)((uint16_t)(i + k) & (q->size - 1));
        uint32_t id = heads[k];
        memcpy(elem, &id, 4);
        memcpy(elem + 4, &written[k], 4);
    }
    /* The elements must be visible before the index that publishes them. */
    __atomic_store_n(used_idx, (uint16_t)(i + n), __ATOMIC_RELEASE);
}

void virtq_push(struct virtq *q, uint16_t head, uint32_t written)
{
    virtq_push_n(q, &head, &written, 1);
}

bool virtq_should_notify(const struct virtq *q)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return !(load16(&q->avail[0]) & VIRTQ_AVAIL_F_NO_INTERRUPT);
}
