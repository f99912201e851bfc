/* ext2 (revision 0/1, feature "filetype"): inodes, block maps with
 * indirect blocks, directories, allocation; all I/O through the buffer cache. */
#include "kernel.h"
#include "fs.h"
#include "blk.h"
#include "errno.h"
#include "proc.h"
#include "mm.h"

struct sb {
    u32 inodes_count, blocks_count, r_blocks, free_blocks, free_inodes, first_data_block;
    u32 log_block_size, log_frag_size, blocks_per_group, frags_per_group, inodes_per_group;
    u32 mtime, wtime;
    u16 mnt_count, max_mnt_count, magic, state, errors, minor_rev;
    u32 lastcheck, checkinterval, creator_os, rev_level;
    u16 def_resuid, def_resgid;
    u32 first_ino;
    u16 inode_size, block_group_nr;
    u32 feature_compat, feature_incompat, feature_ro_compat;
};
struct gd { u32 block_bitmap, inode_bitmap, inode_table; u16 free_blocks, free_inodes, used_dirs, pad; u32 rsv[3]; };

#define EXT2_INDEX_FL 0x1000
#define INCOMPAT_FILETYPE 0x2
#define NINODE 256

static struct sb sb;
static struct gd *gds;
static u32 ngroups, bs, ptrs, inode_size, gd_block;
static bool readonly;
u32 ext2_block_size;
struct inode *root_inode;
static struct inode inodes[NINODE];

static u32 now_s(void) { return (u32)((time_realtime_base_ns() + time_ns()) / 1000000000UL); }

static int sb_write(void)
{
    /* superblock lives at byte 1024 */
    struct buf *b = bread(1024 / bs);
    if (!b) return -EIO;
    memcpy(b->data + (bs == 1024 ? 0 : 1024), &sb, sizeof sb);
    bdirty(b);
    brelse(b);
    for (u32 i = 0; i < ngroups; i++) {
        u32 per = bs / sizeof(struct gd);
        struct buf *g = bread(gd_block + i / per);
        if (!g) return -EIO;
        memcpy(g->data + (i % per) * sizeof(struct gd), &gds[i], sizeof(struct gd));
        bdirty(g);
        brelse(g);
    }
    return 0;
}

static void itable_reset(void);

int ext2_mount(void)
{
    struct blkdev *d = blk_get(0);
    if (!d) return -ENODEV;
    itable_reset();
    u8 *tmp = kmalloc(1024);
    if (d->rw(d, 2, tmp, 1024, false)) return -EIO;
    memcpy(&sb, tmp, sizeof sb);
    kfree(tmp);
    if (sb.magic != 0xef53) return -EINVAL;
    bs = 1024U << sb.log_block_size;
    ext2_block_size = bs;
    ptrs = bs / 4;
    inode_size = sb.rev_level ? sb.inode_size : 128;
    if (sb.feature_incompat & ~INCOMPAT_FILETYPE) {
        printk("osbox-guest: ext2: unsupported incompat features %x\n", sb.feature_incompat);
        return -EINVAL;
    }
    readonly = (sb.feature_ro_compat & ~3U) != 0;
    bcache_init(d, bs);
    ngroups = (sb.blocks_count - sb.first_data_block + sb.blocks_per_group - 1) / sb.blocks_per_group;
    gds = kmalloc(ngroups * sizeof(struct gd));
    gd_block = sb.first_data_block + 1;
    for (u32 i = 0; i < ngroups; i++) {
        u32 per = bs / sizeof(struct gd);
        struct buf *g = bread(gd_block + i / per);
        if (!g) return -EIO;
        memcpy(&gds[i], g->data + (i % per) * sizeof(struct gd), sizeof(struct gd));
        brelse(g);
    }
    root_inode = iget(2);
    if (!root_inode) return -EIO;
    printk("osbox-guest: ext2: %u blocks of %u bytes, %u groups%s\n", sb.blocks_count, bs, ngroups, readonly ? " (read-only)" : "");
    return 0;
}

/* ---- inodes ---- */

static int inode_loc(u32 ino, struct buf **b, u32 *off)
{
    u32 g = (ino - 1) / sb.inodes_per_group, idx = (ino - 1) % sb.inodes_per_group;
    if (ino == 0 || g >= ngroups) return -EINVAL;
    u64 byte = (u64)idx * inode_size;
    *b = bread(gds[g].inode_table + byte / bs);
    *off = byte % bs;
    return *b ? 0 : -EIO;
}

void iupdate(struct inode *ip)
{
    struct buf *b;
    u32 off;
    if (inode_loc(ip->ino, &b, &off)) return;
    memcpy(b->data + off, &ip->d, sizeof ip->d);
    bdirty(b);
    brelse(b);
}

/* In-use inodes are found through a hash on their number (a scan of all
 * NINODE slots cost ~1500 emulated instructions per lookup); unused slots
 * wait on a free list. */
#define IHASH 64
static struct inode *ihash[IHASH], *ifree_slots;

static struct inode *ihash_find(u32 ino)
{
    for (struct inode *ip = ihash[ino % IHASH]; ip; ip = ip->hnext)
        if (ip->ino == ino) return ip;
    return NULL;
}

static void ihash_remove(struct inode *ip)
{
    for (struct inode **pp = &ihash[ip->ino % IHASH]; *pp; pp = &(*pp)->hnext)
        if (*pp == ip) { *pp = ip->hnext; break; }
}

/* at mount: every slot unused */
static void itable_reset(void)
{
    memset(ihash, 0, sizeof ihash);
    ifree_slots = NULL;
    for (int i = NINODE - 1; i >= 0; i--) {
        inodes[i].refs = 0;
        inodes[i].hnext = ifree_slots;
        ifree_slots = &inodes[i];
    }
}

struct inode *iget(u32 ino)
{
    struct inode *ip = ihash_find(ino);
    if (ip) { ip->refs++; return ip; }
    struct inode *slot = ifree_slots;
    if (!slot) return NULL;
    ifree_slots = slot->hnext;
    struct buf *b;
    u32 off;
    if (inode_loc(ino, &b, &off)) { slot->hnext = ifree_slots; ifree_slots = slot; return NULL; }
    memcpy(&slot->d, b->data + off, sizeof slot->d);
    brelse(b);
    /* the read may have slept: someone else may have loaded it meanwhile */
    if ((ip = ihash_find(ino))) {
        slot->hnext = ifree_slots;
        ifree_slots = slot;
        ip->refs++;
        return ip;
    }
    slot->ino = ino;
    slot->refs = 1;
    slot->hnext = ihash[ino % IHASH];
    ihash[ino % IHASH] = slot;
    return slot;
}

struct inode *idup(struct inode *ip) { if (ip) ip->refs++; return ip; }
u64 isize(struct inode *ip) { return ip->d.size | (S_ISREG(ip->d.mode) ? (u64)ip->d.size_high << 32 : 0); }
static void set_size(struct inode *ip, u64 s) { ip->d.size = (u32)s; if (S_ISREG(ip->d.mode)) ip->d.size_high = s >> 32; }

/* ---- allocation ---- */

static int bitmap_alloc(u32 bitmap_block, u32 nbits)
{
    struct buf *b = bread(bitmap_block);
    if (!b) return -1;
    for (u32 i = 0; i < nbits; i++)
        if (!(b->data[i / 8] & (1 << (i % 8)))) {
            b->data[i / 8] |= 1 << (i % 8);
            bdirty(b);
            brelse(b);
            return (int)i;
        }
    brelse(b);
    return -1;
}

static void bitmap_clear(u32 bitmap_block, u32 bit)
{
    struct buf *b = bread(bitmap_block);
    if (!b) return;
    b->data[bit / 8] &= ~(1 << (bit % 8));
    bdirty(b);
    brelse(b);
}

static u32 balloc(struct inode *ip)
{
    if (!sb.free_blocks) return 0;
    u32 start = ip ? (ip->ino - 1) / sb.inodes_per_group : 0;
    for (u32 k = 0; k < ngroups; k++) {
        u32 g = (start + k) % ngroups;
        if (!gds[g].free_blocks) continue;
        u32 nb = sb.blocks_per_group;
        if (g == ngroups - 1) nb = sb.blocks_count - sb.first_data_block - g * sb.blocks_per_group;
        int bit = bitmap_alloc(gds[g].block_bitmap, nb);
        if (bit < 0) continue;
        gds[g].free_blocks--;
        sb.free_blocks--;
        u32 blk = sb.first_data_block + g * sb.blocks_per_group + bit;
        struct buf *b = bread(blk);
        if (b) { memset(b->data, 0, bs); bdirty(b); brelse(b); }
        if (ip) ip->d.blocks += bs / 512;
        return blk;
    }
    return 0;
}

static void bfree(struct inode *ip, u32 blk)
{
    u32 g = (blk - sb.first_data_block) / sb.blocks_per_group;
    bitmap_clear(gds[g].block_bitmap, (blk - sb.first_data_block) % sb.blocks_per_group);
    gds[g].free_blocks++;
    sb.free_blocks++;
    if (ip) ip->d.blocks -= bs / 512;
}

static u32 ialloc(bool dir)
{
    for (u32 g = 0; g < ngroups; g++) {
        if (!gds[g].free_inodes) continue;
        int bit = bitmap_alloc(gds[g].inode_bitmap, sb.inodes_per_group);
        if (bit < 0) continue;
        u32 ino = g * sb.inodes_per_group + bit + 1;
        if (ino < (sb.rev_level ? sb.first_ino : 11)) { gds[g].free_inodes--; sb.free_inodes--; continue; }
        gds[g].free_inodes--;
        sb.free_inodes--;
        if (dir) gds[g].used_dirs++;
        return ino;
    }
    return 0;
}

static void ifree(u32 ino, bool dir)
{
    u32 g = (ino - 1) / sb.inodes_per_group;
    bitmap_clear(gds[g].inode_bitmap, (ino - 1) % sb.inodes_per_group);
    gds[g].free_inodes++;
    sb.free_inodes++;
    if (dir) gds[g].used_dirs--;
}

/* ---- block map ---- */

/* Disk block of file block fb: 0 for a hole (or no space when allocating),
 * BMAP_EIO when an indirect block cannot be read (not a hole: reading
 * zeros there would hide the error). */
#define BMAP_EIO 0xffffffffU
static u32 bmap(struct inode *ip, u64 fb, bool alloc)
{
    u32 *slot;
    struct buf *held = NULL;
    if (fb < 12) {
        slot = &ip->d.block[fb];
        if (!*slot && alloc) { *slot = balloc(ip); iupdate(ip); }
        return *slot;
    }
    fb -= 12;
    int level;
    u64 span;
    if (fb < ptrs) { level = 1; slot = &ip->d.block[12]; span = 1; }
    else if ((fb -= ptrs) < (u64)ptrs * ptrs) { level = 2; slot = &ip->d.block[13]; span = ptrs; }
    else { fb -= (u64)ptrs * ptrs; level = 3; slot = &ip->d.block[14]; span = (u64)ptrs * ptrs; }
    if (!*slot) {
        if (!alloc) return 0;
        if (!(*slot = balloc(ip))) return 0;
        iupdate(ip);
    }
    u32 blk = *slot;
    for (; level > 0; level--) {
        struct buf *b = bread(blk);
        if (!b) { brelse(held); return BMAP_EIO; }
        brelse(held);
        held = b;
        u32 *a = (u32 *)b->data;
        u64 idx = fb / span;
        fb %= span;
        span /= ptrs ? ptrs : 1;
        if (!a[idx]) {
            if (!alloc) { brelse(b); return 0; }
            if (!(a[idx] = balloc(ip))) { brelse(b); return 0; }
            bdirty(b);
            iupdate(ip);
        }
        blk = a[idx];
    }
    brelse(held);
    return blk;
}

ssize_t ext2_read(struct inode *ip, void *buf, u64 off, size_t n)
{
    u64 size = isize(ip);
    if (off >= size) return 0;
    if (n > size - off) n = size - off;
    size_t done = 0;
    while (done < n) {
        u64 fb = (off + done) / bs;
        u32 o = (off + done) % bs, chunk = MIN(bs - o, n - done);
        u32 blk = bmap(ip, fb, false);
        if (blk == BMAP_EIO) return done ? (ssize_t)done : -EIO;
        if (!blk) memset((u8 *)buf + done, 0, chunk);
        else {
            struct buf *b = bread(blk);
            if (!b) return done ? (ssize_t)done : -EIO;
            memcpy((u8 *)buf + done, b->data + o, chunk);
            brelse(b);
        }
        done += chunk;
    }
    return done;
}

ssize_t ext2_write(struct inode *ip, const void *buf, u64 off, size_t n)
{
    if (readonly) return -EROFS;
    size_t done = 0;
    while (done < n) {
        u64 fb = (off + done) / bs;
        u32 o = (off + done) % bs, chunk = MIN(bs - o, n - done);
        u32 blk = bmap(ip, fb, true);
        if (blk == BMAP_EIO) { if (!done) return -EIO; break; }
        if (!blk) { if (!done) return -ENOSPC; break; }
        struct buf *b = bread(blk);
        if (!b) return done ? (ssize_t)done : -EIO;
        memcpy(b->data + o, (const u8 *)buf + done, chunk);
        bdirty(b);
        brelse(b);
        done += chunk;
    }
    if (off + done > isize(ip)) set_size(ip, off + done);
    ip->d.mtime = ip->d.ctime = now_s();
    iupdate(ip);
    sb_write();
    return done;
}

/* Free every data block with file index >= nb below *ptr, which covers
 * file blocks [first, first + span). */
static void trunc_tree(struct inode *ip, u32 *ptr, int level, u64 first, u64 span, u64 nb)
{
    if (!*ptr || first + span <= nb) return;
    if (level > 0) {
        struct buf *b = bread(*ptr);
        if (!b) return;
        u32 *a = (u32 *)b->data;
        u64 cs = span / ptrs;
        for (u32 i = 0; i < ptrs; i++) {
            u32 before = a[i];
            trunc_tree(ip, &a[i], level - 1, first + i * cs, cs, nb);
            if (a[i] != before) bdirty(b);
        }
        brelse(b);
    }
    if (first >= nb) { bfree(ip, *ptr); *ptr = 0; }
}

int ext2_truncate(struct inode *ip, u64 size)
{
    if (readonly) return -EROFS;
    u64 nb = (size + bs - 1) / bs;
    if (!S_ISLNK(ip->d.mode) || ip->d.blocks) {
        for (u64 i = 0; i < 12; i++) trunc_tree(ip, &ip->d.block[i], 0, i, 1, nb);
        u64 p = ptrs;
        trunc_tree(ip, &ip->d.block[12], 1, 12, p, nb);
        trunc_tree(ip, &ip->d.block[13], 2, 12 + p, p * p, nb);
        trunc_tree(ip, &ip->d.block[14], 3, 12 + p + p * p, p * p * p, nb);
    }
    /* zero the tail of the last partial block so a later extension reads zeros */
    if (size % bs) {
        u32 blk = bmap(ip, size / bs, false);
        struct buf *b = blk ? bread(blk) : NULL;
        if (b) { memset(b->data + size % bs, 0, bs - size % bs); bdirty(b); brelse(b); }
    }
    set_size(ip, size);
    ip->d.mtime = ip->d.ctime = now_s();
    iupdate(ip);
    sb_write();
    return 0;
}

void iput(struct inode *ip)
{
    if (!ip || --ip->refs > 0) return;
    if (ip->d.links == 0 && !readonly) {
        bool dir = S_ISDIR(ip->d.mode);
        ext2_truncate(ip, 0);
        ip->d.dtime = now_s();
        iupdate(ip);
        ifree(ip->ino, dir);
        sb_write();
    }
    if (ip->refs > 0) return;       /* taken again while the writes above slept */
    ihash_remove(ip);
    ip->hnext = ifree_slots;
    ifree_slots = ip;
}

/* ---- directories ---- */

struct dirent2 { u32 inode; u16 rec_len; u8 name_len, file_type; char name[]; };
static u8 ftype_of(u16 mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG: return 1; case S_IFDIR: return 2; case S_IFCHR: return 3;
    case S_IFBLK: return 4; case S_IFIFO: return 5; case S_IFSOCK: return 6;
    case S_IFLNK: return 7;
    }
    return 0;
}

u64 ext2_readdir(struct inode *dir, u64 off, u32 *ino, u8 *type, char *name)
{
    u64 size = isize(dir);
    while (off < size) {
        u32 blk = bmap(dir, off / bs, false);
        struct buf *b = blk ? bread(blk) : NULL;
        if (!b) return 0;
        struct dirent2 *de = (struct dirent2 *)(b->data + off % bs);
        u16 rl = de->rec_len;
        if (rl < 8 || off % bs + rl > bs) { brelse(b); return 0; }
        if (de->inode) {
            *ino = de->inode;
            *type = de->file_type;
            memcpy(name, de->name, de->name_len);
            name[de->name_len] = 0;
            brelse(b);
            return off + rl;
        }
        brelse(b);
        off += rl;
    }
    return 0;
}

int ext2_lookup(struct inode *dir, const char *name, size_t len, u32 *ino)
{
    if (!S_ISDIR(dir->d.mode)) return -ENOTDIR;
    char nm[256];
    u8 t;
    u32 i;
    for (u64 off = 0; (off = ext2_readdir(dir, off, &i, &t, nm));)
        if (strlen(nm) == len && !memcmp(nm, name, len)) { *ino = i; return 0; }
    return -ENOENT;
}

static int dir_add(struct inode *dir, const char *name, u32 ino, u8 type)
{
    size_t nl = strlen(name);
    if (nl > 255) return -ENAMETOOLONG;
    u32 need = ALIGN_UP(8 + nl, 4);
    u64 size = isize(dir);
    dir->d.flags &= ~EXT2_INDEX_FL;
    for (u64 fb = 0; fb * bs < size; fb++) {
        u32 blk = bmap(dir, fb, false);
        struct buf *b = blk ? bread(blk) : NULL;
        if (!b) continue;
        for (u32 o = 0; o < bs;) {
            struct dirent2 *de = (struct dirent2 *)(b->data + o);
            if (de->rec_len < 8) break;
            u32 used = de->inode ? ALIGN_UP(8 + de->name_len, 4) : 0;
            if (de->rec_len - used >= need) {
                struct dirent2 *n = de;
                if (used) {
                    n = (struct dirent2 *)(b->data + o + used);
                    n->rec_len = de->rec_len - used;
                    de->rec_len = used;
                }
                n->inode = ino;
                n->name_len = nl;
                n->file_type = type;
                memcpy(n->name, name, nl);
                bdirty(b);
                brelse(b);
                dir->d.mtime = dir->d.ctime = now_s();
                iupdate(dir);
                return 0;
            }
            o += de->rec_len;
        }
        brelse(b);
    }
    u32 blk = bmap(dir, size / bs, true);
    if (!blk) return -ENOSPC;
    struct buf *b = bread(blk);
    struct dirent2 *n = (struct dirent2 *)b->data;
    n->inode = ino;
    n->rec_len = bs;
    n->name_len = nl;
    n->file_type = type;
    memcpy(n->name, name, nl);
    bdirty(b);
    brelse(b);
    set_size(dir, size + bs);
    dir->d.mtime = dir->d.ctime = now_s();
    iupdate(dir);
    return 0;
}

static int dir_remove(struct inode *dir, const char *name)
{
    size_t nl = strlen(name);
    u64 size = isize(dir);
    dir->d.flags &= ~EXT2_INDEX_FL;
    for (u64 fb = 0; fb * bs < size; fb++) {
        u32 blk = bmap(dir, fb, false);
        struct buf *b = blk ? bread(blk) : NULL;
        if (!b) continue;
        struct dirent2 *prev = NULL;
        for (u32 o = 0; o < bs;) {
            struct dirent2 *de = (struct dirent2 *)(b->data + o);
            if (de->rec_len < 8) break;
            if (de->inode && de->name_len == nl && !memcmp(de->name, name, nl)) {
                if (prev) prev->rec_len += de->rec_len;
                else de->inode = 0;
                bdirty(b);
                brelse(b);
                dir->d.mtime = dir->d.ctime = now_s();
                iupdate(dir);
                return 0;
            }
            prev = de;
            o += de->rec_len;
        }
        brelse(b);
    }
    return -ENOENT;
}

static bool dir_empty(struct inode *dir)
{
    char nm[256];
    u8 t;
    u32 i;
    for (u64 off = 0; (off = ext2_readdir(dir, off, &i, &t, nm));)
        if (strcmp(nm, ".") && strcmp(nm, "..")) return false;
    return true;
}

int ext2_create(struct inode *dir, const char *name, u16 mode, struct inode **out)
{
    if (readonly) return -EROFS;
    u32 x;
    if (ext2_lookup(dir, name, strlen(name), &x) == 0) return -EEXIST;
    bool isdir = S_ISDIR(mode);
    u32 ino = ialloc(isdir);
    if (!ino) return -ENOSPC;
    struct inode *ip = iget(ino);
    if (!ip) { ifree(ino, isdir); return -ENFILE; }
    memset(&ip->d, 0, sizeof ip->d);
    ip->d.mode = mode;
    ip->d.links = isdir ? 2 : 1;
    ip->d.atime = ip->d.mtime = ip->d.ctime = now_s();
    iupdate(ip);
    if (isdir) {
        u32 blk = bmap(ip, 0, true);
        struct buf *b = blk ? bread(blk) : NULL;
        if (!b) { ip->d.links = 0; iput(ip); return -ENOSPC; }
        struct dirent2 *d1 = (struct dirent2 *)b->data;
        d1->inode = ino; d1->rec_len = 12; d1->name_len = 1; d1->file_type = 2; d1->name[0] = '.';
        struct dirent2 *d2 = (struct dirent2 *)(b->data + 12);
        d2->inode = dir->ino; d2->rec_len = bs - 12; d2->name_len = 2; d2->file_type = 2;
        d2->name[0] = d2->name[1] = '.';
        bdirty(b);
        brelse(b);
        set_size(ip, bs);
        iupdate(ip);
        dir->d.links++;
    }
    int r = dir_add(dir, name, ino, ftype_of(mode));
    if (r) { ip->d.links = 0; if (isdir) dir->d.links--; iput(ip); return r; }
    iupdate(dir);
    sb_write();
    *out = ip;
    return 0;
}

int ext2_link(struct inode *dir, const char *name, struct inode *ip)
{
    if (readonly) return -EROFS;
    u32 x;
    if (ext2_lookup(dir, name, strlen(name), &x) == 0) return -EEXIST;
    int r = dir_add(dir, name, ip->ino, ftype_of(ip->d.mode));
    if (r) return r;
    ip->d.links++;
    ip->d.ctime = now_s();
    iupdate(ip);
    sb_write();
    return 0;
}

int ext2_unlink(struct inode *dir, const char *name, bool rmdir)
{
    if (readonly) return -EROFS;
    if (!strcmp(name, ".") || !strcmp(name, "..")) return -EINVAL;
    u32 ino;
    int r = ext2_lookup(dir, name, strlen(name), &ino);
    if (r) return r;
    struct inode *ip = iget(ino);
    if (!ip) return -EIO;
    bool isdir = S_ISDIR(ip->d.mode);
    if (rmdir && !isdir) { iput(ip); return -ENOTDIR; }
    if (!rmdir && isdir) { iput(ip); return -EISDIR; }
    if (isdir && !dir_empty(ip)) { iput(ip); return -ENOTEMPTY; }
    r = dir_remove(dir, name);
    if (r) { iput(ip); return r; }
    if (isdir) { ip->d.links = 0; dir->d.links--; iupdate(dir); }
    else ip->d.links--;
    ip->d.ctime = now_s();
    iupdate(ip);
    iput(ip);
    sb_write();
    return 0;
}

int ext2_rename(struct inode *odir, const char *oname, struct inode *ndir, const char *nname)
{
    if (readonly) return -EROFS;
    u32 ino, tino;
    int r = ext2_lookup(odir, oname, strlen(oname), &ino);
    if (r) return r;
    struct inode *ip = iget(ino);
    if (!ip) return -EIO;
    bool isdir = S_ISDIR(ip->d.mode);
    if (ext2_lookup(ndir, nname, strlen(nname), &tino) == 0) {
        if (tino == ino) { iput(ip); return 0; }
        struct inode *t = iget(tino);
        bool tdir = t && S_ISDIR(t->d.mode);
        iput(t);
        if (tdir != isdir) { iput(ip); return isdir ? -ENOTDIR : -EISDIR; }
        if ((r = ext2_unlink(ndir, nname, tdir))) { iput(ip); return r; }
    }
    if ((r = dir_add(ndir, nname, ino, ftype_of(ip->d.mode)))) { iput(ip); return r; }
    dir_remove(odir, oname);
    if (isdir && odir != ndir) {
        /* repoint ".." */
        u32 blk = bmap(ip, 0, false);
        struct buf *b = blk ? bread(blk) : NULL;
        if (b) {
            struct dirent2 *d2 = (struct dirent2 *)(b->data + ((struct dirent2 *)b->data)->rec_len);
            d2->inode = ndir->ino;
            bdirty(b);
            brelse(b);
        }
        odir->d.links--;
        ndir->d.links++;
        iupdate(odir);
        iupdate(ndir);
    }
    ip->d.ctime = now_s();
    iupdate(ip);
    iput(ip);
    sb_write();
    return 0;
}

void ext2_stat(struct inode *ip, struct stat_k *st)
{
    memset(st, 0, sizeof *st);
    st->dev = 0x801;
    st->ino = ip->ino;
    st->nlink = ip->d.links;
    st->mode = ip->d.mode;
    st->uid = ip->d.uid;
    st->gid = ip->d.gid;
    st->size = isize(ip);
    st->blksize = bs;
    st->blocks = ip->d.blocks;
    st->atime = ip->d.atime;
    st->mtime = ip->d.mtime;
    st->ctime = ip->d.ctime;
}

int ext2_inodes_in_use(void)
{
    int n = 0;
    for (int i = 0; i < NINODE; i++) n += inodes[i].refs > 0;
    return n;
}

/* statfs(2) of the mounted file system (df) */
void ext2_statfs(struct statfs_k *st)
{
    memset(st, 0, sizeof *st);
    st->type = 0xef53;                      /* EXT2_SUPER_MAGIC */
    st->bsize = st->frsize = bs;
    st->blocks = sb.blocks_count;
    st->bfree = sb.free_blocks;
    st->bavail = sb.free_blocks > sb.r_blocks ? sb.free_blocks - sb.r_blocks : 0;
    st->files = sb.inodes_count;
    st->ffree = sb.free_inodes;
    st->namelen = 255;
    st->flags = readonly ? 1 : 0;           /* ST_RDONLY */
}
bool ext2_readonly(void) { return readonly; }
