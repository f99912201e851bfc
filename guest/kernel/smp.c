/* Multiprocessor start-up: find the CPUs (MP table from the osbox VMM, or
 * ACPI MADT from QEMU), wake each application processor with INIT-SIPI-SIPI
 * into the trampoline, and give it an idle thread.  All kernel code runs
 * under the big kernel lock; user code runs in parallel. */
#include "kernel.h"
#include "cpu.h"
#include "proc.h"
#include "mm.h"
#include "apic.h"
#include "boot.h"
#include "trap.h"

#define TRAMP_PHYS 0x8000UL

static u32 apic_ids[MAXCPU];
static int napic;

static bool sum_ok(const u8 *p, size_t n)
{
    u8 s = 0;
    for (size_t i = 0; i < n; i++) s += p[i];
    return s == 0;
}

static void add_cpu(u32 apic_id)
{
    for (int i = 0; i < napic; i++) if (apic_ids[i] == apic_id) return;
    if (napic < MAXCPU) apic_ids[napic++] = apic_id;
}

static bool scan_mp(u64 base, u64 len)
{
    for (u64 a = base; a + 16 <= base + len; a += 16) {
        const u8 *fp = P2V(a);
        if (memcmp(fp, "_MP_", 4) || !sum_ok(fp, 16)) continue;
        u32 cfg_phys = *(const u32 *)(fp + 4);
        if (!cfg_phys) return false;
        const u8 *cfg = P2V((u64)cfg_phys);
        if (memcmp(cfg, "PCMP", 4)) return false;
        u16 count = *(const u16 *)(cfg + 34);
        const u8 *e = cfg + 44;
        for (u16 i = 0; i < count && i < 256; i++) {
            if (e[0] == 0) {                /* processor */
                if (e[3] & 1) add_cpu(e[1]);
                e += 20;
            } else {
                e += 8;
            }
        }
        return napic > 0;
    }
    return false;
}

static bool scan_madt(u64 rsdp_phys)
{
    if (!rsdp_phys) return false;
    const u8 *rsdp = P2V(rsdp_phys);
    if (memcmp(rsdp, "RSD PTR ", 8)) return false;
    u64 sdt = *(const u32 *)(rsdp + 16);
    bool x = false;
    if (rsdp[15] >= 2 && *(const u64 *)(rsdp + 24)) { sdt = *(const u64 *)(rsdp + 24); x = true; }
    const u8 *h = P2V(sdt);
    u32 len = *(const u32 *)(h + 4);
    for (u32 off = 36; off + (x ? 8 : 4) <= len; off += x ? 8 : 4) {
        u64 t = x ? *(const u64 *)(h + off) : *(const u32 *)(h + off);
        const u8 *tb = P2V(t);
        if (memcmp(tb, "APIC", 4)) continue;
        u32 tl = *(const u32 *)(tb + 4);
        for (u32 o = 44; o + 2 <= tl;) {
            u8 type = tb[o], l = tb[o + 1];
            if (l < 2) break;
            if (type == 0 && (*(const u32 *)(tb + o + 4) & 1)) add_cpu(tb[o + 3]);
            o += l;
        }
        return napic > 0;
    }
    return false;
}

static void wait_us(u64 us)
{
    u64 end = rdtsc() + tsc_hz / 1000000 * us;
    while (rdtsc() < end) __asm__ volatile("pause");
}

void ap_main(struct cpu *c)
{
    cpu_init(c);
    lapic_setup();
    c->started = true;
    kernel_lock();
    sched_init_cpu();
    cur->state = P_SLEEPING;        /* this boot context never runs again */
    schedule();
    panic("AP boot context resumed");
}

void smp_start(void)
{
    struct cpu *bsp = this_cpu();
    bsp->apic_id = lapic_id();
    if (cmdline_has("osbox.nosmp")) return;
    if (!scan_mp(0xf0000, 0x10000) && !scan_madt(boot_rsdp)) return;
    memcpy(P2V(TRAMP_PHYS), tramp_start, tramp_end - tramp_start);
    u64 *v_pml4 = P2V(TRAMP_PHYS + (tramp_pml4 - tramp_start));
    u64 *v_stack = P2V(TRAMP_PHYS + (tramp_stack - tramp_start));
    u64 *v_cpu = P2V(TRAMP_PHYS + (tramp_cpu - tramp_start));
    *v_pml4 = V2P(boot_pml4);
    for (int i = 0; i < napic; i++) {
        if (apic_ids[i] == bsp->apic_id || ncpus == MAXCPU) continue;
        struct cpu *c = &cpus[ncpus];
        c->id = ncpus;
        c->apic_id = apic_ids[i];
        u64 stack = pages_alloc(KSTACK_SIZE / PAGE_SIZE);
        if (!stack) break;
        *v_stack = (u64)P2V(stack) + KSTACK_SIZE;
        *v_cpu = (u64)c;
        barrier();
        lapic_ipi(c->apic_id, 0x4500);                      /* INIT */
        wait_us(10000);
        for (int k = 0; k < 2 && !c->started; k++) {
            lapic_ipi(c->apic_id, 0x4600 | (TRAMP_PHYS >> 12));   /* SIPI */
            wait_us(200);
        }
        for (int k = 0; k < 1000 && !c->started; k++) wait_us(100);
        if (!c->started) {
            printk("osbox-guest: cpu with APIC id %u did not start\n", c->apic_id);
            continue;
        }
        ncpus++;
    }
    printk("osbox-guest: %d CPU%s online\n", ncpus, ncpus > 1 ? "s" : "");
}

void smp_kick_idle(void)
{
    lapic_ipi_others(VEC_KICK);
}
