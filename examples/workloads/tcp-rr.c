/* tcp-rr: request/response over one TCP connection.
 * Each transaction is a small write, the peer's read and write, and our read:
 * four system calls and two wake-ups through the TCP stack, with Nagle off so
 * nothing waits to be batched. The time per transaction is the latency an RPC
 * pays on this network path. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netwl.h"
#include "wl.h"

#define MSG 64

static const struct wl_usage usage = {
    "tcp-rr",
    "Usage: tcp-rr server PORT\n"
    "       tcp-rr client HOST PORT [N]\n"
    "       tcp-rr local [N]\n"
    "\n"
    "Over one TCP connection (TCP_NODELAY), N transactions (default 10000) of a\n"
    "64-byte request and a 64-byte response: rr_us (mean) and rr_p99_us, and\n"
    "connect_us for the handshake. 'local' forks a server on 127.0.0.1 first.\n"
    "HOST is an IPv4 address; the server serves one connection at a time until killed.\n",
};

static void serve(int ls)
{
    char buf[MSG];

    for (;;) {
        int c = accept(ls, NULL, NULL);
        if (c < 0 && errno == EINTR)
            continue;
        if (c < 0)
            wl_die("accept");
        while (wl_read_full(c, buf, MSG) == MSG && wl_write_full(c, buf, MSG) == MSG)
            ;
        close(c);
    }
}

static void client(const struct sockaddr_in *to, uint64_t n)
{
    double *rr = malloc(n * sizeof *rr), sum = 0;
    char msg[MSG];
    uint64_t t0 = wl_now_ns(), c0;
    int s = netwl_connect_tcp(to);

    c0 = wl_now_ns() - t0;
    if (!rr)
        wl_die("malloc");
    memset(msg, 'r', sizeof msg);
    for (uint64_t i = 0; i < n; i++) {
        t0 = wl_now_ns();
        if (wl_write_full(s, msg, MSG) != MSG || wl_read_full(s, msg, MSG) != MSG)
            wl_die("transaction %llu", (unsigned long long)i);
        rr[i] = (double)(wl_now_ns() - t0) / 1e3;
        sum += rr[i];
    }
    close(s);
    wl_emit("connect_us", (double)c0 / 1e3, "us", 1, NULL);
    wl_emit("rr_us", sum / (double)n, "us", n, NULL);
    wl_emit("rr_p99_us", wl_quantile(rr, n, 0.99), "us", n, NULL);
    free(rr);
}

int main(int argc, char **argv)
{
    static const struct netwl w = { SOCK_STREAM, 10000, 10000000, "N", 0, serve, client };

    wl_init(&usage, argc, argv);
    return netwl_main(&w, argc, argv);
}
