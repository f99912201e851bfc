/* Kernel entry: bring up the CPU, memory, interrupts, devices, the root
 * filesystem, then run init. */
#include "kernel.h"
#include "boot.h"
#include "trap.h"
#include "mm.h"
#include "apic.h"
#include "proc.h"
#include "cpu.h"

char boot_cmdline[1024];
u64 boot_rsdp;

/* Value of "key=value" on the kernel cmdline, copied into a static buffer. */
const char *cmdline_get(const char *key)
{
    static char val[256];
    size_t kl = strlen(key);
    for (const char *p = boot_cmdline; *p;) {
        while (*p == ' ') p++;
        if (!strncmp(p, key, kl) && p[kl] == '=') {
            const char *v = p + kl + 1;
            size_t n = 0;
            while (v[n] && v[n] != ' ' && n < sizeof val - 1) { val[n] = v[n]; n++; }
            val[n] = 0;
            return val;
        }
        while (*p && *p != ' ') p++;
    }
    return NULL;
}

/* "key" alone or "key=..." on the cmdline */
bool cmdline_has(const char *key)
{
    size_t kl = strlen(key);
    for (const char *p = boot_cmdline; *p;) {
        while (*p == ' ') p++;
        if (!strncmp(p, key, kl) && (p[kl] == '=' || p[kl] == ' ' || !p[kl])) return true;
        while (*p && *p != ' ') p++;
    }
    return false;
}


void kmain(u32 start_info_phys)
{
    uart_init();
    const struct hvm_start_info *si = start_info_phys ? P2V((u64)start_info_phys) : NULL;
    if (si && si->magic != HVM_START_MAGIC) si = NULL;
    if (si && si->cmdline_paddr)
        strlcpy(boot_cmdline, P2V(si->cmdline_paddr), sizeof boot_cmdline);
    if (si) boot_rsdp = si->rsdp_paddr;
    printk("osbox-guest: osbox kernel 0.1 booting (cmdline \"%s\")\n", boot_cmdline);
    cpu_init(&cpus[0]);
    pmm_init(si);
    printk("osbox-guest: %lu MiB free memory\n", pmm_free_pages() * PAGE_SIZE >> 20);
    const char *t = cmdline_get("osbox.test");
    if (t && !strcmp(t, "kfault")) {
        printk("osbox-guest: provoking a kernel page fault\n");
        *(volatile u64 *)0x600000000000UL = 1;
    }
    apic_init();
    time_init();
    printk("osbox-guest: TSC %lu MHz\n", tsc_hz / 1000000);
    if (cmdline_get("osbox.debug")) printk("osbox-guest: STAR %lx LSTAR %lx FMASK %lx EFER %lx\n", rdmsr(0xc0000081), rdmsr(0xc0000082), rdmsr(0xc0000084), rdmsr(0xc0000080));
    if (cmdline_get("osbox.debug")) printk("osbox-guest: [%lu us] timers up\n", time_ns() / 1000);
    kernel_lock();
    sched_init_cpu();
    smp_start();
    start_kernel_thread(init_start, NULL, "init");
    cur->state = P_SLEEPING;    /* the boot context never runs again */
    schedule();
    panic("boot context resumed");
}
