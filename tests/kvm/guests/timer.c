/* mode=timer: take LAPIC timer interrupts, then PIT interrupts routed
 * through the in-kernel IOAPIC (ISA IRQ 0 -> pin 0, as the MP table says). */
#include "guest.h"

#define LAPIC 0xfee00000UL
#define IOAPIC 0xfec00000UL

extern void isr_lapic(void), isr_pit(void);

static void ioapic_route(int pin, int vector)
{
    mmio_w32(IOAPIC, 0x10 + 2 * pin + 1);
    mmio_w32(IOAPIC + 0x10, 0);            /* destination APIC 0 */
    mmio_w32(IOAPIC, 0x10 + 2 * pin);
    mmio_w32(IOAPIC + 0x10, (u32)vector);  /* fixed, edge, unmasked */
}

static int wait_ticks(volatile u32 *counter, u32 want)
{
    u64 end = rdtsc() + 3000ULL * 3000000ULL;
    while (*counter < want)
        if (rdtsc() > end)
            return -1;
    return 0;
}

int mode_timer(void)
{
    /* Mask the 8259s: KVM wires LINT0 to them in virtual-wire mode. */
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
    set_idt_gate(32, isr_lapic);
    set_idt_gate(33, isr_pit);
    mmio_w32(LAPIC + 0xf0, 0x1ff);         /* software enable, spurious vector 0xff */
    mmio_w32(LAPIC + 0x3e0, 0x3);          /* divide by 16 */
    mmio_w32(LAPIC + 0x320, 32 | (1 << 17)); /* periodic, vector 32 */
    mmio_w32(LAPIC + 0x380, 200000);
    __asm__ volatile("sti");
    if (wait_ticks(&lapic_ticks, 5) < 0) {
        puts("timer FAIL: no LAPIC timer interrupts\n");
        return 1;
    }
    mmio_w32(LAPIC + 0x380, 0);
    mmio_w32(LAPIC + 0x320, 1 << 16);      /* masked */

    outb(0x43, 0x34);                      /* PIT channel 0, mode 2, lo/hi */
    outb(0x40, 11932 & 0xff);              /* ~100 Hz */
    outb(0x40, 11932 >> 8);
    ioapic_route(0, 33);
    if (wait_ticks(&pit_ticks, 5) < 0) {
        puts("timer FAIL: no PIT interrupts through the IOAPIC\n");
        return 2;
    }
    __asm__ volatile("cli");
    puts("timer ok: lapic ticks ");
    put_dec(lapic_ticks);
    puts(", pit ticks ");
    put_dec(pit_ticks);
    puts("\n");
    return 0;
}
