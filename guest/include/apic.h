#ifndef GUEST_APIC_H
#define GUEST_APIC_H
#include "types.h"
#define HZ 100
void apic_init(void);
void lapic_eoi(void);
void ioapic_route(int gsi, int vector);
extern u64 tsc_hz;
bool ioapic2_present(void);
#endif
