/* udp-rtt: round-trip time of a datagram.
 * No connection, no handshake, no retransmission (the course's UDP): one
 * sendto() down through the stack, the peer echoes, one recvfrom() back. What
 * remains is the cost of the network stack and of waking the peer twice. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "netwl.h"
#include "wl.h"

#define MSG 64

static const struct wl_usage usage = {
    "udp-rtt",
    "Usage: udp-rtt server PORT\n"
    "       udp-rtt client HOST PORT [N]\n"
    "       udp-rtt local [N]\n"
    "\n"
    "Send N 64-byte datagrams (default 10000) one at a time and wait for each\n"
    "echo: rtt_us (mean) and rtt_p99_us over the answered ones; \"lost\" counts\n"
    "datagrams with no echo within 1 s. 'local' forks an echo server on\n"
    "127.0.0.1 first. HOST is an IPv4 address; the server runs until killed.\n",
};

static void serve(int s)
{
    char buf[2048];
    struct sockaddr_in from;

    for (;;) {
        socklen_t len = sizeof from;
        ssize_t r = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            wl_die("recvfrom");
        sendto(s, buf, (size_t)r, 0, (struct sockaddr *)&from, len); /* UDP: drops are fine */
    }
}

static void client(const struct sockaddr_in *to, uint64_t n)
{
    struct timeval tv = { .tv_sec = 1 };
    double *rtt = malloc(n * sizeof *rtt), sum = 0;
    uint64_t got = 0, lost = 0;
    char msg[MSG], reply[MSG], extra[48];
    int s = socket(AF_INET, SOCK_DGRAM, 0);

    if (s < 0 || !rtt)
        wl_die("socket");
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    memset(msg, 'u', sizeof msg);
    for (uint64_t i = 0; i < n; i++) {
        uint64_t t0 = wl_now_ns();
        memcpy(msg, &i, sizeof i); /* sequence number: ignore stale echoes */
        if (sendto(s, msg, sizeof msg, 0, (const struct sockaddr *)to, sizeof *to) != MSG)
            wl_die("sendto");
        for (;;) {
            ssize_t r = recvfrom(s, reply, sizeof reply, 0, NULL, NULL);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                lost++;
                break;
            }
            if (r < 0)
                wl_die("recvfrom");
            if (r == MSG && !memcmp(reply, &i, sizeof i)) {
                rtt[got] = (double)(wl_now_ns() - t0) / 1e3;
                sum += rtt[got++];
                break;
            }
        }
    }
    if (!got) {
        errno = ETIMEDOUT;
        wl_die("no echo from the server");
    }
    snprintf(extra, sizeof extra, "\"lost\":%llu", (unsigned long long)lost);
    wl_emit("rtt_us", sum / (double)got, "us", n, extra);
    wl_emit("rtt_p99_us", wl_quantile(rtt, got, 0.99), "us", n, extra);
    free(rtt);
}

int main(int argc, char **argv)
{
    static const struct netwl w = { SOCK_DGRAM, 10000, 10000000, "N", 0, serve, client };

    wl_init(&usage, argc, argv);
    return netwl_main(&w, argc, argv);
}
