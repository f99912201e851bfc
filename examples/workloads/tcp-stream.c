/* tcp-stream: bulk throughput over one TCP connection.
 * The sender's writes are copied into the socket send buffer, segmented, and
 * copied again into the receiver's buffer; flow control keeps the buffers from
 * overflowing. Throughput shows how many bytes per second the stack (and, in
 * a container or VM, the virtual link) can move. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netwl.h"
#include "wl.h"

#define CHUNK (128u << 10)

static const struct wl_usage usage = {
    "tcp-stream",
    "Usage: tcp-stream server PORT\n"
    "       tcp-stream client HOST PORT [SIZE]\n"
    "       tcp-stream local [SIZE]\n"
    "\n"
    "Send SIZE bytes (default 256m) over one TCP connection in 128 KiB writes;\n"
    "the server counts them and answers with the total when the sender closes:\n"
    "stream_MBps. 'local' forks a server on 127.0.0.1 first. HOST is an IPv4\n"
    "address; the server serves one connection at a time until killed.\n",
};

static void serve(int ls)
{
    char *buf = malloc(CHUNK);

    if (!buf)
        wl_die("malloc");
    for (;;) {
        uint64_t total = 0;
        ssize_t r;
        int c = accept(ls, NULL, NULL);
        if (c < 0 && errno == EINTR)
            continue;
        if (c < 0)
            wl_die("accept");
        while ((r = read(c, buf, CHUNK)) > 0 || (r < 0 && errno == EINTR))
            if (r > 0)
                total += (uint64_t)r;
        wl_write_full(c, &total, sizeof total);
        close(c);
    }
}

static void client(const struct sockaddr_in *to, uint64_t size)
{
    char *buf = malloc(CHUNK);
    uint64_t t0, t1, sent = 0, echoed = 0;
    int s;

    if (!buf)
        wl_die("malloc");
    memset(buf, 's', CHUNK);
    s = netwl_connect_tcp(to);
    t0 = wl_now_ns();
    while (sent < size) {
        uint64_t len = size - sent < CHUNK ? size - sent : CHUNK;
        if (wl_write_full(s, buf, len) != (long)len)
            wl_die("write");
        sent += len;
    }
    shutdown(s, SHUT_WR); /* EOF for the server: it answers with what it got */
    if (wl_read_full(s, &echoed, sizeof echoed) != sizeof echoed)
        wl_die("read the server's count");
    t1 = wl_now_ns();
    close(s);
    if (echoed != size) {
        errno = EIO;
        wl_die("server received %llu of %llu bytes", (unsigned long long)echoed,
               (unsigned long long)size);
    }
    wl_emit("stream_MBps", (double)size / 1048576.0 / ((double)(t1 - t0) / 1e9), "MB/s", size,
            NULL);
    free(buf);
}

int main(int argc, char **argv)
{
    static const struct netwl w = { SOCK_STREAM, 256u << 20, 64ULL << 30, "SIZE", 1, serve,
                                    client };

    wl_init(&usage, argc, argv);
    return netwl_main(&w, argc, argv);
}
