/* The buffer cache: file-system blocks of the root disk kept in memory.
 * Reads hit the cache; writes only mark a block dirty and reach the disk
 * on bcache_sync() (fsync, sync, shutdown) or when the block is evicted. */
#include "kernel.h"
#include "blk.h"
#include "mm.h"
#include "proc.h"

#define NBUF 1024
#define NHASH 256
static struct buf bufs[NBUF];
static struct buf lru;          /* head: most recently used first */
static struct buf *hash[NHASH]; /* valid or loading buffers by blockno */
static struct blkdev *dev;
static u32 bsize;
u64 bcache_hits, bcache_misses;

/* One page per block buffer (block sizes are 1-4 KiB): kmalloc's header
 * would make a 4 KiB buffer span two pages. */
static u8 *buf_data_alloc(void)
{
    u64 p = pages_alloc_nz(1);     /* a block is read into it first */
    return p ? P2V(p) : NULL;
}

static void lru_unlink(struct buf *b) { b->lru_prev->lru_next = b->lru_next; b->lru_next->lru_prev = b->lru_prev; }
static void lru_push(struct buf *b) { b->lru_next = lru.lru_next; b->lru_prev = &lru; lru.lru_next->lru_prev = b; lru.lru_next = b; }

void bcache_init(struct blkdev *d, u32 block_size)
{
    dev = d;
    bsize = block_size;
    lru.lru_next = lru.lru_prev = &lru;
    for (int i = 0; i < NBUF; i++) {
        bufs[i].data = NULL;
        bufs[i].valid = false;
        lru_push(&bufs[i]);
    }
}

static int bwrite_now(struct buf *b)
{
    int r = dev->rw(dev, b->blockno * (bsize / 512), b->data, bsize, true);
    if (r == 0) b->dirty = false;
    return r;
}

/* A hash, not a walk of the LRU list: a miss would visit all NBUF
 * buffers, and every bread and each readahead block looks up. */
static struct buf **bucket(u64 blockno) { return &hash[blockno % NHASH]; }

static void unhash(struct buf *b)
{
    if (!b->hashed) return;
    for (struct buf **p = bucket(b->blockno); *p; p = &(*p)->hash_next)
        if (*p == b) { *p = b->hash_next; break; }
    b->hashed = false;
}

/* Give buffer b a new block number (it is about to be loaded). */
static void rehash(struct buf *b, u64 blockno)
{
    unhash(b);
    b->blockno = blockno;
    b->hash_next = *bucket(blockno);
    *bucket(blockno) = b;
    b->hashed = true;
}

static struct buf *lookup(u64 blockno)
{
    for (struct buf *b = *bucket(blockno); b; b = b->hash_next)
        if ((b->valid || b->loading) && b->blockno == blockno) return b;
    return NULL;
}

/* A clean, unpinned buffer to recycle without sleeping (readahead only). */
static struct buf *clean_victim(void)
{
    for (struct buf *b = lru.lru_prev; b != &lru; b = b->lru_prev)
        if (!b->refs && !b->loading && !(b->valid && b->dirty) && (b->data || (b->data = buf_data_alloc())))
            return b;
    return NULL;
}

/* I/O sleeps, so a buffer is pinned (refs) and marked loading while its
 * block is read; a second reader of the same block waits for it.  A miss
 * also reads up to RA following blocks in the same request (files are
 * mostly contiguous): fewer, larger requests. */
#define RA 32
struct buf *bread(u64 blockno)
{
    struct buf *b = lookup(blockno);
    if (b) {
        b->refs++;
        while (b->loading) sleep_on_unintr(b);
        if (!b->valid) { b->refs--; return NULL; }
        lru_unlink(b);
        lru_push(b);
        bcache_hits++;
        return b;
    }
    bcache_misses++;
    for (b = lru.lru_prev; b != &lru; b = b->lru_prev) {
        if (b->refs || b->loading) continue;
        b->refs = 1;
        if (b->valid && b->dirty && bwrite_now(b)) { b->refs--; continue; }
        if (b->refs != 1 || lookup(blockno)) { b->refs--; return bread(blockno); }
        if (!b->data && !(b->data = buf_data_alloc())) { b->refs--; return NULL; }
        break;
    }
    if (b == &lru) panic("bcache: all buffers pinned");
    struct buf *set[RA + 1];
    void *data[RA + 1];
    u32 n = 0;
    rehash(b, blockno);
    b->valid = false;
    b->loading = true;
    set[n] = b; data[n++] = b->data;
    u64 nblocks = dev->sectors / (bsize / 512);
    while (n <= RA && blockno + n < nblocks && !lookup(blockno + n)) {
        struct buf *x = clean_victim();
        if (!x) break;
        rehash(x, blockno + n);
        x->valid = false;
        x->loading = true;
        set[n] = x; data[n++] = x->data;
    }
    int r = dev->rwv(dev, blockno * (bsize / 512), data, n, bsize, false);
    for (u32 i = 0; i < n; i++) {
        set[i]->loading = false;
        set[i]->valid = r == 0;
        set[i]->dirty = false;
        wakeup(set[i]);
        lru_unlink(set[i]);
        lru_push(set[i]);
    }
    if (r) { b->refs--; return NULL; }
    return b;
}

void bdirty(struct buf *b) { b->dirty = true; }
void brelse(struct buf *b) { if (b) b->refs--; }

int bcache_sync(void)
{
    int err = 0;
    for (int i = 0; i < NBUF; i++)
        if (bufs[i].valid && bufs[i].dirty) {
            bufs[i].refs++;
            if (bwrite_now(&bufs[i])) err = -5;
            bufs[i].refs--;
        }
    if (dev && dev->flush(dev)) err = -5;
    return err;
}
