/* Address-range dispatch for port I/O and MMIO exits. */
#include <string.h>

#include "bus.h"

int bus_register(struct bus *bus, uint64_t base, uint64_t len, const struct bus_ops *ops,
                 void *opaque)
{
    if (bus->n >= BUS_MAX_RANGES || len == 0 || base + len < base)
        return -1;
    for (int i = 0; i < bus->n; i++) {
        struct bus_range *r = &bus->ranges[i];
        if (base < r->base + r->len && r->base < base + len)
            return -1;
    }
    bus->ranges[bus->n++] = (struct bus_range){ base, len, ops, opaque };
    return 0;
}

/* An access belongs to the range its first byte falls in (as an I/O decoder
 * sees it); devices check that off + len stays inside what they implement. */
static struct bus_range *find(struct bus *bus, uint64_t addr)
{
    for (int i = 0; i < bus->n; i++) {
        struct bus_range *r = &bus->ranges[i];
        if (addr >= r->base && addr - r->base < r->len)
            return r;
    }
    return NULL;
}

bool bus_read(struct bus *bus, uint64_t addr, void *data, uint32_t len)
{
    struct bus_range *r = find(bus, addr);

    if (!r || !r->ops->read) {
        memset(data, 0xff, len);
        return r != NULL;
    }
    r->ops->read(r->opaque, addr - r->base, data, len);
    return true;
}

bool bus_write(struct bus *bus, uint64_t addr, const void *data, uint32_t len)
{
    struct bus_range *r = find(bus, addr);

    if (!r)
        return false;
    if (r->ops->write)
        r->ops->write(r->opaque, addr - r->base, data, len);
    return true;
}
