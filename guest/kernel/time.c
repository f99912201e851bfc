/* Clocks: monotonic time from the TSC calibrated at boot; wall time from
 * the CMOS RTC read once. */
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

void time_init(void)
{
    tsc0 = rdtsc();
    mult = (1000000000UL << 32) / tsc_hz;   /* ns per tick, 32.32 fixed point */
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
