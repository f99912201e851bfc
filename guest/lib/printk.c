/* Formatted output to the serial console, and the two ways the VM ends. */
#include "kernel.h"
#include "boot.h"
#include "proc.h"     /* time_ns, for the log's time stamps */

static void put(char *buf, size_t n, size_t *pos, char c)
{
    if (*pos + 1 < n) buf[*pos] = c;
    (*pos)++;
}

int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
    size_t pos = 0;
    for (; *fmt; fmt++) {
        if (*fmt != '%') { put(buf, n, &pos, *fmt); continue; }
        fmt++;
        int zero = 0, width = 0, lng = 0;
        if (*fmt == '0') { zero = 1; fmt++; }
        while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l' || *fmt == 'z') { lng = 1; fmt++; }
        char tmp[24];
        int len = 0, neg = 0;
        u64 v;
        const char *s;
        switch (*fmt) {
        case 'd': case 'i': {
            s64 x = lng ? va_arg(ap, s64) : va_arg(ap, int);
            if (x < 0) { neg = 1; v = -(u64)x; } else v = x;
            goto dec;
        }
        case 'u':
            v = lng ? va_arg(ap, u64) : va_arg(ap, unsigned);
        dec:
            do { tmp[len++] = '0' + v % 10; v /= 10; } while (v);
            if (neg) tmp[len++] = '-';
            goto out;
        case 'p':
            lng = 1; zero = 1; width = 16;
            /* fallthrough */
        case 'x':
            v = lng ? va_arg(ap, u64) : va_arg(ap, unsigned);
            do { tmp[len++] = "0123456789abcdef"[v & 15]; v >>= 4; } while (v);
        out:
            for (int i = len; i < width; i++) put(buf, n, &pos, zero ? '0' : ' ');
            while (len) put(buf, n, &pos, tmp[--len]);
            break;
        case 'c':
            put(buf, n, &pos, (char)va_arg(ap, int));
            break;
        case 's':
            s = va_arg(ap, const char *);
            if (!s) s = "(null)";
            len = strlen(s);
            for (int i = len; i < width; i++) put(buf, n, &pos, ' ');
            while (*s) put(buf, n, &pos, *s++);
            break;
        case '%':
            put(buf, n, &pos, '%');
            break;
        default:
            put(buf, n, &pos, '?');
        }
    }
    if (n) buf[pos < n ? pos : n - 1] = 0;
    return (int)pos;
}

int snprintf(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return r;
}

/* Cmdline flags of the console, read once the cmdline is there:
 * "quiet" drops kernel messages until something goes wrong (console_loud());
 * "osbox.rawcon" sends \n without \r (the host's terminal adds it), so
 * `osbox vm run` output is byte for byte what the program wrote. */
static int quiet = -1, rawcon;
static bool loud;

static void console_flags(void)
{
    if (quiet < 0 && boot_cmdline[0]) {
        quiet = cmdline_has("quiet");
        rawcon = cmdline_has("osbox.rawcon");
    }
}

void console_loud(void) { loud = true; }

void console_write(const char *s, size_t n)
{
    console_flags();
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n' && !rawcon) uart_putc('\r');
        uart_putc(s[i]);
    }
}

/* The kernel log, for syslog(2) and dmesg: every printk, quiet or not, in
 * a ring of KLOG_SIZE bytes, each line "<6>[seconds.micros] text" as
 * Linux's.  klog_len runs free; the ring holds its last KLOG_SIZE bytes. */
static char klog[KLOG_SIZE];
static u64 klog_len, klog_start;    /* klog_start: where CLEAR left it */
static bool klog_midline;

static void klog_putc(char c) { klog[klog_len++ % KLOG_SIZE] = c; }

static void klog_append(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!klog_midline) {
            char stamp[40];
            u64 t = time_ns() / 1000;
            int k = snprintf(stamp, sizeof stamp, "<6>[%5lu.%06lu] ", t / 1000000, t % 1000000);
            for (int j = 0; j < k; j++) klog_putc(stamp[j]);
        }
        klog_putc(s[i]);
        klog_midline = s[i] != '\n';
    }
}

/* The oldest-first text of the log, at most n bytes of its end; the length.
 * buf NULL: only the length. */
size_t klog_read(char *buf, size_t n)
{
    u64 from = klog_len - MIN(klog_len - klog_start, (u64)MIN(n, KLOG_SIZE));
    if (buf)
        for (u64 i = from; i < klog_len; i++) buf[i - from] = klog[i % KLOG_SIZE];
    return klog_len - from;
}

void klog_clear(void) { klog_start = klog_len; }

void printk(const char *fmt, ...)
{
    console_flags();
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    klog_append(buf, MIN((size_t)n, sizeof buf - 1));
    if (quiet > 0 && !loud) return;
    console_write(buf, MIN((size_t)n, sizeof buf - 1));
}

void machine_exit(int status)
{
    __asm__ volatile("cli");
    printk(OSBOX_EXIT_MESSAGE "%d\n", status);
    outl(OSBOX_EXIT_PORT, (u32)status);     /* osbox VMM: stops here */
    outb(OSBOX_I8042_CMD_PORT, OSBOX_I8042_RESET);  /* QEMU -no-reboot */
    /* last resort: triple fault */
    struct { u16 lim; u64 base; } __attribute__((packed)) null_idt = { 0, 0 };
    __asm__ volatile("lidt %0; int3" ::"m"(null_idt));
    for (;;) __asm__ volatile("hlt");
}

void panic(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    console_loud();
    printk("osbox-guest: kernel panic: %s\n", buf);
    machine_exit(OSBOX_STATUS_PANIC);
}
