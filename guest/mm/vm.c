/* Per-process address spaces: 4-level page tables whose upper half is the
 * shared kernel mapping, a sorted list of VMAs, demand-zero faults and
 * copy-on-write after fork. */
#include "kernel.h"
#include "mm.h"
#include "proc.h"
#include "errno.h"
#include "fs.h"

#define PTE_TABLE_SPAN (512 * PAGE_SIZE)     /* what one last-level table maps */

u64 *pte_walk(u64 pml4, u64 va, bool create)
{
    u64 *table = P2V(pml4);
    for (int level = 3; level > 0; level--) {
        u64 idx = (va >> (12 + 9 * level)) & 511;
        if (!(table[idx] & PTE_P)) {
            if (!create) return NULL;
            u64 p = page_alloc();
            if (!p) return NULL;
            table[idx] = p | PTE_P | PTE_W | PTE_U;
        }
        table = P2V(table[idx] & PTE_ADDR);
    }
    return &table[(va >> 12) & 511];
}

struct mm *mm_create(void)
{
    struct mm *mm = kzalloc(sizeof *mm);
    if (!mm) return NULL;
    mm->pml4 = page_alloc();
    if (!mm->pml4) { kfree(mm); return NULL; }
    u64 *k = P2V(V2P(boot_pml4)), *n = P2V(mm->pml4);
    for (int i = 256; i < 512; i++) n[i] = k[i];
    mm->refs = 1;
    mm->active_cpu = -1;
    mm->mmap_top = USER_MMAP_TOP;
    return mm;
}

static u64 pte_flags(u32 prot, u32 vflags)
{
    u64 f = PTE_P | PTE_U;
    if (prot & PROT_WRITE) f |= PTE_W;
    if (!(prot & PROT_EXEC)) f |= PTE_NX;
    if (vflags & VMA_SHARED) f |= PTE_SHR;
    return f;
}

/* Copy the user half: shared pages stay shared, writable private pages
 * become read-only COW in both. */
/* The index of the first nonzero entry of t[i..top), or top: one `repe
 * scasq`.  Most of a page table is empty, and under a hypervisor that
 * emulates the guest kernel (kvm-pvm) a string instruction's steps cost far
 * less than the ~4 instructions per entry of a C loop. */
static int next_used(const u64 *t, int i, int top)
{
    if (i >= top) return top;
    const u64 *p = t + i;
    u64 n = (u64)(top - i);
    bool all_zero;
    __asm__ volatile("repe scasq" : "+D"(p), "+c"(n), "=@ccz"(all_zero) : "a"(0UL) : "memory");
    return all_zero ? top : (int)(p - 1 - t);
}

static int copy_level(u64 *src, u64 *dst, int level)
{
    int top = level == 3 ? 256 : 512;
    for (int i = next_used(src, 0, top); i < top; i = next_used(src, i + 1, top)) {
        if (!(src[i] & PTE_P)) continue;
        if (level == 0) {
            u64 e = src[i];
            if ((e & PTE_W) && !(e & PTE_SHR)) {
                e = (e & ~PTE_W) | PTE_COW;
                src[i] = e;
            }
            dst[i] = e;
            page_get(e & PTE_ADDR);
            continue;
        }
        u64 p = page_alloc();
        if (!p) return -ENOMEM;
        dst[i] = p | (src[i] & 0xfff);
        int r = copy_level(P2V(src[i] & PTE_ADDR), P2V(p), level - 1);
        if (r) return r;
    }
    return 0;
}

static void free_level(u64 *t, int level)
{
    int top = level == 3 ? 256 : 512;
    for (int i = next_used(t, 0, top); i < top; i = next_used(t, i + 1, top)) {
        if (!(t[i] & PTE_P)) continue;
        if (level == 0) page_put(t[i] & PTE_ADDR);
        else { free_level(P2V(t[i] & PTE_ADDR), level - 1); page_put(t[i] & PTE_ADDR); }
        t[i] = 0;
    }
}

struct mm *mm_clone(struct mm *parent)
{
    struct mm *mm = mm_create();
    if (!mm) return NULL;
    mm->brk_start = parent->brk_start;
    mm->brk = parent->brk;
    mm->mmap_top = parent->mmap_top;
    struct vma **tail = &mm->vmas;
    for (struct vma *v = parent->vmas; v; v = v->next) {
        struct vma *c = kmalloc(sizeof *c);
        if (!c) { mm_put(mm); return NULL; }
        *c = *v;
        c->next = NULL;
        idup(c->ip);
        *tail = c;
        tail = &c->next;
    }
    if (copy_level(P2V(parent->pml4), P2V(mm->pml4), 3)) { mm_put(mm); return NULL; }
    write_cr3(read_cr3());  /* parent's PTEs lost W */
    return mm;
}

void mm_put(struct mm *mm)
{
    if (!mm || --mm->refs > 0) return;
    free_level(P2V(mm->pml4), 3);
    while (mm->vmas) { struct vma *v = mm->vmas; mm->vmas = v->next; iput(v->ip); kfree(v); }
    if (this_cpu()->mm_loaded == mm) mm_switch(NULL);
    page_put(mm->pml4);
    kfree(mm);
}

/* An address space is live on at most one CPU at a time (the scheduler
 * keeps threads of one process on one CPU at once), so changing its page
 * tables never needs a TLB shootdown on another CPU. */
void mm_switch(struct mm *mm)
{
    struct cpu *c = this_cpu();
    if (c->mm_loaded != mm) {
        if (c->mm_loaded) c->mm_loaded->active_cpu = -1;
        if (mm) mm->active_cpu = c->id;
        c->mm_loaded = mm;
    }
    u64 want = mm ? mm->pml4 : V2P(boot_pml4);
    if (read_cr3() != want) write_cr3(want);
}

struct vma *vma_find(struct mm *mm, u64 addr)
{
    for (struct vma *v = mm->vmas; v; v = v->next)
        if (addr >= v->start && addr < v->end) return v;
    return NULL;
}

int vma_add_file(struct mm *mm, u64 start, u64 end, u32 prot, struct inode *ip, u64 file_off, u64 file_end)
{
    int r = vma_add(mm, start, end, prot, 0);
    if (r) return r;
    struct vma *v = vma_find(mm, start);
    v->ip = idup(ip);
    v->file_off = file_off;
    v->file_end = file_end;
    return 0;
}

int vma_add(struct mm *mm, u64 start, u64 end, u32 prot, u32 flags)
{
    struct vma *n = kmalloc(sizeof *n);
    if (!n) return -ENOMEM;
    *n = (struct vma){ start, end, prot, flags, NULL, NULL, 0, 0 };
    struct vma **pp = &mm->vmas;
    while (*pp && (*pp)->start < start) pp = &(*pp)->next;
    n->next = *pp;
    *pp = n;
    return 0;
}

/* Split so that no VMA straddles addr. */
static int vma_split(struct mm *mm, u64 addr)
{
    struct vma *v = vma_find(mm, addr);
    if (!v || v->start == addr) return 0;
    struct vma *n = kmalloc(sizeof *n);
    if (!n) return -ENOMEM;
    *n = *v;
    n->start = addr;
    if (n->ip) { idup(n->ip); n->file_off += addr - v->start; }
    v->end = addr;
    v->next = n;
    return 0;
}

int vm_unmap(struct mm *mm, u64 start, u64 end)
{
    if (vma_split(mm, start) || vma_split(mm, end)) return -ENOMEM;
    for (struct vma **pp = &mm->vmas; *pp;) {
        struct vma *v = *pp;
        if (v->start >= start && v->end <= end) { *pp = v->next; iput(v->ip); kfree(v); }
        else pp = &v->next;
    }
    for (u64 va = start; va < end; va += PAGE_SIZE) {
        u64 *pte = pte_walk(mm->pml4, va, false);
        if (pte && (*pte & PTE_P)) { page_put(*pte & PTE_ADDR); *pte = 0; invlpg(va); }
    }
    return 0;
}

int vm_protect(struct mm *mm, u64 start, u64 end, u32 prot)
{
    for (u64 a = start; a < end; a += PAGE_SIZE)
        if (!vma_find(mm, a)) return -ENOMEM;
    if (vma_split(mm, start) || vma_split(mm, end)) return -ENOMEM;
    for (struct vma *v = mm->vmas; v; v = v->next)
        if (v->start >= start && v->end <= end) v->prot = prot;
    for (u64 va = start; va < end; va += PAGE_SIZE) {
        u64 *pte = pte_walk(mm->pml4, va, false);
        if (!pte || !(*pte & PTE_P)) continue;
        u64 e = *pte & ~(PTE_W | PTE_NX);
        if (!(prot & PROT_EXEC)) e |= PTE_NX;
        if ((prot & PROT_WRITE) && !(e & PTE_COW)) e |= PTE_W;
        *pte = e;
        invlpg(va);
    }
    return 0;
}

u64 vm_find_free(struct mm *mm, u64 len)
{
    u64 top = mm->mmap_top;
    for (int tries = 0; tries < 1000; tries++) {
        u64 start = top - len;
        struct vma *clash = NULL;
        for (struct vma *v = mm->vmas; v; v = v->next)
            if (v->start < top && v->end > start) { clash = v; break; }
        if (!clash) return start;
        top = clash->start;
    }
    return 0;
}

/* Resolve a fault at va for access (write?) in mm. */
static int fault_in(struct mm *mm, u64 va, bool write)
{
    struct vma *v = vma_find(mm, va);
    if (!v) return -EFAULT;
    if (write && !(v->prot & PROT_WRITE)) return -EFAULT;
    if (!write && !(v->prot & (PROT_READ | PROT_WRITE | PROT_EXEC))) return -EFAULT;
    va = ALIGN_DOWN(va, PAGE_SIZE);
    u64 *pte = pte_walk(mm->pml4, va, true);
    if (!pte) return -ENOMEM;
    if (!(*pte & PTE_P)) {
        u64 p = page_alloc();
        if (!p) return -ENOMEM;
        if (v->ip && va < v->file_end) {
            /* demand paging from the file (ext2_read may sleep on the disk) */
            size_t n = MIN(PAGE_SIZE, v->file_end - va);
            ssize_t got = ext2_read(v->ip, P2V(p), v->file_off + (va - v->start), n);
            if (got < 0) { page_put(p); return -EIO; }
            pte = pte_walk(mm->pml4, va, true);   /* tables may have changed while asleep */
            if (!pte) { page_put(p); return -ENOMEM; }
            if (*pte & PTE_P) { page_put(p); return fault_in(mm, va, write); }
        }
        *pte = p | pte_flags(v->prot, v->flags);
        invlpg(va);
        return 0;
    }
    if (write && !(*pte & PTE_W)) {
        if (!(*pte & PTE_COW)) return -EFAULT;
        u64 old = *pte & PTE_ADDR;
        if (page_refs(old) == 1) {
            *pte = (*pte | PTE_W) & ~PTE_COW;
        } else {
            u64 p = page_alloc();
            if (!p) return -ENOMEM;
            memcpy(P2V(p), P2V(old), PAGE_SIZE);
            *pte = p | ((*pte & ~PTE_ADDR & ~PTE_COW) | PTE_W);
            page_put(old);
        }
        invlpg(va);
    }
    return 0;
}

int vm_populate(struct mm *mm, u64 va, u64 *phys_out)
{
    int r = fault_in(mm, va, false);
    if (r) return r;
    u64 *pte = pte_walk(mm->pml4, va, false);
    if (phys_out) *phys_out = *pte & PTE_ADDR;
    return 0;
}

int vm_fault(u64 addr, u64 err, bool user)
{
    (void)user;
    if (!cur || !cur->mm || addr >= USER_TOP) return -1;
    if ((err & 1) && !(err & 2)) return -1;   /* protection fault on read/exec */
    int r = fault_in(cur->mm, addr, err & 2);
    return r == -ENOMEM ? -ENOMEM : r ? -1 : 0;
}

/* Walk from the top once per page table (2 MiB), then step along its
 * entries: a 64 KiB copy checks 16 entries, not 16 four-level walks. */
int user_ok(u64 va, size_t n, bool write)
{
    if (!cur || !cur->mm) return -EFAULT;
    if (va + n < va || va + n > USER_TOP) return -EFAULT;
    u64 p = ALIGN_DOWN(va, PAGE_SIZE), end = va + n;
    u64 *pte = NULL;
    for (; p < end; p += PAGE_SIZE, pte = pte ? pte + 1 : NULL) {
        if (!pte || (p & (PTE_TABLE_SPAN - 1)) == 0) pte = pte_walk(cur->mm->pml4, p, false);
        if (pte && (*pte & PTE_P) && (*pte & PTE_U) && (!write || (*pte & PTE_W))) continue;
        if (fault_in(cur->mm, p, write)) return -EFAULT;
        pte = NULL;     /* the fault may have made new tables: walk again */
    }
    return 0;
}

int copy_from_user(void *dst, u64 usrc, size_t n)
{
    if (user_ok(usrc, n, false)) return -EFAULT;
    memcpy(dst, (void *)usrc, n);
    return 0;
}

int copy_to_user(u64 udst, const void *src, size_t n)
{
    if (user_ok(udst, n, true)) return -EFAULT;
    memcpy((void *)udst, src, n);
    return 0;
}

int clear_user(u64 udst, size_t n)
{
    if (user_ok(udst, n, true)) return -EFAULT;
    memset((void *)udst, 0, n);
    return 0;
}

int strncpy_from_user(char *dst, u64 usrc, size_t max)
{
    for (size_t i = 0; i < max; i++) {
        if ((i == 0 || ((usrc + i) & (PAGE_SIZE - 1)) == 0) && user_ok(usrc + i, 1, false))
            return -EFAULT;
        dst[i] = *(char *)(usrc + i);
        if (!dst[i]) return (int)i;
    }
    return -ENAMETOOLONG;
}
