/* Physical page allocator: one bit per page (set = in use) plus a
 * reference count per page for copy-on-write sharing. */
#include "kernel.h"
#include "mm.h"
#include "boot.h"

static u8 *bitmap;
static u16 *refcnt;
static u64 max_pfn, hint, nfree, ntotal;

static inline bool used(u64 pfn) { return bitmap[pfn >> 3] & (1 << (pfn & 7)); }
static inline void set_used(u64 pfn) { bitmap[pfn >> 3] |= 1 << (pfn & 7); }
static inline void set_free(u64 pfn) { bitmap[pfn >> 3] &= ~(1 << (pfn & 7)); }

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
    u64 meta_end = ALIGN_UP(meta + bm_bytes + max_pfn * sizeof(u16), PAGE_SIZE);
    bitmap = P2V(meta);
    refcnt = (u16 *)((u8 *)bitmap + bm_bytes);
    memset(bitmap, 0xff, bm_bytes);
    memset(refcnt, 0, max_pfn * sizeof(u16));
    for (u32 i = 0; i < n; i++) {
        if (mm[i].type != 1) continue;
        for (u64 p = ALIGN_UP(mm[i].addr, PAGE_SIZE); p + PAGE_SIZE <= mm[i].addr + mm[i].size; p += PAGE_SIZE) {
            u64 pfn = p / PAGE_SIZE;
            if (pfn >= max_pfn || p < 0x100000 || (p >= OSBOX_KERNEL_PHYS && p < meta_end))
                continue;
            if (used(pfn)) { set_free(pfn); nfree++; }
        }
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

u64 pages_alloc(size_t n)
{
    if (n == 0 || n > nfree) return 0;
    u64 pfn = find_run(n);
    if (!pfn) return 0;
    for (size_t i = 0; i < n; i++) { set_used(pfn + i); refcnt[pfn + i] = 1; }
    nfree -= n;
    hint = pfn + n;
    memset(P2V(pfn * PAGE_SIZE), 0, n * PAGE_SIZE);
    return pfn * PAGE_SIZE;
}

u64 page_alloc(void) { return pages_alloc(1); }

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
