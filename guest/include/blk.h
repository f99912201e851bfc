/* Block devices (virtio-blk behind a tiny interface) and the buffer cache. */
#ifndef GUEST_BLK_H
#define GUEST_BLK_H
#include "types.h"

struct blkdev {
    u64 sectors;
    int (*rw)(struct blkdev *d, u64 sector, void *buf, u32 len, bool write);
    /* n buffers of len bytes each, consecutive on disk, one request */
    int (*rwv)(struct blkdev *d, u64 sector, void **bufs, u32 n, u32 len, bool write);
    int (*flush)(struct blkdev *d);
    void *priv;
};
void virtio_probe(void);
struct blkdev *blk_get(int index);

struct buf {
    u64 blockno;
    int refs;
    bool valid, dirty, loading;
    u8 *data;
    struct buf *lru_prev, *lru_next;
    struct buf *hash_next;      /* chain of its blockno's hash bucket */
    bool hashed;
};
void bcache_init(struct blkdev *d, u32 block_size);
struct buf *bread(u64 blockno);
void bdirty(struct buf *b);
void brelse(struct buf *b);
int bcache_sync(void);
void blk_poll_all(void);     /* complete requests whose interrupt was lost (the tick) */
extern u64 bcache_hits, bcache_misses;
#endif
