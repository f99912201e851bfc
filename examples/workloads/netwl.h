/* Shared plumbing of the network workloads (udp-rtt, tcp-stream, tcp-rr):
 *   NAME server PORT            serve until killed
 *   NAME client HOST PORT [N]   measure against a server (HOST: IPv4 address)
 *   NAME local [N]              fork a server on 127.0.0.1 and measure against it
 * Only socket/bind/listen/accept/connect/sendto/recvfrom/setsockopt: the
 * calls a small kernel's network stack offers first. */
#ifndef WL_NETWL_H
#define WL_NETWL_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/types.h>

struct netwl {
    int type;                      /* SOCK_STREAM or SOCK_DGRAM */
    uint64_t default_n;            /* N when not given */
    uint64_t max_n;
    const char *n_what;            /* "N" or "SIZE" in messages */
    int n_is_size;                 /* parse N as a byte size ("256m") */
    void (*serve)(int sock);       /* server loop on a bound (listening) socket; never returns */
    void (*client)(const struct sockaddr_in *to, uint64_t n);
};

/* Parse argv (after wl_init) and run the requested mode; returns main's status. */
int netwl_main(const struct netwl *w, int argc, char **argv);

/* A bound socket of w->type on addr:port (port 0: any); listening for TCP. */
int netwl_bind(int type, uint32_t addr, uint16_t port);
/* A TCP connection to `to` with Nagle off (small requests leave at once). */
int netwl_connect_tcp(const struct sockaddr_in *to);

#endif
