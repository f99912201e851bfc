/* Kernel heap: power-of-two size classes carved from pages; larger
 * requests take contiguous pages.  A 16-byte header records the size. */
#include "kernel.h"
#include "mm.h"

struct hdr { u64 size; u64 magic; };
#define HMAGIC 0x6b6865617021UL
#define NCLASS 8    /* 32 .. 4096 */
static void *freelist[NCLASS];

static int class_of(size_t n)
{
    int c = 0;
    for (size_t s = 32; s < n; s <<= 1) c++;
    return c;
}

void *kmalloc(size_t n)
{
    size_t total = n + sizeof(struct hdr);
    struct hdr *h;
    if (total > 4096) {
        size_t pages = ALIGN_UP(total, PAGE_SIZE) / PAGE_SIZE;
        u64 p = pages_alloc_nz(pages);
        if (!p) return NULL;
        h = P2V(p);
        h->size = pages * PAGE_SIZE;
    } else {
        int c = class_of(total);
        if (!freelist[c]) {
            u64 p = pages_alloc_nz(1);
            if (!p) return NULL;
            size_t sz = 32UL << c;
            for (u8 *o = P2V(p); o + sz <= (u8 *)P2V(p) + PAGE_SIZE; o += sz) {
                *(void **)o = freelist[c];
                freelist[c] = o;
            }
        }
        h = freelist[c];
        freelist[c] = *(void **)h;
        h->size = 32UL << c;
    }
    h->magic = HMAGIC;
    return h + 1;
}

void *kzalloc(size_t n)
{
    void *p = kmalloc(n);
    if (p) memset(p, 0, n);
    return p;
}

void kfree(void *p)
{
    if (!p) return;
    struct hdr *h = (struct hdr *)p - 1;
    if (h->magic != HMAGIC) panic("kfree: bad pointer %p", p);
    h->magic = 0;
    if (h->size > 4096) {
        pages_free(V2P(h), h->size / PAGE_SIZE);
        return;
    }
    int c = class_of(h->size);
    *(void **)h = freelist[c];
    freelist[c] = h;
}
