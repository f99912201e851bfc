/* A bus of address ranges (port I/O or MMIO). Devices register a range with
 * read/write callbacks at setup; vCPU threads dispatch exits to them.
 * Registration happens before any vCPU runs, so dispatch takes no lock;
 * devices lock their own state. */
#ifndef OSBOX_VMM_BUS_H
#define OSBOX_VMM_BUS_H

#include <stdbool.h>
#include <stdint.h>

#define BUS_MAX_RANGES 32

struct bus_ops {
    /* off is relative to the range base; len is 1, 2, 4 or 8. */
    void (*read)(void *opaque, uint64_t off, void *data, uint32_t len);
    void (*write)(void *opaque, uint64_t off, const void *data, uint32_t len);
};

struct bus_range {
    uint64_t base, len;
    const struct bus_ops *ops;
    void *opaque;
};

struct bus {
    struct bus_range ranges[BUS_MAX_RANGES];
    int n;
};

/* Fails (-1) on overlap or a full bus. */
int bus_register(struct bus *bus, uint64_t base, uint64_t len, const struct bus_ops *ops,
                 void *opaque);
/* False if nothing claims addr; reads of unclaimed space return all ones. */
bool bus_read(struct bus *bus, uint64_t addr, void *data, uint32_t len);
bool bus_write(struct bus *bus, uint64_t addr, const void *data, uint32_t len);

#endif
