/* fileio: the page cache and the disk.
 * write() only copies into the page cache (fast); fsync() makes the kernel
 * push the dirty pages to the device and wait (slow). Reading the file back
 * right away is served from the cache ("warm"); a "cold" read has to go to the
 * device: with O_DIRECT (bypassing the cache) where the filesystem allows it,
 * otherwise after asking the kernel to drop the file's cached pages. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wl.h"

#define CHUNK (1u << 20)

static const struct wl_usage usage = {
    "fileio",
    "Usage: fileio [SIZE] [DIR]\n"
    "\n"
    "Write a SIZE-byte file (default 64m) in DIR (default /tmp if writable,\n"
    "else the current directory) in 1 MiB writes, fsync it, read it back cold\n"
    "and warm, delete it. Metrics: write_MBps (into the page cache), fsync_ms,\n"
    "read_cold_MBps, read_warm_MBps. The \"cold\" field says how the cold read\n"
    "avoided the cache: \"o_direct\", \"fadvise\" (the filesystem refused\n"
    "O_DIRECT) or \"none\" (neither worked: that read was warm too).\n",
};

static char path[4096];

static void cleanup_die(const char *what)
{
    int e = errno;
    unlink(path);
    errno = e;
    wl_die("%s %s", what, path);
}

static double mbps(uint64_t bytes, uint64_t ns)
{
    return (double)bytes / 1048576.0 / ((double)ns / 1e9);
}

/* Read the whole file with fd; returns elapsed ns, or 0 with errno set. */
static uint64_t read_all(int fd, unsigned char *buf, uint64_t size)
{
    uint64_t t0 = wl_now_ns(), got = 0;

    while (got < size) {
        ssize_t r = read(fd, buf, CHUNK);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return 0;
        if (r == 0)
            break;
        got += (uint64_t)r;
    }
    if (got != size) {
        errno = EIO;
        return 0;
    }
    return wl_now_ns() - t0 + 1; /* +1: never 0 on success */
}

/* Open for a cold read; sets *how to the method that kept the cache out. */
static int open_cold(const char **how)
{
    int fd = open(path, O_RDONLY | O_DIRECT);

    *how = "o_direct";
    if (fd >= 0 || errno != EINVAL)
        return fd;
    fd = open(path, O_RDONLY);
    *how = "fadvise";
    if (fd >= 0 && posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) != 0)
        *how = "none";
    return fd;
}

int main(int argc, char **argv)
{
    uint64_t size, t0, t1, t2, cold_ns;
    const char *dir, *cold = "o_direct";
    unsigned char *buf;
    char extra[160];
    int fd;

    wl_init(&usage, argc, argv);
    wl_max_args(argc, argv, 2);
    size = wl_arg_size(argc, argv, 1, 64u << 20, 1u << 20, 64ULL << 30, "SIZE");
    size -= size % CHUNK; /* whole chunks keep O_DIRECT reads aligned */
    dir = argc > 2 ? argv[2] : (access("/tmp", W_OK) == 0 ? "/tmp" : ".");
    snprintf(path, sizeof path, "%s/osbox-fileio.%d", dir, (int)getpid());

    if (posix_memalign((void **)&buf, 4096, CHUNK))
        wl_die("posix_memalign");
    for (unsigned i = 0; i < CHUNK; i++)
        buf[i] = (unsigned char)(i * 13 + 1);

    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_TRUNC, 0600);
    if (fd < 0)
        wl_die("create %s", path);
    t0 = wl_now_ns();
    for (uint64_t done = 0; done < size; done += CHUNK)
        if (wl_write_full(fd, buf, CHUNK) != CHUNK)
            cleanup_die("write");
    t1 = wl_now_ns();
    if (fsync(fd))
        cleanup_die("fsync");
    t2 = wl_now_ns();
    close(fd);

    /* Cold read: O_DIRECT, or drop this file's (now clean) cached pages. Some
     * filesystems accept O_DIRECT at open and refuse it at read: retry then. */
    fd = open_cold(&cold);
    if (fd < 0)
        cleanup_die("open");
    cold_ns = read_all(fd, buf, size);
    if (!cold_ns && errno == EINVAL && !strcmp(cold, "o_direct")) {
        close(fd);
        fd = open(path, O_RDONLY);
        cold = "fadvise";
        if (fd >= 0 && posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) != 0)
            cold = "none";
        if (fd < 0)
            cleanup_die("open");
        cold_ns = read_all(fd, buf, size);
    }
    if (!cold_ns)
        cleanup_die("read");
    close(fd);

    fd = open(path, O_RDONLY);
    if (fd < 0)
        cleanup_die("open");
    if (!read_all(fd, buf, size)) /* make sure every page is cached */
        cleanup_die("read");
    if (lseek(fd, 0, SEEK_SET) != 0)
        cleanup_die("lseek");
    uint64_t warm_ns = read_all(fd, buf, size);
    if (!warm_ns)
        cleanup_die("read");
    close(fd);
    unlink(path);

    wl_emit("write_MBps", mbps(size, t1 - t0), "MB/s", size, NULL);
    snprintf(extra, sizeof extra, "\"bytes\":%llu", (unsigned long long)size);
    wl_emit("fsync_ms", (double)(t2 - t1) / 1e6, "ms", 1, extra);
    snprintf(extra, sizeof extra, "\"cold\":\"%s\"", cold);
    wl_emit("read_cold_MBps", mbps(size, cold_ns), "MB/s", size, extra);
    wl_emit("read_warm_MBps", mbps(size, warm_ns), "MB/s", size, NULL);
    free(buf);
    return 0;
}
