/* Socket checks for the osbox guest's TCP/IP stack (run inside the guest).
 *   netcheck api PEER          error paths and options; PEER has no listener on port 1
 *   netcheck udp PEER PORT     send a datagram, print the reply
 *   netcheck udpserve PORT     answer one datagram with "echo:" + it
 *   netcheck waitudp PORT      print one datagram (the test's "done" signal)
 *   netcheck timewait PEER PORT   close first: the port stays taken in TIME_WAIT
 *   netcheck backlog PORT N    listen(2), accept nothing for 3 s, then accept N
 * Every wait is bounded by SO_RCVTIMEO or a poll timeout. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int checks, failed;
#define CHECK(cond, ...) do { checks++; if (!(cond)) { failed++; printf("netcheck: FAIL %s:%d: ", __FILE__, __LINE__); \
    printf(__VA_ARGS__); printf(" (errno %d)\n", errno); } } while (0)

static struct sockaddr_in addr_of(const char *ip, int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
    inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
}

static void set_timeout(int fd, int secs)
{
    struct timeval tv = { secs, 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int api(const char *peer)
{
    int fd, r, v;
    socklen_t len;
    struct sockaddr_in a;

    errno = 0;
    CHECK(socket(AF_UNIX, SOCK_STREAM, 0) < 0 && errno == EAFNOSUPPORT, "AF_UNIX refused");
    CHECK(socket(AF_INET, SOCK_RAW, IPPROTO_UDP) < 0 && errno == EPROTONOSUPPORT, "SOCK_RAW other than ICMP refused");
    fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    CHECK(fd >= 0, "SOCK_RAW ICMP (ping)");
    if (fd >= 0) close(fd);
    int p[2];
    pipe(p);
    CHECK(send(p[1], "x", 1, 0) < 0 && errno == ENOTSOCK, "send on a pipe");
    CHECK(listen(99, 1) < 0 && errno == EBADF, "listen on a bad fd");

    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    CHECK(fd >= 0, "tcp socket");
    CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK, "SOCK_NONBLOCK");
    CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC, "SOCK_CLOEXEC");
    v = 1;
    CHECK(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, sizeof v) == 0, "SO_REUSEADDR");
    CHECK(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v) == 0, "TCP_NODELAY");
    len = sizeof v; v = 0;
    CHECK(getsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, &len) == 0 && v == 1, "get SO_REUSEADDR");
    len = sizeof v; v = 0;
    CHECK(getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len) == 0 && v == SOCK_STREAM, "SO_TYPE");
    CHECK(accept(fd, NULL, NULL) < 0 && errno == EINVAL, "accept before listen");
    a = addr_of("0.0.0.0", 0);
    CHECK(bind(fd, (void *)&a, sizeof a) == 0, "bind port 0");
    len = sizeof a;
    CHECK(getsockname(fd, (void *)&a, &len) == 0 && ntohs(a.sin_port) >= 1024, "ephemeral port %d", ntohs(a.sin_port));
    CHECK(listen(fd, 4) == 0, "listen");
    CHECK(accept(fd, NULL, NULL) < 0 && errno == EAGAIN, "nonblocking accept, empty queue");
    int fd2 = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(bind(fd2, (void *)&a, sizeof a) < 0 && errno == EADDRINUSE, "second bind to a listening port");
    close(fd2);
    close(fd);

    /* a closed port on the peer answers SYN with RST */
    fd = socket(AF_INET, SOCK_STREAM, 0);
    a = addr_of(peer, 1);
    CHECK(connect(fd, (void *)&a, sizeof a) < 0 && errno == ECONNREFUSED, "connect to a closed port");
    close(fd);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    a = addr_of("127.0.0.1", 1);
    CHECK(connect(fd, (void *)&a, sizeof a) < 0 && errno == ECONNREFUSED, "loopback: connect to a closed port");
    close(fd);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(getpeername(fd, (void *)&a, &len) < 0 && errno == ENOTCONN, "getpeername unconnected");
    CHECK(send(fd, "x", 1, MSG_NOSIGNAL) < 0 && errno == ENOTCONN, "send unconnected");
    close(fd);

    /* loopback TCP: MSG_WAITALL waits for both halves of a split message */
    int l = socket(AF_INET, SOCK_STREAM, 0);
    a = addr_of("127.0.0.1", 0);
    len = sizeof a;
    CHECK(bind(l, (void *)&a, sizeof a) == 0 && listen(l, 1) == 0 && getsockname(l, (void *)&a, &len) == 0, "loopback listener");
    pid_t pid = fork();
    if (pid == 0) {
        int c = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(c, (void *)&a, sizeof a)) _exit(1);
        write(c, "ab", 2);
        usleep(200000);
        write(c, "cd", 2);
        close(c);
        _exit(0);
    }
    int c = accept(l, NULL, NULL);
    char four[8] = { 0 };
    CHECK(c >= 0 && recv(c, four, 4, MSG_WAITALL) == 4 && !memcmp(four, "abcd", 4), "MSG_WAITALL got '%s'", four);
    CHECK(recv(c, four, 4, 0) == 0, "loopback EOF");
    close(c);
    close(l);
    waitpid(pid, NULL, 0);

    /* UDP */
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(send(fd, "x", 1, 0) < 0 && errno == EDESTADDRREQ, "udp send without a peer");
    char buf[64];
    CHECK(recv(fd, buf, sizeof buf, MSG_DONTWAIT) < 0 && errno == EAGAIN, "udp recv, nothing queued");
    struct timeval tv = { 0, 200000 };
    CHECK(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0, "SO_RCVTIMEO");
    a = addr_of("0.0.0.0", 0);
    bind(fd, (void *)&a, sizeof a);
    double t0 = now();
    r = recv(fd, buf, sizeof buf, 0);
    double dt = now() - t0;
    CHECK(r < 0 && errno == EAGAIN && dt >= 0.15 && dt < 5, "SO_RCVTIMEO timed out after %.2fs", dt);
    struct pollfd pf = { fd, POLLIN | POLLOUT, 0 };
    CHECK(poll(&pf, 1, 0) == 1 && pf.revents == POLLOUT, "poll udp: writable only (%x)", pf.revents);
    char big[2000] = { 0 };
    a = addr_of(peer, 9);
    CHECK(sendto(fd, big, sizeof big, 0, (void *)&a, sizeof a) < 0 && errno == EMSGSIZE, "datagram over the MTU");

    /* epoll error paths */
    int ep = epoll_create1(EPOLL_CLOEXEC);
    CHECK(ep >= 0, "epoll_create1");
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0, "epoll add");
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0 && errno == EEXIST, "epoll add twice");
    CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL) < 0 && errno == ENOENT, "epoll del of a missing fd");
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev) < 0 && errno == EINVAL, "epoll watching itself");
    CHECK(epoll_wait(p[0], &ev, 1, 0) < 0 && errno == EINVAL, "epoll_wait on a pipe");
    CHECK(epoll_wait(ep, &ev, 1, 50) == 0, "epoll_wait times out");
    close(ep);
    close(fd);
    printf("netcheck: %d checks, %d failed\n", checks, failed);
    return failed != 0;
}

static int udp_client(const char *peer, int port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    set_timeout(fd, 10);
    struct sockaddr_in a = addr_of(peer, port), from;
    char buf[256];
    for (int i = 0; i < 5; i++) {      /* the peer may not be listening yet */
        sendto(fd, "udp-ping", 8, 0, (void *)&a, sizeof a);
        socklen_t len = sizeof from;
        int n = recvfrom(fd, buf, sizeof buf - 1, 0, (void *)&from, &len);
        if (n < 0) continue;
        buf[n] = 0;
        printf("netcheck: udp reply '%s' from %s:%d\n", buf, inet_ntoa(from.sin_addr), ntohs(from.sin_port));
        return 0;
    }
    printf("netcheck: no udp reply\n");
    return 1;
}

static int udp_server(int port, bool answer, int secs)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    set_timeout(fd, secs);
    struct sockaddr_in a = addr_of("0.0.0.0", port), from;
    if (bind(fd, (void *)&a, sizeof a)) { perror("bind"); return 1; }
    char buf[256], out[300];
    socklen_t len = sizeof from;
    int n = recvfrom(fd, buf, sizeof buf - 1, 0, (void *)&from, &len);
    if (n < 0) { printf("netcheck: no datagram on port %d\n", port); return 1; }
    buf[n] = 0;
    printf("netcheck: udp got '%s'\n", buf);
    if (answer) {
        int m = snprintf(out, sizeof out, "echo:%s", buf);
        sendto(fd, out, m, 0, (void *)&from, len);
    }
    return 0;
}

static int timewait(const char *peer, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = addr_of(peer, port), me;
    socklen_t len = sizeof me;
    CHECK(connect(fd, (void *)&a, sizeof a) == 0, "connect for timewait");
    CHECK(getsockname(fd, (void *)&me, &len) == 0, "getsockname");
    write(fd, "bye\n", 4);
    close(fd);                          /* we close first: FIN_WAIT_1/2 -> TIME_WAIT */
    usleep(300000);
    int b = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    CHECK(bind(b, (void *)&me, sizeof me) < 0 && errno == EADDRINUSE, "port held in TIME_WAIT");
    close(b);
    b = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(b, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    CHECK(bind(b, (void *)&me, sizeof me) == 0, "SO_REUSEADDR binds over TIME_WAIT");
    close(b);
    usleep(2500000);                    /* 2*MSL (2 s in this kernel) */
    b = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(bind(b, (void *)&me, sizeof me) == 0, "port free after TIME_WAIT");
    close(b);
    printf("netcheck: timewait %d checks, %d failed\n", checks, failed);
    return failed != 0;
}

/* The accept queue holds at most backlog established connections; the rest
 * wait (SYN queue, or dropped SYNs the clients retransmit). */
static int backlog(int port, int n)
{
    int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1, fds[64], got = 0;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = addr_of("0.0.0.0", port);
    if (n > 64 || bind(l, (void *)&a, sizeof a) || listen(l, 2)) { perror("backlog"); return 1; }
    printf("netcheck: backlog listening\n");
    sleep(3);
    while (got < n && (fds[got] = accept(l, NULL, NULL)) >= 0) got++;
    int first = got;
    double t0 = now();
    while (got < n && now() - t0 < 30) {
        struct pollfd pf = { l, POLLIN, 0 };
        poll(&pf, 1, 1000);
        while (got < n && (fds[got] = accept(l, NULL, NULL)) >= 0) got++;
    }
    CHECK(first == 2, "accept queue bounded by backlog 2: %d waiting", first);
    CHECK(got == n, "all %d accepted in the end: %d", n, got);
    printf("netcheck: backlog first=%d total=%d after %.1fs\n", first, got, now() - t0);
    for (int i = 0; i < got; i++) close(fds[i]);
    close(l);
    return failed != 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc == 3 && !strcmp(argv[1], "api")) return api(argv[2]);
    if (argc == 4 && !strcmp(argv[1], "udp")) return udp_client(argv[2], atoi(argv[3]));
    if (argc == 3 && !strcmp(argv[1], "udpserve")) return udp_server(atoi(argv[2]), true, 30);
    if (argc == 3 && !strcmp(argv[1], "waitudp")) return udp_server(atoi(argv[2]), false, 120);
    if (argc == 4 && !strcmp(argv[1], "timewait")) return timewait(argv[2], atoi(argv[3]));
    if (argc == 4 && !strcmp(argv[1], "backlog")) return backlog(atoi(argv[2]), atoi(argv[3]));
    fprintf(stderr, "usage: netcheck api PEER | udp PEER PORT | udpserve PORT | waitudp PORT | timewait PEER PORT | backlog PORT N\n");
    return 2;
}
