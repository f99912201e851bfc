/* Send a file over TCP in 64 KiB writes, as a bulk sender does (busybox
 * nc moves 1 KiB per read/write/poll round, which measures system calls,
 * not the network stack).
 *   tcpput HOST PORT FILE   connect (retrying for up to 60 s while the
 *                           peer is not listening yet), send FILE, close
 *                           the write side, wait for the peer to close,
 *                           print "tcpput: sent N bytes in T ms". */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int connect_retrying(const struct sockaddr_in *a)
{
    for (int i = 0; i < 600; i++) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        if (s < 0) { perror("tcpput: socket"); exit(1); }
        if (connect(s, (const struct sockaddr *)a, sizeof *a) == 0) return s;
        if (errno != ECONNREFUSED && errno != ETIMEDOUT && errno != EHOSTUNREACH) { perror("tcpput: connect"); exit(1); }
        close(s);
        usleep(100000);
    }
    fprintf(stderr, "tcpput: nobody listening after 60 s\n");
    exit(1);
}

int main(int argc, char **argv)
{
    if (argc != 4) { fprintf(stderr, "usage: tcpput HOST PORT FILE\n"); return 2; }
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2])) };
    if (inet_pton(AF_INET, argv[1], &a.sin_addr) != 1) { fprintf(stderr, "tcpput: bad address %s\n", argv[1]); return 2; }
    int fd = open(argv[3], O_RDONLY);
    if (fd < 0) { perror(argv[3]); return 1; }
    static char buf[65536];
    int s = connect_retrying(&a);
    double t0 = now_ms();
    long total = 0;
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) { perror("tcpput: read"); return 1; }
        if (r == 0) break;
        for (ssize_t off = 0; off < r;) {
            ssize_t w = write(s, buf + off, (size_t)(r - off));
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) { perror("tcpput: write"); return 1; }
            off += w;
        }
        total += r;
    }
    shutdown(s, SHUT_WR);
    while (read(s, buf, sizeof buf) > 0) {}     /* the peer has it all when it closes */
    printf("tcpput: sent %ld bytes in %.0f ms\n", total, now_ms() - t0);
    return 0;
}
