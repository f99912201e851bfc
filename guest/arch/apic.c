/* Local APIC (timer, EOI), I/O APIC routing, legacy PIC masked, and the
 * PIT used once to calibrate the TSC and the LAPIC timer. */
#include "kernel.h"
#include "apic.h"
#include "trap.h"
#include "boot.h"

#define LAPIC ((volatile u32 *)P2V(OSBOX_LAPIC_BASE))
#define IOAPIC ((volatile u32 *)P2V(OSBOX_IOAPIC_BASE))
u64 tsc_hz;
static u64 lapic_hz;

static void lapic_w(u32 reg, u32 v) { LAPIC[reg / 4] = v; }
static u32 lapic_r(u32 reg) { return LAPIC[reg / 4]; }
void lapic_eoi(void) { lapic_w(0xb0, 0); }

#define IOAPIC2 ((volatile u32 *)P2V(OSBOX_IOAPIC_BASE + 0x10000))
static void ioapic_w(u32 reg, u32 v) { IOAPIC[0] = reg; IOAPIC[4] = v; }
static void ioapic2_w(u32 reg, u32 v) { IOAPIC2[0] = reg; IOAPIC2[4] = v; }

/* QEMU microvm adds a second I/O APIC (GSIs 24-47) and then puts its
 * virtio-mmio interrupts there. */
bool ioapic2_present(void)
{
    IOAPIC2[0] = 1;
    u32 ver = IOAPIC2[4];
    return ver != 0xffffffff && ver != 0;
}

void ioapic_route(int gsi, int vector)
{
    if (gsi >= 24) {
        ioapic2_w(0x11 + 2 * (gsi - 24), 0);
        ioapic2_w(0x10 + 2 * (gsi - 24), (u32)vector);
        return;
    }
    ioapic_w(0x11 + 2 * gsi, 0);            /* destination: APIC 0 */
    ioapic_w(0x10 + 2 * gsi, (u32)vector);  /* fixed, physical, edge, active high, unmasked */
}

/* Read PIT channel 0's current count (latched). */
static u16 pit_read(void)
{
    outb(0x43, 0x00);
    u8 lo = inb(0x40);
    return lo | (u16)inb(0x40) << 8;
}

/* Wait ~10 ms (11932 PIT ticks) on channel 0 counting down from 0xffff;
 * returns false when there is no PIT (the count never moves). */
static bool pit_wait_10ms(void)
{
    outb(0x43, 0x34);       /* channel 0, lo/hi, mode 2 */
    outb(0x40, 0xff);
    outb(0x40, 0xff);
    u16 last = pit_read();
    u32 elapsed = 0;
    for (long i = 0; i < 50000000L; i++) {
        u16 now = pit_read();
        elapsed += (u16)(last - now);
        last = now;
        if (elapsed >= 11932) return true;
    }
    return false;
}

/* Under KVM no calibration is needed: the paravirtual clock states the
 * TSC rate (ns = ((ticks << shift) * mul) >> 32), and KVM's local APIC
 * timer counts a 1 GHz bus clock.  Calibrating against the PIT instead
 * costs 30 ms of boot and, where kernel code is emulated, more. */
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01
static bool kvm_rates(u64 *tsc, u64 *lapic)
{
    static struct {
        u32 version, pad0;
        u64 tsc_timestamp, system_time;
        u32 mul;
        s8 shift;
        u8 flags, pad[2];
    } __attribute__((aligned(64))) ti;
    u32 a, b, c, d;
    cpuid(0x40000000, &a, &b, &c, &d);
    if (b != 0x4b4d564b || c != 0x564b4d56 || d != 0x4d || a < 0x40000001) return false;
    cpuid(0x40000001, &a, &b, &c, &d);
    if (!(a & (1u << 3))) return false;         /* KVM_FEATURE_CLOCKSOURCE2 */
    wrmsr(MSR_KVM_SYSTEM_TIME_NEW, V2P(&ti) | 1);
    u32 ver = *(volatile u32 *)&ti.version;
    u32 mul = *(volatile u32 *)&ti.mul;
    s8 shift = *(volatile s8 *)&ti.shift;
    wrmsr(MSR_KVM_SYSTEM_TIME_NEW, 0);
    if (!ver || !mul || shift < -31 || shift > 31) return false;
    u64 hz = (1000000000UL << 32) / mul;       /* fits: 1e9 * 2^32 < 2^64 */
    *tsc = shift >= 0 ? hz >> shift : hz << -shift;
    *lapic = 1000000000UL / 16;                 /* divide by 16, as set below */
    return *tsc > 1000000;
}

void apic_init(void)
{
    outb(0x21, 0xff);       /* mask the 8259s: the I/O APIC delivers */
    outb(0xa1, 0xff);
    wrmsr(0x1b, rdmsr(0x1b) | (1 << 11));
    lapic_w(0xf0, 0x100 | VEC_SPURIOUS);
    lapic_w(0x80, 0);       /* task priority */
    for (int g = 0; g < 24; g++) ioapic_w(0x10 + 2 * g, 1 << 16);   /* all masked */
    if (ioapic2_present())
        for (int g = 0; g < 24; g++) ioapic2_w(0x10 + 2 * g, 1 << 16);

    lapic_w(0x3e0, 0x3);    /* divide by 16 */
    lapic_w(0x320, 1 << 16);
    if (!cmdline_has("osbox.pitcal") && kvm_rates(&tsc_hz, &lapic_hz)) {
        lapic_setup();
        return;
    }
    /* best of three 10 ms windows: exits to a (nested) hypervisor only
     * ever make a window look longer */
    bool ok = true;
    u64 best_tsc = ~0UL, best_lapic = 0;
    for (int trial = 0; trial < 3 && ok; trial++) {
        lapic_w(0x380, 0xffffffff);
        u64 t0 = rdtsc();
        ok = pit_wait_10ms();
        u64 t1 = rdtsc();
        u32 elapsed = 0xffffffff - lapic_r(0x390);
        if (ok && t1 - t0 < best_tsc) { best_tsc = t1 - t0; best_lapic = elapsed; }
    }
    if (ok && best_lapic > 100) {
        tsc_hz = best_tsc * 100;
        lapic_hz = best_lapic * 100;
    } else {
        printk("osbox-guest: no PIT; assuming 1 GHz TSC, 62.5 MHz LAPIC timer\n");
        tsc_hz = 1000000000UL;
        lapic_hz = 62500000UL;
    }
    lapic_setup();
}

/* Per CPU: enable the local APIC and start its periodic timer. */
void lapic_setup(void)
{
    wrmsr(0x1b, rdmsr(0x1b) | (1 << 11));
    lapic_w(0xf0, 0x100 | VEC_SPURIOUS);
    lapic_w(0x80, 0);
    lapic_w(0x3e0, 0x3);
    lapic_w(0x380, 0);
    lapic_w(0x320, VEC_TIMER | (1 << 17));   /* periodic */
    lapic_w(0x380, (u32)(lapic_hz / HZ));
}

u32 lapic_id(void) { return lapic_r(0x20) >> 24; }

void lapic_ipi(u32 apic_id, u32 icr_low)
{
    lapic_w(0x310, apic_id << 24);
    lapic_w(0x300, icr_low);
    for (int i = 0; i < 100000 && (lapic_r(0x300) & (1 << 12)); i++)
        __asm__ volatile("pause");
}

void lapic_ipi_others(int vector)
{
    lapic_w(0x310, 0);
    lapic_w(0x300, (3 << 18) | 0x4000 | (u32)vector);   /* all but self, fixed */
}
