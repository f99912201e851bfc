#ifndef GUEST_APIC_H
#define GUEST_APIC_H
#include "types.h"
#define HZ 100
void apic_init(void);
void lapic_eoi(void);
void ioapic_route(int gsi, int vector);
extern u64 tsc_hz;
bool ioapic2_present(void);
void lapic_setup(void);
u32 lapic_id(void);
void lapic_ipi(u32 apic_id, u32 icr_low);
void lapic_ipi_others(int vector);
#endif
