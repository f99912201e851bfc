/* The VMM's test guest: one binary, behaviour chosen by `mode=` on the
 * kernel command line; reports over COM1 and exits through port 0x501. */
#include "guest.h"

struct start_info {
    u32 magic, version, flags, nr_modules;
    u64 modlist, cmdline, rsdp, memmap;
    u32 memmap_entries, reserved;
};

volatile u32 lapic_ticks, pit_ticks, virtio_irqs;
static u64 idt[512] __attribute__((aligned(16)));

void *memset(void *d, int c, u64 n) { u8 *p = d; while (n--) *p++ = (u8)c; return d; }
void *memcpy(void *d, const void *s, u64 n) { u8 *p = d; const u8 *q = s; while (n--) *p++ = *q++; return d; }
int memcmp(const void *a, const void *b, u64 n)
{
    const u8 *p = a, *q = b;
    for (; n; n--, p++, q++)
        if (*p != *q)
            return *p - *q;
    return 0;
}

static void putc(char c)
{
    for (int i = 0; i < 100000 && !(inb(0x3f8 + 5) & 0x20); i++)
        ;
    outb(0x3f8, (u8)c);
}

void puts(const char *s) { while (*s) putc(*s++); }

void put_hex(u64 v)
{
    puts("0x");
    for (int i = 60; i >= 0; i -= 4)
        putc("0123456789abcdef"[(v >> i) & 15]);
}

void put_dec(u64 v)
{
    char b[24];
    int n = 0;
    do { b[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n) putc(b[--n]);
}

void guest_exit(u32 status)
{
    outl(0x501, status);
    for (;;)
        __asm__ volatile("cli; hlt");
}

int streq_prefix(const char *s, const char *p)
{
    while (*p)
        if (*s++ != *p++)
            return 0;
    return 1;
}

int wait_change(volatile u32 *p, u32 old, u64 ms)
{
    u64 end = rdtsc() + ms * 3000000ULL; /* assume >= ~1 GHz TSC; bounds, not timing */
    while (*p == old)
        if (rdtsc() > end)
            return -1;
    return 0;
}

void set_idt_gate(int vec, void (*fn)(void))
{
    u64 a = (u64)fn;
    idt[2 * vec] = (a & 0xffff) | (0x08ULL << 16) | (0x8eULL << 40) | ((a >> 16 & 0xffff) << 48);
    idt[2 * vec + 1] = a >> 32;
}

void load_idt(void)
{
    struct __attribute__((packed)) { u16 limit; u64 base; } p = { sizeof idt - 1, (u64)idt };
    __asm__ volatile("lidt %0" :: "m"(p));
}

/* Value of `key=` in the command line, copied into buf. */
static const char *arg(const char *cmdline, const char *key, char *buf, int len)
{
    for (const char *s = cmdline; *s; s++) {
        if ((s == cmdline || s[-1] == ' ') && streq_prefix(s, key)) {
            int n = 0;
            while (*key)
                key++, s++;
            while (*s && *s != ' ' && n < len - 1)
                buf[n++] = *s++;
            buf[n] = 0;
            return buf;
        }
    }
    return 0;
}

static u32 atou(const char *s)
{
    u32 v = 0;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (u32)(*s++ - '0');
    return v;
}

static int mode_echo(void)
{
    /* Echo COM1 input back in upper case until a newline. */
    char line[80];
    int n = 0;
    u64 end = rdtsc() + 10000ULL * 3000000ULL;

    while (n < (int)sizeof line - 1 && rdtsc() < end) {
        if (!(inb(0x3f8 + 5) & 1))
            continue;
        char c = (char)inb(0x3f8);
        if (c == '\n')
            break;
        line[n++] = (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
    }
    line[n] = 0;
    puts("echo: ");
    puts(line);
    puts("\n");
    return 0;
}

extern void isr_fault(void);

void guest_main(struct start_info *si)
{
    const char *cmdline = (const char *)si->cmdline;
    char mode[32], st[16];
    u32 status = arg(cmdline, "status=", st, sizeof st) ? atou(st) : 0;

    if (si->magic != 0x336ec578) {
        puts("bad start_info magic\n");
        guest_exit(99);
    }
    if (!arg(cmdline, "mode=", mode, sizeof mode))
        mode[0] = 0;
    for (int v = 0; v < 32; v++)
        set_idt_gate(v, isr_fault);
    load_idt();

    if (!mode[0] || streq_prefix(mode, "hello")) {
        puts("hello from the osbox test guest\ncmdline: ");
        puts(cmdline);
        puts("\nmemmap entries: ");
        put_dec(si->memmap_entries);
        puts("\n");
        if (si->nr_modules) {
            const u64 *mod = (const u64 *)si->modlist; /* paddr, size, cmdline, reserved */
            char head[9] = { 0 };
            memcpy(head, (const void *)mod[0], mod[1] < 8 ? mod[1] : 8);
            puts("module 0: ");
            put_dec(mod[1]);
            puts(" bytes at ");
            put_hex(mod[0]);
            puts(": ");
            puts(head);
            puts("\n");
        }
        guest_exit(status);
    } else if (streq_prefix(mode, "reset")) {
        puts("resetting\n");
        outb(0x64, 0xfe);
        for (;;)
            ;
    } else if (streq_prefix(mode, "echo")) {
        guest_exit((u32)mode_echo());
    } else if (streq_prefix(mode, "timer")) {
        guest_exit((u32)mode_timer());
    } else if (streq_prefix(mode, "memspeed")) {
        /* Rough cost of first-touching and re-touching guest RAM pages. */
        volatile u8 *p = (volatile u8 *)0x1000000;
        u64 t0 = rdtsc();
        for (u64 i = 0; i < (32UL << 20); i += 4096)
            p[i] = 1;
        u64 t1 = rdtsc();
        for (u64 i = 0; i < (32UL << 20); i += 4096)
            p[i] = 2;
        u64 t2 = rdtsc();
        for (u64 i = 0; i < (1UL << 20); i++)
            p[i] = 3;
        u64 t3 = rdtsc();
        puts("cycles per page: first touch ");
        put_dec((t1 - t0) / 8192);
        puts(", again ");
        put_dec((t2 - t1) / 8192);
        puts("; cycles per byte written ");
        put_dec((t3 - t2) >> 20);
        puts("\n");
        guest_exit(0);
    } else if (streq_prefix(mode, "smp")) {
        guest_exit((u32)mode_smp());
    } else if (streq_prefix(mode, "blkread")) {
        char mb[16];
        guest_exit((u32)mode_blkread(arg(cmdline, "mib=", mb, sizeof mb) ? atou(mb) : 32));
    } else if (streq_prefix(mode, "blk")) {
        guest_exit((u32)mode_blk());
    } else if (streq_prefix(mode, "netevil")) {
        char ip[40];
        guest_exit((u32)mode_net(arg(cmdline, "ip=", ip, sizeof ip), 1));
    } else if (streq_prefix(mode, "net")) {
        char ip[40];
        guest_exit((u32)mode_net(arg(cmdline, "ip=", ip, sizeof ip), 0));
    } else if (streq_prefix(mode, "evil")) {
        guest_exit((u32)mode_evil());
    } else if (streq_prefix(mode, "triple")) {
        struct __attribute__((packed)) { u16 limit; u64 base; } none = { 0, 0 };
        puts("faulting on purpose\n");
        __asm__ volatile("lidt %0; ud2" :: "m"(none));
    } else if (streq_prefix(mode, "hang")) {
        puts("hanging\n");
        outl(0x502, 2);
        for (;;)
            __asm__ volatile("cli; hlt");
    }
    puts("unknown mode\n");
    guest_exit(98);
}
