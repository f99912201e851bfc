/* Guest physical memory: the only way devices reach guest RAM.
 * guest_ptr() turns (gpa, len) into a host pointer or NULL, checking that the
 * whole range lies inside one RAM slot without integer overflow. */
#ifndef OSBOX_VMM_GUEST_MEM_H
#define OSBOX_VMM_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUEST_MEM_MAX_SLOTS 2
#define GUEST_MMIO_GAP_START 0xc0000000ULL /* RAM stops here; MMIO up to 4 GiB */
#define GUEST_HIGH_RAM_START 0x100000000ULL

struct guest_slot {
    uint64_t gpa;
    uint64_t size;
    uint8_t *host;
};

struct guest_mem {
    struct guest_slot slots[GUEST_MEM_MAX_SLOTS];
    int nslots;
    uint8_t *base;      /* the whole mmap */
    uint64_t total;     /* bytes mapped */
};

/* Lay out `size` bytes over host memory at `host`: low RAM below the MMIO
 * gap, the rest above 4 GiB. Plain memory works too (unit tests). */
void guest_mem_layout(struct guest_mem *gm, uint8_t *host, uint64_t size);

static inline void *guest_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
    for (int i = 0; i < gm->nslots; i++) {
        const struct guest_slot *s = &gm->slots[i];
        if (gpa < s->gpa)
            continue;
        uint64_t off = gpa - s->gpa;
        if (off < s->size && len <= s->size - off)
            return s->host + off;
    }
    return NULL;
}

#endif
