/* An event-loop echo server, as the course's epoll chapter draws it: one
 * thread, one epoll instance, non-blocking sockets, level-triggered events.
 *   epoll_echo PORT NCLIENTS   serve until NCLIENTS connections have come and
 *                              gone (at most 120 s), then print a summary. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 3) { fprintf(stderr, "usage: epoll_echo PORT NCLIENTS\n"); return 2; }
    setvbuf(stdout, NULL, _IONBF, 0);
    int port = atoi(argv[1]), want = atoi(argv[2]);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
    /* a backlog above the 50 clients the tests send at once: a full accept
     * queue would make clients wait out SYN-ACK retransmissions */
    if (bind(lfd, (void *)&a, sizeof a) || listen(lfd, 64)) { perror("epoll_echo: bind/listen"); return 1; }
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = lfd }, evs[32];
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    printf("epoll_echo: listening on %d\n", port);
    int accepted = 0, closed = 0, open_now = 0, max_open = 0;
    long bytes = 0;
    time_t start = time(NULL);
    while (closed < want && time(NULL) - start < 120) {
        int n = epoll_wait(ep, evs, 32, 1000);
        if (n < 0 && errno != EINTR) { perror("epoll_wait"); return 1; }
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == lfd) {
                int c;
                while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    struct epoll_event ce = { .events = EPOLLIN | EPOLLRDHUP, .data.fd = c };
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
                    accepted++;
                    if (++open_now > max_open) max_open = open_now;
                }
                continue;
            }
            char buf[4096];
            ssize_t r = read(fd, buf, sizeof buf);
            if (r > 0) {
                bytes += r;
                for (ssize_t off = 0; off < r;) {     /* small echoes: the send buffer has room */
                    ssize_t w = write(fd, buf + off, r - off);
                    if (w < 0) break;
                    off += w;
                }
            } else if (r == 0 || errno != EAGAIN) {
                epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
                close(fd);
                closed++;
                open_now--;
            }
        }
    }
    printf("epoll_echo: accepted %d closed %d max-concurrent %d bytes %ld\n", accepted, closed, max_open, bytes);
    return closed < want;
}
