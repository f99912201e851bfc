/* Kernel-wide helpers: console, panic, port I/O, strings. */
#ifndef GUEST_KERNEL_H
#define GUEST_KERNEL_H
#include "types.h"
#include "osbox_guest_abi.h"

#define KVMA    0xffffffff80000000UL
#define DIRECT  0xffff800000000000UL
#define P2V(p)  ((void *)((u64)(p) + DIRECT))
#define V2P(v)  ((u64)(v) >= KVMA ? (u64)(v) - KVMA : (u64)(v) >= DIRECT ? (u64)(v) - DIRECT : (u64)(v))
#define PAGE_SIZE 4096UL

static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outl(u16 port, u32 v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u64 rdmsr(u32 msr) { u32 lo, hi; __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr)); return ((u64)hi << 32) | lo; }
static inline void wrmsr(u32 msr, u64 v) { __asm__ volatile("wrmsr" ::"c"(msr), "a"((u32)v), "d"((u32)(v >> 32))); }
static inline u64 rdtsc(void) { u32 lo, hi; __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); return ((u64)hi << 32) | lo; }
static inline u64 read_cr2(void) { u64 v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline u64 read_cr3(void) { u64 v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline void write_cr3(u64 v) { __asm__ volatile("mov %0, %%cr3" ::"r"(v) : "memory"); }
static inline void invlpg(u64 va) { __asm__ volatile("invlpg (%0)" ::"r"(va) : "memory"); }
static inline void cpuid(u32 leaf, u32 *a, u32 *b, u32 *c, u32 *d)
{ __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0)); }
#define barrier() __asm__ volatile("" ::: "memory")

/* lib/string.c */
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
size_t strlcpy(char *d, const char *s, size_t n);
long parse_long(const char *s, const char **end);
const char *strstr_kernel(const char *h, const char *n);
char *strcpy_kernel(char *d, const char *s, size_t n);

/* lib/printk.c */
int vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int snprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void console_write(const char *s, size_t n);
void console_loud(void);    /* print kernel messages even with "quiet" */
#define KLOG_SIZE 16384
size_t klog_read(char *buf, size_t n);     /* the kernel log, for syslog(2) */
void klog_clear(void);
__attribute__((noreturn)) void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void machine_exit(int status);

/* drivers/uart.c */
void uart_init(void);
void uart_putc(char c);
void uart_irq(void);
void power_button_init(void);   /* drivers/power_button.c: IRQ 3 -> SIGTERM to init */

extern char kernel_end[];
extern u64 boot_pml4[];
#endif
