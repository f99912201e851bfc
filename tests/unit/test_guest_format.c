/* Host-side tests of the guest kernel's pure helpers: its printf-style
 * formatter (used for register dumps and the exit line the monitors
 * parse), console newline translation, number parsing (cmdline) and the
 * kernel log that syslog(2) reads for dmesg. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

/* The guest's names would collide with libc's: rename them here. */
#define memcpy guest_memcpy
#define memmove guest_memmove
#define memset guest_memset
#define memcmp guest_memcmp
#define strlen guest_strlen
#define strnlen guest_strnlen
#define strcmp guest_strcmp
#define strncmp guest_strncmp
#define strchr guest_strchr
#define strlcpy guest_strlcpy
#define vsnprintf guest_vsnprintf
#define snprintf guest_snprintf
#define printk guest_printk
#define panic guest_panic
#define machine_exit guest_machine_exit
#define console_write guest_console_write
#include "../../guest/lib/string.c"
#include "../../guest/lib/printk.c"

/* printk.c reads console flags ("quiet", "osbox.rawcon") from the cmdline. */
char boot_cmdline[1024];
bool cmdline_has(const char *key) { return strstr(boot_cmdline, key) != NULL; }

/* The log's time stamps: a clock the test sets. */
static uint64_t now_ns;
uint64_t time_ns(void) { return now_ns; }

static char uart[256];
static size_t uart_len;
void uart_putc(char c) { if (uart_len < sizeof uart - 1) uart[uart_len++] = c; }

static void test_integers(void **state)
{
    (void)state;
    char b[64];
    guest_snprintf(b, sizeof b, "%d %d %u %ld", 42, -7, 3000000000u, -9000000000L);
    assert_string_equal(b, "42 -7 3000000000 -9000000000");
    guest_snprintf(b, sizeof b, "%x %lx %016lx %5d|%05d", 0xbeef, 0xdeadbeefcafeUL, 0x1234UL, 42, 42);
    assert_string_equal(b, "beef deadbeefcafe 0000000000001234    42|00042");
    guest_snprintf(b, sizeof b, "%p", (void *)0xffffffff80100000UL);
    assert_string_equal(b, "ffffffff80100000");
}

static void test_strings_and_truncation(void **state)
{
    (void)state;
    char b[8];
    int n = guest_snprintf(b, sizeof b, "%s-%c-%%-%s", "abc", 'x', (char *)NULL);
    assert_int_equal(n, (int)strlen("abc-x-%-(null)"));
    assert_string_equal(b, "abc-x-%");     /* truncated, still terminated */
    char one[1] = { 'z' };
    guest_snprintf(one, 1, "hello");
    assert_int_equal(one[0], 0);
    char u[16];
    guest_snprintf(u, sizeof u, "%q");
    assert_string_equal(u, "?");            /* unknown conversions are visible */
}

static void test_console_crlf_and_exit_line(void **state)
{
    (void)state;
    uart_len = 0;
    guest_printk("osbox-guest: exit %d\n", 139);
    uart[uart_len] = 0;
    assert_string_equal(uart, "osbox-guest: exit 139\r\n");
}

static void test_parse_long(void **state)
{
    (void)state;
    const char *end;
    assert_int_equal(parse_long("512@0xd0000000:5", &end), 512);
    assert_int_equal(*end, '@');
    assert_int_equal(parse_long("0xd0000000:5", &end), 0xd0000000L);
    assert_int_equal(*end, ':');
    assert_int_equal(parse_long("0XfeB00e00", &end), 0xfeb00e00L);
    assert_int_equal(parse_long("x", &end), 0);
    assert_int_equal(*end, 'x');
}

static void test_strlcpy_and_strstr(void **state)
{
    (void)state;
    char b[4];
    assert_int_equal(guest_strlcpy(b, "abcdef", sizeof b), 6);
    assert_string_equal(b, "abc");
    assert_string_equal(strstr_kernel("init=/bin/sh -- -c x", " -- "), " -- -c x");
    assert_null(strstr_kernel("init=/bin/sh", " -- "));
}

/* Every printk goes to the log, quiet or not, each line stamped as Linux's
 * "<6>[secs.micros] "; reads give the newest bytes, oldest first; the ring
 * keeps the last KLOG_SIZE bytes; CLEAR empties what a read returns. */
static void test_kernel_log(void **state)
{
    (void)state;
    char buf[KLOG_SIZE];
    klog_clear();
    assert_int_equal(klog_read(buf, sizeof buf), 0);
    strcpy(boot_cmdline, "quiet");
    now_ns = 1500000000UL + 2000;       /* 1.500002 s */
    guest_printk("first %d\nsecond", 1);
    guest_printk(" line\n");
    size_t n = klog_read(buf, sizeof buf);
    buf[n] = 0;
    assert_string_equal(buf, "<6>[    1.500002] first 1\n<6>[    1.500002] second line\n");
    assert_int_equal(klog_read(NULL, sizeof buf), n);
    assert_int_equal(klog_read(buf, 5), 5);             /* the newest 5 bytes */
    assert_memory_equal(buf, "line\n", 5);
    for (int i = 0; i < 2000; i++) guest_printk("filler line %04d\n", i);
    assert_int_equal(klog_read(buf, sizeof buf), KLOG_SIZE);
    assert_memory_equal(buf + KLOG_SIZE - 17, "filler line 1999\n", 17);
    klog_clear();
    assert_int_equal(klog_read(buf, sizeof buf), 0);
    boot_cmdline[0] = 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_strings_and_truncation),
        cmocka_unit_test(test_console_crlf_and_exit_line),
        cmocka_unit_test(test_parse_long),
        cmocka_unit_test(test_strlcpy_and_strstr),
        cmocka_unit_test(test_kernel_log),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
