/* Host stand-ins for what the guest kernel's pure code needs, so a host
 * unit test can #include a guest .c file: "physical memory" is a host
 * buffer (P2V/V2P offset into it), panic() longjmps back to the test,
 * port I/O and MSRs do nothing.  guest/include/kernel.h is kept out (its
 * P2V and inline asm only make sense in the guest); the other guest
 * headers are used as they are. */
#ifndef TEST_GUEST_SHIM_H
#define TEST_GUEST_SHIM_H
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define GUEST_KERNEL_H
#include "types.h"
#include "osbox_guest_abi.h"

#define KVMA 0xffffffff80000000UL
#define PAGE_SIZE 4096UL
#define SHIM_RAM_SIZE (64UL << 20)
#define SHIM_KERNEL_END 0x180000UL      /* the "kernel image" is 1 MiB..1.5 MiB */

static unsigned char *guest_ram;        /* SHIM_RAM_SIZE bytes, page aligned */
#define P2V(p) ((void *)(guest_ram + (u64)(p)))
#define V2P(v) ((u64)((unsigned char *)(v) - guest_ram))
#define kernel_end (guest_ram + SHIM_KERNEL_END)
#define barrier() __asm__ volatile("" ::: "memory")

static inline void outb(u16 port, u8 v) { (void)port; (void)v; }
static inline void outl(u16 port, u32 v) { (void)port; (void)v; }
static inline u8 inb(u16 port) { (void)port; return 0xff; }
static inline void wrmsr(u32 msr, u64 v) { (void)msr; (void)v; }
static inline u64 rdmsr(u32 msr) { (void)msr; return 0; }
static inline u64 rdtsc(void) { return 12345; }

static inline size_t shim_strlcpy(char *d, const char *s, size_t n)
{
    size_t l = strlen(s);
    if (n) { size_t c = l < n - 1 ? l : n - 1; memcpy(d, s, c); d[c] = 0; }
    return l;
}
#define strlcpy shim_strlcpy

/* panic: the test expects it (shim_expect_panic) or it fails the test */
static jmp_buf shim_panic_jmp;
static int shim_panic_armed;
static char shim_panic_msg[256];
__attribute__((noreturn, unused, format(printf, 1, 2))) static void panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(shim_panic_msg, sizeof shim_panic_msg, fmt, ap);
    va_end(ap);
    if (shim_panic_armed) { shim_panic_armed = 0; longjmp(shim_panic_jmp, 1); }
    fail_msg("unexpected guest panic: %s", shim_panic_msg);
    abort();
}
/* if (shim_expect_panic()) { ...code that must panic...; fail(); } */
#define shim_expect_panic() (shim_panic_armed = 1, setjmp(shim_panic_jmp) == 0)

static char shim_log[4096];
__attribute__((unused, format(printf, 1, 2))) static void printk(const char *fmt, ...)
{
    va_list ap;
    size_t l = strlen(shim_log);
    va_start(ap, fmt);
    vsnprintf(shim_log + l, sizeof shim_log - l, fmt, ap);
    va_end(ap);
}

static void shim_ram_setup(void)
{
    if (!guest_ram) guest_ram = aligned_alloc(4096, SHIM_RAM_SIZE);
    assert_non_null(guest_ram);
    memset(guest_ram, 0, SHIM_RAM_SIZE);
}
#endif
