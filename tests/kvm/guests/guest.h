/* Freestanding helpers for the VMM's test guests. */
#ifndef TEST_GUEST_H
#define TEST_GUEST_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long u64;

static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outl(u16 port, u32 v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u64 rdtsc(void) { u32 lo, hi; __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); return ((u64)hi << 32) | lo; }
static inline void mmio_w32(u64 a, u32 v) { *(volatile u32 *)a = v; }
static inline u32 mmio_r32(u64 a) { return *(volatile u32 *)a; }
#define barrier() __asm__ volatile("mfence" ::: "memory")

void puts(const char *s);
void put_hex(u64 v);
void put_dec(u64 v);
void guest_exit(u32 status) __attribute__((noreturn));
int streq_prefix(const char *s, const char *p);
void *memset(void *d, int c, u64 n);
void *memcpy(void *d, const void *s, u64 n);
int memcmp(const void *a, const void *b, u64 n);
/* Spin until *p changes from old or about `ms` milliseconds pass (rough TSC). */
int wait_change(volatile u32 *p, u32 old, u64 ms);
void set_idt_gate(int vec, void (*fn)(void));
void load_idt(void);

int mode_timer(void);
int mode_blk(void);
int mode_evil(void);
int mode_smp(void);
int mode_blkread(u32 mib);
int mode_net(const char *ip, int evil);

extern volatile u32 lapic_ticks, pit_ticks, virtio_irqs;

#endif
