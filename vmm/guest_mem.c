/* Guest RAM layout: one host mapping split around the MMIO gap. */
#include "guest_mem.h"

void guest_mem_layout(struct guest_mem *gm, uint8_t *host, uint64_t size)
{
    uint64_t low = size < GUEST_MMIO_GAP_START ? size : GUEST_MMIO_GAP_START;

    gm->base = host;
    gm->total = size;
    gm->nslots = 1;
    gm->slots[0] = (struct guest_slot){ .gpa = 0, .size = low, .host = host };
    if (size > low) {
        gm->slots[1] = (struct guest_slot){ .gpa = GUEST_HIGH_RAM_START, .size = size - low,
                                            .host = host + low };
        gm->nslots = 2;
    }
}
