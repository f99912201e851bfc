/* Physical pages, kernel heap, address spaces. */
#ifndef GUEST_MM_H
#define GUEST_MM_H
#include "types.h"

#define PTE_P   0x1UL
#define PTE_W   0x2UL
#define PTE_U   0x4UL
#define PTE_PS  0x80UL
#define PTE_COW 0x200UL     /* software: copy on write */
#define PTE_SHR 0x400UL     /* software: shared page, never COW */
#define PTE_NX  (1UL << 63)
#define PTE_ADDR 0x000ffffffffff000UL

#define USER_TOP       0x0000800000000000UL
#define USER_STACK_TOP 0x00007ffffffff000UL
#define USER_STACK_MAX (8UL << 20)
#define USER_MMAP_TOP  0x00007f0000000000UL

#define PROT_READ  1
#define PROT_WRITE 2
#define PROT_EXEC  4
#define VMA_SHARED 1

/* mm/pmm.c */
struct hvm_start_info;
void pmm_init(const struct hvm_start_info *si);
u64 page_alloc(void);               /* zeroed page, refcount 1; 0 if none */
u64 pages_alloc(size_t n);          /* contiguous zeroed pages */
u64 pages_alloc_nz(size_t n);       /* contiguous pages, contents undefined */
void pages_free(u64 phys, size_t n);
void page_get(u64 phys);
void page_put(u64 phys);
unsigned page_refs(u64 phys);
u64 pmm_free_pages(void);
u64 pmm_total_pages(void);

/* mm/kheap.c */
void *kmalloc(size_t n);
void *kzalloc(size_t n);
void kfree(void *p);

/* mm/vm.c */
struct inode;
struct vma {
    u64 start, end;
    u32 prot, flags;
    struct vma *next;
    /* file-backed (private): page at va holds file bytes from
     * file_off + (va - start), up to address file_end; zeros after */
    struct inode *ip;
    u64 file_off, file_end;
};
struct mm {
    u64 pml4;                  /* physical */
    struct vma *vmas;          /* sorted by start */
    u64 brk_start, brk;
    u64 mmap_top;
    int refs;
    int active_cpu;            /* CPU whose CR3 holds it, or -1 */
};
struct mm *mm_create(void);
struct mm *mm_clone(struct mm *parent);     /* COW copy */
void mm_put(struct mm *mm);
void mm_switch(struct mm *mm);
int vma_add(struct mm *mm, u64 start, u64 end, u32 prot, u32 flags);
int vma_add_file(struct mm *mm, u64 start, u64 end, u32 prot, struct inode *ip, u64 file_off, u64 file_end);
struct vma *vma_find(struct mm *mm, u64 addr);
int vm_unmap(struct mm *mm, u64 start, u64 end);
int vm_protect(struct mm *mm, u64 start, u64 end, u32 prot);
u64 vm_find_free(struct mm *mm, u64 len);
int vm_populate(struct mm *mm, u64 va, u64 *phys_out);   /* ensure a page is present and writable-ready */
int vm_fault(u64 addr, u64 err, bool user);
u64 *pte_walk(u64 pml4, u64 va, bool create);

/* user memory access; return 0 or -EFAULT */
int copy_from_user(void *dst, u64 usrc, size_t n);
int copy_to_user(u64 udst, const void *src, size_t n);
int clear_user(u64 udst, size_t n);
int strncpy_from_user(char *dst, u64 usrc, size_t max);   /* length or -errno */
int user_ok(u64 va, size_t n, bool write);
#endif
