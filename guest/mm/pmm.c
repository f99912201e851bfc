/* Physical page allocator: one bit per page (set = in use) plus a
 * reference count per page for copy-on-write sharing.
 *
 * A second bitmap remembers which pages were ever handed out: the
 * monitors (osbox's VMM, QEMU) give the guest fresh, zeroed RAM, so a page
 * never used since boot needs no clearing.  Under a hypervisor that
 * emulates kernel code (kvm-pvm) clearing a page costs ~0.5 ms, and most
 * pages a short-lived VM uses are first uses.  What the monitor did write
 * (below 1 MiB, the kernel image, PVH modules) is never counted as fresh. */
#include "kernel.h"
#include "mm.h"
#include "boot.h"

static u8 *bitmap, *touched;
static u16 *refcnt;             /* meaningful only for pages in use */
static u64 max_pfn, hint, nfree, ntotal;

static inline bool used(u64 pfn) { return bitmap[pfn >> 3] & (1 << (pfn & 7)); }
static inline void set_used(u64 pfn) { bitmap[pfn >> 3] |= 1 << (pfn & 7); }
static inline void set_free(u64 pfn) { bitmap[pfn >> 3] &= ~(1 << (pfn & 7)); }
static inline bool was_touched(u64 pfn) { return touched[pfn >> 3] & (1 << (pfn & 7)); }
static inline void set_touched(u64 pfn) { touched[pfn >> 3] |= 1 << (pfn & 7); }

/* Mark pages [lo, hi) free: bit by bit at the ends, 64 pages at a time in
 * between (a per-page loop over all of RAM is seconds of emulated code). */
static void free_range(u64 lo, u64 hi)
{
    while (lo < hi && (lo & 63)) { if (used(lo)) { set_free(lo); nfree++; } lo++; }
    u64 *w = (u64 *)bitmap;
    for (; lo + 64 <= hi; lo += 64) {
        if (w[lo / 64] == ~0UL) nfree += 64;
        else for (int i = 0; i < 64; i++) nfree += (w[lo / 64] >> i) & 1;
        w[lo / 64] = 0;
    }
    while (lo < hi) { if (used(lo)) { set_free(lo); nfree++; } lo++; }
}

static void touch_range(u64 addr, u64 size)
{
    for (u64 pfn = addr / PAGE_SIZE; pfn < max_pfn && pfn * PAGE_SIZE < addr + size; pfn++)
        set_touched(pfn);
}

void pmm_init(const struct hvm_start_info *si)
{
    const struct hvm_memmap_entry *mm = NULL;
    u32 n = 0;
    if (si && si->version >= 1 && si->memmap_paddr && si->memmap_entries) {
        mm = P2V(si->memmap_paddr);
        n = si->memmap_entries;
    }
    static struct hvm_memmap_entry fallback[1];
    if (!mm) {
        /* CMOS: memory above 16 MiB in 64 KiB units (QEMU fills it) */
        outb(0x70, 0x34); u64 lo = inb(0x71);
        outb(0x70, 0x35); u64 hi = inb(0x71);
        u64 above = ((hi << 8) | lo) << 16;
        fallback[0] = (struct hvm_memmap_entry){ 0x100000, (above ? above + (16UL << 20) : 64UL << 20) - 0x100000, 1, 0 };
        mm = fallback;
        n = 1;
    }
    for (u32 i = 0; i < n; i++)
        if (mm[i].type == 1) {
            u64 end = mm[i].addr + mm[i].size;
            if (end > 0xfe000000UL) end = 0xfe000000UL;   /* direct map covers 4 GiB */
            if (end / PAGE_SIZE > max_pfn) max_pfn = end / PAGE_SIZE;
        }
    u64 meta = ALIGN_UP(V2P(kernel_end), PAGE_SIZE);
    u64 bm_bytes = ALIGN_UP(max_pfn / 8 + 1, 8);
    u64 meta_end = ALIGN_UP(meta + 2 * bm_bytes + max_pfn * sizeof(u16), PAGE_SIZE);
    bitmap = P2V(meta);
    touched = bitmap + bm_bytes;
    refcnt = (u16 *)(touched + bm_bytes);
    memset(bitmap, 0xff, bm_bytes);
    memset(touched, 0, bm_bytes);
    u64 kernel_lo = OSBOX_KERNEL_PHYS / PAGE_SIZE, kernel_hi = meta_end / PAGE_SIZE;
    for (u32 i = 0; i < n; i++) {
        if (mm[i].type != 1) continue;
        u64 lo = ALIGN_UP(mm[i].addr, PAGE_SIZE) / PAGE_SIZE;
        u64 hi = (mm[i].addr + mm[i].size) / PAGE_SIZE;
        if (lo < 0x100000 / PAGE_SIZE) lo = 0x100000 / PAGE_SIZE;
        if (hi > max_pfn) hi = max_pfn;
        if (lo < kernel_lo) free_range(lo, MIN(hi, kernel_lo));
        if (hi > kernel_hi) free_range(MAX(lo, kernel_hi), hi);
    }
    if (si && si->version >= 1 && si->nr_modules && si->modlist_paddr) {
        const struct { u64 paddr, size, cmdline, reserved; } *mod = P2V(si->modlist_paddr);
        for (u32 i = 0; i < si->nr_modules && i < 16; i++) touch_range(mod[i].paddr, mod[i].size);
    }
    ntotal = nfree;
    hint = 0;
}

static u64 find_run(size_t n)
{
    for (int pass = 0; pass < 2; pass++) {
        u64 start = pass ? 0 : hint, run = 0;
        for (u64 pfn = start; pfn < max_pfn; pfn++) {
            if ((pfn & 7) == 0 && bitmap[pfn >> 3] == 0xff && pfn + 8 <= max_pfn) { run = 0; pfn += 7; continue; }
            run = used(pfn) ? 0 : run + 1;
            if (run == n) return pfn + 1 - n;
        }
    }
    return 0;
}

static u64 alloc_run(size_t n, bool zero)
{
    if (n == 0 || n > nfree) return 0;
    u64 pfn = find_run(n);
    if (!pfn) return 0;
    for (size_t i = 0; i < n; i++) {
        set_used(pfn + i);
        refcnt[pfn + i] = 1;
        if (!was_touched(pfn + i)) set_touched(pfn + i);
        else if (zero) memset(P2V((pfn + i) * PAGE_SIZE), 0, PAGE_SIZE);
    }
    nfree -= n;
    hint = pfn + n;
    return pfn * PAGE_SIZE;
}

u64 pages_alloc(size_t n) { return alloc_run(n, true); }
u64 pages_alloc_nz(size_t n) { return alloc_run(n, false); }
u64 page_alloc(void) { return alloc_run(1, true); }

void pages_free(u64 phys, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        u64 pfn = phys / PAGE_SIZE + i;
        if (pfn >= max_pfn || !used(pfn)) panic("pages_free: bad page %lx", pfn * PAGE_SIZE);
        refcnt[pfn] = 0;
        set_free(pfn);
        nfree++;
        if (pfn < hint) hint = pfn;
    }
}

void page_get(u64 phys) { refcnt[phys / PAGE_SIZE]++; }
unsigned page_refs(u64 phys) { return refcnt[phys / PAGE_SIZE]; }
void page_put(u64 phys)
{
    u64 pfn = phys / PAGE_SIZE;
    if (pfn >= max_pfn || refcnt[pfn] == 0) panic("page_put: bad page %lx", phys);
    if (--refcnt[pfn] == 0) { refcnt[pfn] = 1; pages_free(phys, 1); }
}
u64 pmm_free_pages(void) { return nfree; }
u64 pmm_total_pages(void) { return ntotal; }
