/* Clocks: monotonic time from the TSC calibrated at boot; wall time read
 * once: from KVM's paravirtual clock when the host offers one (the host's
 * CLOCK_REALTIME to the microsecond, so a guest timestamp can be compared
 * with one taken on the host, as `osbox bench` does), else the CMOS RTC
 * (whole seconds). */
#include "kernel.h"
#include "apic.h"
#include "proc.h"

static u64 tsc0, realtime_base, mult;

static u8 cmos(u8 reg) { outb(0x70, reg); return inb(0x71); }
static u32 bcd(u8 v, bool binary) { return binary ? v : (v & 15) + (v >> 4) * 10; }

static u64 days_from_civil(long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* KVM pvclock (Documentation/virt/kvm/x86/msr.rst): the wall clock is the
 * host's time when kvmclock read 0; kvmclock = system_time + scaled TSC
 * ticks since tsc_timestamp. */
#define MSR_KVM_WALL_CLOCK_NEW  0x4b564d00
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01
#define KVM_FEATURE_CLOCKSOURCE2 (1u << 3)
static struct { u32 version, sec, nsec; } __attribute__((aligned(64))) kvm_wall;
static struct {
    u32 version, pad0;
    u64 tsc_timestamp, system_time;
    u32 mul;
    s8 shift;
    u8 flags, pad[2];
} __attribute__((aligned(64))) kvm_ti;

static bool kvmclock_realtime(u64 *ns)
{
    u32 a, b, c, d;
    cpuid(0x40000000, &a, &b, &c, &d);
    if (b != 0x4b4d564b || c != 0x564b4d56 || d != 0x4d || a < 0x40000001) return false; /* "KVMKVMKVM" */
    cpuid(0x40000001, &a, &b, &c, &d);
    if (!(a & KVM_FEATURE_CLOCKSOURCE2)) return false;
    wrmsr(MSR_KVM_SYSTEM_TIME_NEW, V2P(&kvm_ti) | 1);
    wrmsr(MSR_KVM_WALL_CLOCK_NEW, V2P(&kvm_wall));
    u64 sys;
    u32 v;
    int tries = 0;
    do {
        v = *(volatile u32 *)&kvm_ti.version;
        __asm__ volatile("" ::: "memory");
        u64 delta = rdtsc() - kvm_ti.tsc_timestamp;
        delta = kvm_ti.shift >= 0 ? delta << kvm_ti.shift : delta >> -kvm_ti.shift;
        sys = kvm_ti.system_time + (u64)(((unsigned __int128)delta * kvm_ti.mul) >> 32);
        __asm__ volatile("" ::: "memory");
    } while (((v & 1) || v != *(volatile u32 *)&kvm_ti.version) && ++tries < 1000);
    wrmsr(MSR_KVM_SYSTEM_TIME_NEW, 0);      /* read once: the host stops updating it */
    if (!v || !kvm_wall.sec) return false;
    *ns = kvm_wall.sec * 1000000000UL + kvm_wall.nsec + sys;
    return true;
}

void time_init(void)
{
    tsc0 = rdtsc();
    mult = (1000000000UL << 32) / tsc_hz;   /* ns per tick, 32.32 fixed point */
    u64 wall;
    if (kvmclock_realtime(&wall)) {
        realtime_base = wall - time_ns();
        return;
    }
    u8 sb = cmos(0x0b);
    if (sb == 0xff) return;
    bool bin = sb & 4;
    u32 s = bcd(cmos(0), bin), mi = bcd(cmos(2), bin), h = bcd(cmos(4) & 0x7f, bin);
    u32 d = bcd(cmos(7), bin), mo = bcd(cmos(8), bin), y = bcd(cmos(9), bin) + 2000;
    if (mo < 1 || mo > 12 || d < 1 || d > 31) return;
    realtime_base = (days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * 1000000000UL;
}

u64 time_ns(void)
{
    u64 delta = rdtsc() - tsc0;
    return (u64)(((unsigned __int128)delta * mult) >> 32);
}

u64 time_realtime_base_ns(void) { return realtime_base; }
