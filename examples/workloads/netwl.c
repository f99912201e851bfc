/* Modes and sockets shared by the network workloads. */
#define _GNU_SOURCE
#include "netwl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wl.h"

int netwl_bind(int type, uint32_t addr, uint16_t port)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
                              .sin_addr.s_addr = htonl(addr) };
    int one = 1, s = socket(AF_INET, type, 0);

    if (s < 0)
        wl_die("socket");
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one); /* best effort */
    if (bind(s, (struct sockaddr *)&sa, sizeof sa))
        wl_die("bind port %u", port);
    if (type == SOCK_STREAM && listen(s, 16))
        wl_die("listen");
    return s;
}

int netwl_connect_tcp(const struct sockaddr_in *to)
{
    int one = 1, s = socket(AF_INET, SOCK_STREAM, 0);

    if (s < 0)
        wl_die("socket");
    if (connect(s, (const struct sockaddr *)to, sizeof *to))
        wl_die("connect to %s:%u", inet_ntoa(to->sin_addr), ntohs(to->sin_port));
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* best effort */
    return s;
}

static uint16_t parse_port(const char *s)
{
    return (uint16_t)wl_parse_count(s, 1, 65535, "PORT");
}

static uint64_t parse_n(const struct netwl *w, int argc, char **argv, int i)
{
    if (w->n_is_size)
        return wl_arg_size(argc, argv, i, w->default_n, 1, w->max_n, w->n_what);
    return wl_arg_count(argc, argv, i, w->default_n, 1, w->max_n, w->n_what);
}

/* Fork a server on 127.0.0.1 (any port), run the client against it, stop it. */
static int run_local(const struct netwl *w, uint64_t n)
{
    struct sockaddr_in to;
    socklen_t len = sizeof to;
    int s = netwl_bind(w->type, INADDR_LOOPBACK, 0), status;
    pid_t pid;

    if (getsockname(s, (struct sockaddr *)&to, &len))
        wl_die("getsockname");
    pid = fork();
    if (pid < 0)
        wl_die("fork");
    if (pid == 0)
        w->serve(s); /* bound before the fork: the client cannot race the server */
    close(s);
    w->client(&to, n);
    kill(pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return 0;
}

int netwl_main(const struct netwl *w, int argc, char **argv)
{
    struct sockaddr_in to = { .sin_family = AF_INET };

    if (argc < 2)
        wl_usage_error("missing mode: server, client or local");
    if (!strcmp(argv[1], "server")) {
        wl_max_args(argc, argv, 2);
        if (argc < 3)
            wl_usage_error("server needs a PORT");
        w->serve(netwl_bind(w->type, INADDR_ANY, parse_port(argv[2])));
        return 0;
    }
    if (!strcmp(argv[1], "client")) {
        wl_max_args(argc, argv, 4);
        if (argc < 4)
            wl_usage_error("client needs HOST and PORT");
        if (inet_pton(AF_INET, argv[2], &to.sin_addr) != 1)
            wl_usage_error("bad HOST '%s' (an IPv4 address)", argv[2]);
        to.sin_port = htons(parse_port(argv[3]));
        w->client(&to, parse_n(w, argc, argv, 4));
        return 0;
    }
    if (!strcmp(argv[1], "local")) {
        wl_max_args(argc, argv, 2);
        return run_local(w, parse_n(w, argc, argv, 2));
    }
    wl_usage_error("unknown mode '%s' (server, client or local)", argv[1]);
}
