/* mode=smp: find the MP table the monitor wrote, count its processors and
 * start every AP with INIT + STARTUP IPIs; each AP runs a real-mode stub
 * that bumps a counter and halts. */
#include "guest.h"

#define LAPIC 0xfee00000UL
#define TRAMPOLINE 0x7000UL
#define COUNTER 0x7f00UL

static const u8 *find_mp(void)
{
    for (u64 a = 0xf0000; a < 0x100000; a += 16) {
        const u8 *p = (const u8 *)a;
        u8 sum = 0;
        if (memcmp(p, "_MP_", 4))
            continue;
        for (int i = 0; i < 16; i++)
            sum = (u8)(sum + p[i]);
        if (sum == 0)
            return p;
    }
    return 0;
}

static void ipi(u32 apic_id, u32 low)
{
    mmio_w32(LAPIC + 0x310, apic_id << 24);
    mmio_w32(LAPIC + 0x300, low);
    for (int i = 0; i < 1000000 && (mmio_r32(LAPIC + 0x300) & (1 << 12)); i++)
        ;
}

int mode_smp(void)
{
    /* mov eax,1; cpuid; shr ebx,24; mov byte [bx+0x7f10],1 (mark my APIC ID);
     * lock inc word [0x7f00]; cli; 1: hlt; jmp 1b */
    static const u8 stub[] = { 0x66, 0xb8, 0x01, 0x00, 0x00, 0x00, 0x0f, 0xa2,
                               0x66, 0xc1, 0xeb, 0x18, 0xc6, 0x87, 0x10, 0x7f, 0x01,
                               0xf0, 0xff, 0x06, 0x00, 0x7f, 0xfa, 0xf4, 0xeb, 0xfd };
    const u8 *fp = find_mp(), *cfg, *e;
    u32 cpus = 0, ids[64];
    u16 count;

    if (!fp) {
        puts("smp FAIL: no MP floating pointer\n");
        return 1;
    }
    cfg = (const u8 *)(u64)*(const u32 *)(fp + 4);
    if (memcmp(cfg, "PCMP", 4)) {
        puts("smp FAIL: bad MP configuration table\n");
        return 1;
    }
    count = *(const u16 *)(cfg + 34);
    e = cfg + 44;
    for (u16 i = 0; i < count; i++) {
        if (e[0] == 0) {
            if (cpus < 64)
                ids[cpus++] = e[1];
            e += 20;
        } else {
            e += 8;
        }
    }
    u32 a = 1, b, c = 0, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    puts("cpuid: hypervisor=");
    put_dec(c >> 31);
    puts(" logical=");
    put_dec((b >> 16) & 0xff);
    puts(" apic id=");
    put_dec(b >> 24);
    puts("\n");
    puts("mp table cpus: ");
    put_dec(cpus);
    puts("\n");
    memcpy((void *)TRAMPOLINE, stub, sizeof stub);
    *(volatile u16 *)COUNTER = 0;
    memset((void *)(COUNTER + 0x10), 0, 64);
    mmio_w32(LAPIC + 0xf0, 0x1ff);
    for (u32 i = 1; i < cpus; i++) {
        ipi(ids[i], 0x4500);                       /* INIT */
        ipi(ids[i], 0x4600 | (TRAMPOLINE >> 12));  /* STARTUP */
    }
    u64 end = rdtsc() + 3000ULL * 3000000ULL;
    while (*(volatile u16 *)COUNTER < cpus - 1 && rdtsc() < end)
        ;
    puts("aps started: ");
    put_dec(*(volatile u16 *)COUNTER);
    puts(", cpuid apic ids seen:");
    for (u32 i = 0; i < 64; i++)
        if (((volatile u8 *)(COUNTER + 0x10))[i]) {
            puts(" ");
            put_dec(i);
        }
    puts("\n");
    return *(volatile u16 *)COUNTER == cpus - 1 ? 0 : 2;
}
