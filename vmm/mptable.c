/* Intel MultiProcessor Specification 1.4 tables: one processor entry per
 * vCPU, an ISA bus, the in-kernel IOAPIC and its interrupt routing, so a
 * guest can find and start its APs. ISA IRQ n goes to IOAPIC pin n, as
 * KVM's default GSI routing delivers it. */
#include <string.h>

#include "boot.h"
#include "vm.h"

#define MP_IOAPIC_ADDR 0xfec00000u
#define MP_LAPIC_ADDR  0xfee00000u
#define MP_MAX_BYTES   0x10000

struct __attribute__((packed)) mp_floating {
    char sig[4];
    uint32_t physptr;
    uint8_t length, spec_rev, checksum, feature[5];
};

struct __attribute__((packed)) mp_config {
    char sig[4];
    uint16_t length;
    uint8_t spec_rev, checksum;
    char oem[8], product[12];
    uint32_t oem_ptr;
    uint16_t oem_size, count;
    uint32_t lapic;
    uint16_t ext_length;
    uint8_t ext_checksum, reserved;
};

struct __attribute__((packed)) mp_cpu {
    uint8_t type, apic_id, apic_ver, flags;
    uint32_t signature, features;
    uint32_t reserved[2];
};

struct __attribute__((packed)) mp_small { /* bus, IOAPIC, and interrupt entries: 8 bytes */
    uint8_t b[8];
};

static uint8_t checksum(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint8_t s = 0;

    while (n--)
        s = (uint8_t)(s + *b++);
    return (uint8_t)-s;
}

int mptable_write(struct guest_mem *gm, uint64_t gpa, int ncpus, int nirqs)
{
    size_t size = sizeof(struct mp_floating) + sizeof(struct mp_config) +
                  (size_t)ncpus * sizeof(struct mp_cpu) + (3 + (size_t)nirqs + 2) * 8;
    uint8_t *base = guest_ptr(gm, gpa, MP_MAX_BYTES), *p;
    struct mp_floating *fp = (void *)base;
    struct mp_config *cfg = (void *)(base + sizeof *fp);
    uint8_t ioapic_id = (uint8_t)ncpus;
    uint16_t count = 0;

    if (!base || size > MP_MAX_BYTES || ncpus > 254)
        return -1;
    memset(base, 0, size);
    p = (uint8_t *)(cfg + 1);
    for (int i = 0; i < ncpus; i++) {
        struct mp_cpu c = { .type = 0, .apic_id = (uint8_t)i, .apic_ver = 0x14,
                            .flags = (uint8_t)(1 | (i == 0 ? 2 : 0)),
                            .signature = 0x600, .features = 0x201 /* FPU, APIC */ };
        memcpy(p, &c, sizeof c);
        p += sizeof c;
        count++;
    }
    const uint8_t bus[8] = { 1, 0, 'I', 'S', 'A', ' ', ' ', ' ' };
    const uint8_t ioapic[8] = { 2, ioapic_id, 0x11, 1, MP_IOAPIC_ADDR & 0xff,
                                (MP_IOAPIC_ADDR >> 8) & 0xff, (MP_IOAPIC_ADDR >> 16) & 0xff,
                                MP_IOAPIC_ADDR >> 24 };
    memcpy(p, bus, 8), p += 8, count++;
    memcpy(p, ioapic, 8), p += 8, count++;
    for (int irq = 0; irq < nirqs; irq++) {
        /* type 3 io interrupt, INT, conforming polarity/trigger, ISA bus irq -> pin */
        const uint8_t e[8] = { 3, 0, 0, 0, 0, (uint8_t)irq, ioapic_id, (uint8_t)irq };
        memcpy(p, e, 8), p += 8, count++;
    }
    const uint8_t lint0[8] = { 4, 3, 0, 0, 0, 0, 0xff, 0 }; /* ExtINT -> LINT0 */
    const uint8_t lint1[8] = { 4, 1, 0, 0, 0, 0, 0xff, 1 }; /* NMI -> LINT1 */
    memcpy(p, lint0, 8), p += 8, count++;
    memcpy(p, lint1, 8), p += 8, count++;

    memcpy(cfg->sig, "PCMP", 4);
    cfg->length = (uint16_t)(p - (uint8_t *)cfg);
    cfg->spec_rev = 4;
    memcpy(cfg->oem, "OSBOX   ", 8);
    memcpy(cfg->product, "OSBOX VM    ", 12);
    cfg->count = count;
    cfg->lapic = MP_LAPIC_ADDR;
    cfg->checksum = checksum(cfg, cfg->length);

    memcpy(fp->sig, "_MP_", 4);
    fp->physptr = (uint32_t)(gpa + sizeof *fp);
    fp->length = 1;
    fp->spec_rev = 4;
    fp->checksum = checksum(fp, sizeof *fp);
    return 0;
}
