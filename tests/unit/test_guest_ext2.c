/* Host tests of the guest's ext2 code (guest/fs/ext2.c) and its buffer
 * cache (guest/fs/bcache.c) on real images: mke2fs -d builds a small
 * ext2 image in a temporary directory, a host blkdev serves it from the
 * file, and after the guest code has written to it e2fsck -fn must find
 * it clean and debugfs must read back what was written. */
#include "test_guest_shim.h"
#include <unistd.h>
#include "fs.h"
#include "blk.h"
#include "errno.h"
#include "proc.h"
#include "mm.h"

extern int mkdir(const char *path, unsigned int mode);   /* <sys/stat.h> would clash with fs.h */

/* ---- stand-ins ---- */
static u64 next_page = 0x1000000;
u64 pages_alloc_nz(size_t n)
{
    u64 p = next_page;
    next_page += n * PAGE_SIZE;
    assert_true(next_page <= SHIM_RAM_SIZE);
    return p;
}
void *kmalloc(size_t n) { return malloc(n); }
void kfree(void *p) { free(p); }
void sleep_on_unintr(void *chan) { (void)chan; fail_msg("bcache slept in a single-threaded test"); }
void wakeup(void *chan) { (void)chan; }
u64 time_ns(void) { return 0; }
u64 time_realtime_base_ns(void) { return 1700000000UL * 1000000000UL; }

static FILE *img;
static int io_errors;       /* > 0: fail that many more requests */
static int host_rw(struct blkdev *d, u64 sector, void *buf, u32 len, bool write)
{
    (void)d;
    if (io_errors > 0) { io_errors--; return -EIO; }
    if (fseek(img, (long)(sector * 512), SEEK_SET)) return -EIO;
    size_t n = write ? fwrite(buf, 1, len, img) : fread(buf, 1, len, img);
    return n == len ? 0 : -EIO;
}
static int host_rwv(struct blkdev *d, u64 sector, void **bufs, u32 n, u32 len, bool write)
{
    for (u32 i = 0; i < n; i++)
        if (host_rw(d, sector + (u64)i * (len / 512), bufs[i], len, write)) return -EIO;
    return 0;
}
static int host_flush(struct blkdev *d) { (void)d; return fflush(img) ? -EIO : 0; }
static struct blkdev host_disk = { .rw = host_rw, .rwv = host_rwv, .flush = host_flush };
struct blkdev *blk_get(int index) { return index == 0 && img ? &host_disk : NULL; }

#include "../../guest/fs/bcache.c"
#include "../../guest/fs/ext2.c"

/* ---- fixtures ---- */
static char dir[64], image[128];

static void sh(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int r = system(cmd);
    if (r != 0) fail_msg("'%s' exited %d", cmd, r);
}

static void put_file(const char *rel, const void *data, size_t n)
{
    char p[256];
    snprintf(p, sizeof p, "%s/stage/%s", dir, rel);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

static u8 pattern(u64 i) { return (u8)(i * 7 + i / 251); }
#define BIG 300000      /* with 1 KiB blocks: direct, single and double indirect */
static u8 big[BIG];

/* Build IMAGE (block size bsz, extra mke2fs options) and mount it with the guest code. */
static void make_image(int bsz, const char *opts)
{
    snprintf(dir, sizeof dir, "/tmp/osbox-ext2-test.XXXXXX");
    assert_non_null(mkdtemp(dir));
    char p[256];
    snprintf(p, sizeof p, "%s/stage", dir);
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/stage/dir", dir);
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/stage/dir/sub", dir);
    assert_int_equal(mkdir(p, 0755), 0);
    put_file("hello.txt", "hello world\n", 12);
    put_file("dir/sub/deep.txt", "deep\n", 5);
    for (u64 i = 0; i < BIG; i++) big[i] = pattern(i);
    put_file("big.bin", big, BIG);
    snprintf(image, sizeof image, "%s/disk.img", dir);
    sh("mke2fs -q -F -t ext2 -b %d %s -d %s/stage %s 4M >/dev/null", bsz, opts, dir, image);
    img = fopen(image, "r+");
    assert_non_null(img);
}

/* A fresh guest mount: forget the cache and inodes of the last one. */
static int mount_guest(void)
{
    memset(bufs, 0, sizeof bufs);
    memset(hash, 0, sizeof hash);
    memset(inodes, 0, sizeof inodes);
    next_page = 0x1000000;
    return ext2_mount();
}

static int setup_1k(void **state) { (void)state; shim_ram_setup(); make_image(1024, ""); return mount_guest(); }
static int setup_4k(void **state) { (void)state; shim_ram_setup(); make_image(4096, ""); return mount_guest(); }
static int teardown(void **state)
{
    (void)state;
    if (img) fclose(img);
    img = NULL;
    sh("rm -rf %s", dir);
    return 0;
}

static struct inode *walk(const char *path)
{
    struct inode *ip = idup(root_inode);
    char name[256];
    while (*path) {
        while (*path == '/') path++;
        size_t l = strcspn(path, "/");
        if (!l) break;
        memcpy(name, path, l);
        u32 ino;
        int r = ext2_lookup(ip, name, l, &ino);
        iput(ip);
        if (r) return NULL;
        ip = iget(ino);
        path += l;
    }
    return ip;
}

static void fsck_clean(void) { sh("e2fsck -fn %s >%s/fsck.log 2>&1 || { cat %s/fsck.log; exit 1; }", image, dir, dir); }

/* debugfs's view of a file, compared with what the guest wrote */
static void host_sees(const char *path, const void *want, size_t n)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "debugfs -R 'cat %s' %s 2>/dev/null", path, image);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    u8 *got = malloc(n + 16);
    size_t g = fread(got, 1, n + 16, p);
    pclose(p);
    if (g != n || memcmp(got, want, n)) fail_msg("debugfs cat %s: %zu bytes, expected %zu (or content differs)", path, g, n);
    free(got);
}

/* ---- tests ---- */
static void test_mount_and_read(void **state)
{
    (void)state;
    assert_non_null(root_inode);
    assert_int_equal(root_inode->ino, 2);
    assert_true(S_ISDIR(root_inode->d.mode));
    struct inode *ip = walk("/hello.txt");
    assert_non_null(ip);
    char b[32] = { 0 };
    assert_int_equal(ext2_read(ip, b, 0, sizeof b), 12);
    assert_string_equal(b, "hello world\n");
    assert_int_equal(ext2_read(ip, b, 12, 5), 0);       /* at EOF */
    assert_int_equal(ext2_read(ip, b, 100, 5), 0);      /* past EOF */
    iput(ip);
    ip = walk("/dir/sub/deep.txt");
    assert_non_null(ip);
    assert_int_equal(isize(ip), 5);
    iput(ip);
    assert_null(walk("/dir/nope"));
    u32 ino;
    assert_int_equal(ext2_lookup(root_inode, "hello", 5, &ino), -ENOENT);  /* a prefix is not a match */
    ip = walk("/hello.txt");
    assert_int_equal(ext2_lookup(ip, "x", 1, &ino), -ENOTDIR);
    iput(ip);
}

static void test_big_file_through_indirect_blocks(void **state)
{
    (void)state;
    struct inode *ip = walk("/big.bin");
    assert_non_null(ip);
    assert_int_equal(isize(ip), BIG);
    static u8 b[BIG];
    assert_int_equal(ext2_read(ip, b, 0, BIG), BIG);
    assert_memory_equal(b, big, BIG);
    /* odd offsets that straddle blocks, deep in the double-indirect range */
    u64 offs[] = { 1023, 12 * 1024 - 3, 268 * 1024 - 1, 290001 };
    for (size_t i = 0; i < ARRAY_SIZE(offs); i++) {
        assert_int_equal(ext2_read(ip, b, offs[i], 4000 < BIG - offs[i] ? 4000 : BIG - offs[i]),
                         (ssize_t)(4000 < BIG - offs[i] ? 4000 : BIG - offs[i]));
        assert_memory_equal(b, big + offs[i], 4000 < BIG - offs[i] ? 4000 : BIG - offs[i]);
    }
    iput(ip);
}

static void test_readdir(void **state)
{
    (void)state;
    char name[256];
    u32 ino;
    u8 type;
    int seen = 0;
    for (u64 off = 0; (off = ext2_readdir(root_inode, off, &ino, &type, name));) {
        if (!strcmp(name, "hello.txt")) { seen |= 1; assert_int_equal(type, 1); }
        if (!strcmp(name, "dir")) { seen |= 2; assert_int_equal(type, 2); }
        if (!strcmp(name, "big.bin")) seen |= 4;
        if (!strcmp(name, "..")) { seen |= 8; assert_int_equal(ino, 2); }
    }
    assert_int_equal(seen, 15);
}

static void test_writes_are_fsck_clean(void **state)
{
    (void)state;
    struct inode *f, *d, *g;
    /* a new file spanning direct and indirect blocks */
    assert_int_equal(ext2_create(root_inode, "new.bin", S_IFREG | 0644, &f), 0);
    static u8 data[70000];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (u8)(i ^ (i >> 9));
    assert_int_equal(ext2_write(f, data, 0, sizeof data), (ssize_t)sizeof data);
    assert_int_equal(ext2_create(root_inode, "new.bin", S_IFREG | 0644, &g), -EEXIST);
    /* a directory, the file moved into it */
    assert_int_equal(ext2_create(root_inode, "made", S_IFDIR | 0755, &d), 0);
    assert_int_equal(ext2_rename(root_inode, "new.bin", d, "moved.bin"), 0);
    u32 ino;
    assert_int_equal(ext2_lookup(root_inode, "new.bin", 7, &ino), -ENOENT);
    /* a directory moved into another one repoints its ".." */
    assert_int_equal(ext2_rename(root_inode, "dir", d, "dir2"), 0);
    /* a hole, then a write past it */
    assert_int_equal(ext2_create(d, "sparse", S_IFREG | 0600, &g), 0);
    assert_int_equal(ext2_write(g, "end", 100000, 3), 3);
    assert_int_equal(isize(g), 100003);
    iput(g);
    /* truncate the big file; unlink hello; rmdir rules */
    struct inode *b = walk("/big.bin");
    assert_int_equal(ext2_truncate(b, 5000), 0);
    iput(b);
    assert_int_equal(ext2_unlink(root_inode, "hello.txt", false), 0);
    assert_int_equal(ext2_unlink(root_inode, "hello.txt", false), -ENOENT);
    assert_int_equal(ext2_unlink(root_inode, "made", true), -ENOTEMPTY);
    assert_int_equal(ext2_unlink(root_inode, "made", false), -EISDIR);
    assert_int_equal(ext2_unlink(d, "moved.bin", true), -ENOTDIR);
    assert_int_equal(ext2_unlink(root_inode, "..", true), -EINVAL);
    iput(d);
    iput(f);
    assert_int_equal(bcache_sync(), 0);

    fsck_clean();
    host_sees("/made/moved.bin", data, sizeof data);
    host_sees("/made/dir2/sub/deep.txt", "deep\n", 5);
    host_sees("/big.bin", big, 5000);

    /* and the guest reads it back after a fresh mount */
    assert_int_equal(mount_guest(), 0);
    struct inode *m = walk("/made/moved.bin");
    assert_non_null(m);
    static u8 back[70000];
    assert_int_equal(ext2_read(m, back, 0, sizeof back), (ssize_t)sizeof back);
    assert_memory_equal(back, data, sizeof back);
    iput(m);
    m = walk("/made/dir2/..");
    assert_non_null(m);
    struct inode *made = walk("/made");
    assert_int_equal(m->ino, made->ino);
    iput(m);
    iput(made);
    struct inode *s = walk("/made/sparse");
    char z[4] = { 1, 1, 1, 1 };
    assert_int_equal(ext2_read(s, z, 5000, 4), 4);
    assert_memory_equal(z, "\0\0\0\0", 4);
    iput(s);
}

static void test_unlinked_open_file_is_freed_on_last_put(void **state)
{
    (void)state;
    u32 free0 = sb.free_blocks;
    struct inode *ip = walk("/big.bin");
    assert_int_equal(ext2_unlink(root_inode, "big.bin", false), 0);
    static u8 b[100];
    assert_int_equal(ext2_read(ip, b, 0, 100), 100);   /* still readable while open */
    assert_int_equal(sb.free_blocks, free0);
    iput(ip);
    assert_true(sb.free_blocks > free0 + 250);
    assert_int_equal(bcache_sync(), 0);
    fsck_clean();
}

static void test_fill_the_disk(void **state)
{
    (void)state;
    struct inode *f;
    assert_int_equal(ext2_create(root_inode, "fill", S_IFREG | 0644, &f), 0);
    static u8 chunk[65536];
    memset(chunk, 0x5a, sizeof chunk);
    ssize_t r = 0;
    u64 off = 0;
    for (int i = 0; i < 200 && (r = ext2_write(f, chunk, off, sizeof chunk)) == (ssize_t)sizeof chunk; i++)
        off += r;
    assert_true(r >= 0 && r < (ssize_t)sizeof chunk);      /* short write at the end */
    if (r > 0) off += r;
    assert_int_equal(ext2_write(f, chunk, off, 10), -ENOSPC);
    assert_int_equal(sb.free_blocks, 0);
    iput(f);
    assert_int_equal(bcache_sync(), 0);
    fsck_clean();
    /* freeing it gives the space back */
    assert_int_equal(ext2_unlink(root_inode, "fill", false), 0);
    assert_true(sb.free_blocks > 1000);
    assert_int_equal(bcache_sync(), 0);
    fsck_clean();
}

static void test_bad_images_are_refused(void **state)
{
    (void)state;
    /* not ext2 at all */
    static u8 zero[4096];
    assert_int_equal(fseek(img, 1024, SEEK_SET), 0);
    assert_int_equal(fwrite(zero, 1, 1024, img), 1024);
    fflush(img);
    assert_int_equal(mount_guest(), -EINVAL);
    /* no disk */
    FILE *keep = img;
    img = NULL;
    assert_int_equal(mount_guest(), -ENODEV);
    img = keep;
}

static void test_unsupported_features_refused(void **state)
{
    (void)state;
    /* replaced by setup: an image with the "extent" feature (ext4) */
    assert_int_equal(mount_guest(), -EINVAL);
    assert_non_null(strstr(shim_log, "unsupported incompat features"));
}

static void test_read_errors(void **state)
{
    (void)state;
    assert_int_equal(mount_guest(), 0);
    struct inode *ip = walk("/big.bin");
    assert_non_null(ip);
    static u8 b[8192];
    io_errors = 1;
    assert_int_equal(ext2_read(ip, b, 200000, 1000), -EIO);
    assert_int_equal(io_errors, 0);
    assert_int_equal(ext2_read(ip, b, 200000, 1000), 1000);   /* the next try reads it */
    assert_memory_equal(b, big + 200000, 1000);
    iput(ip);
}

static int setup_ext4ish(void **state)
{
    (void)state;
    shim_ram_setup();
    shim_log[0] = 0;
    make_image(1024, "-O extent");
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_mount_and_read, setup_1k, teardown),
        cmocka_unit_test_setup_teardown(test_big_file_through_indirect_blocks, setup_1k, teardown),
        cmocka_unit_test_setup_teardown(test_big_file_through_indirect_blocks, setup_4k, teardown),
        cmocka_unit_test_setup_teardown(test_readdir, setup_1k, teardown),
        cmocka_unit_test_setup_teardown(test_writes_are_fsck_clean, setup_1k, teardown),
        cmocka_unit_test_setup_teardown(test_writes_are_fsck_clean, setup_4k, teardown),
        cmocka_unit_test_setup_teardown(test_unlinked_open_file_is_freed_on_last_put, setup_1k, teardown),
        cmocka_unit_test_setup_teardown(test_fill_the_disk, setup_1k, teardown),
        cmocka_unit_test_setup_teardown(test_bad_images_are_refused, setup_1k, teardown),
        cmocka_unit_test_setup_teardown(test_unsupported_features_refused, setup_ext4ish, teardown),
        cmocka_unit_test_setup_teardown(test_read_errors, setup_1k, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
