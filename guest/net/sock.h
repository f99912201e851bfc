/* Sockets: what socket.c (the system calls) shares with udp.c and tcp.c. */
#ifndef GUEST_NET_SOCK_H
#define GUEST_NET_SOCK_H
#include "types.h"
#include "net.h"

#define AF_INET 2
#define AF_NETLINK 16
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_RAW 3
#define NETLINK_ROUTE 0
#define SOCK_NONBLOCK 04000
#define SOCK_CLOEXEC 02000000
#define MSG_PEEK 0x2
#define MSG_DONTWAIT 0x40
#define MSG_WAITALL 0x100
#define MSG_NOSIGNAL 0x4000

#define POLLIN 0x1
#define POLLPRI 0x2
#define POLLOUT 0x4
#define POLLERR 0x8
#define POLLHUP 0x10
#define POLLRDHUP 0x2000

struct sockaddr_in_k { u16 family, port; u32 addr; u8 zero[8]; };   /* network order */

struct dgram { struct dgram *next; u32 src; u16 sport, len; u8 data[]; };

struct tcb;
struct socket {
    int family;                 /* AF_NETLINK, else (0 or AF_INET) an Internet socket */
    int type;                   /* SOCK_STREAM or SOCK_DGRAM (netlink: SOCK_RAW too) */
    u32 laddr, raddr;           /* host order; 0 = any / none */
    u16 lport, rport;
    bool connected;             /* UDP: default destination set */
    bool shut_rd, shut_wr;
    bool reuseaddr, nodelay;
    u64 rcvtimeo_ns, sndtimeo_ns;
    int error;                  /* SO_ERROR */
    struct dgram *rq_head, *rq_tail;    /* UDP receive queue */
    size_t rq_bytes;
    struct socket *udp_next;
    struct socket *raw_next;    /* raw ICMP sockets, all of them */
    struct tcb *tcb;            /* TCP: the connection or the listener */
    u32 nl_portid;              /* netlink: our address (the process's pid) */
    u8 *nl_reply;               /* netlink: the answer to the last request */
    size_t nl_len, nl_off;      /* its length, and how much has been read */
};
struct sockaddr_nl_k { u16 family, pad; u32 pid, groups; };

/* A free port from the ephemeral range 49152-65535, taking turns from
 * *next; 0 when all are taken. */
static inline u16 ephemeral_port(u16 *next, bool (*taken)(u16 port))
{
    for (int i = 0; i < 16384; i++) {
        u16 p = (*next)++;
        if (*next < 49152) *next = 49152;
        if (!taken(p)) return p;
    }
    return 0;
}

/* how long a blocking call may sleep: sleep_on_timeout's deadline */
u64 sock_deadline(u64 timeo_ns);

/* udp.c */
int udp_bind(struct socket *s, u32 addr, u16 port);
ssize_t udp_send(struct socket *s, u32 dst, u16 dport, const void *buf, size_t n);
ssize_t udp_recv(struct socket *s, void *buf, size_t n, int flags, bool nonblock, u32 *src, u16 *sport);
int udp_poll(struct socket *s);
void udp_close(struct socket *s);

/* tcp.c */
int tcp_bind(struct socket *s, u32 addr, u16 port);
int tcp_listen(struct socket *s, int backlog);
int tcp_accept(struct socket *s, struct socket **out, bool nonblock);
int tcp_connect(struct socket *s, u32 addr, u16 port, bool nonblock);
/* user: buf is a user address (read/write on the socket fd) */
ssize_t tcp_send(struct socket *s, const void *buf, size_t n, bool nonblock, bool user);
ssize_t tcp_recv(struct socket *s, void *buf, size_t n, int flags, bool nonblock, bool user);
int tcp_shutdown(struct socket *s, bool rd, bool wr);
int tcp_poll(struct socket *s);
int tcp_take_error(struct socket *s);
void tcp_close(struct socket *s);

/* raw.c: raw ICMP sockets */
int raw_socket(int proto, struct socket *s);
ssize_t raw_send(struct socket *s, u32 dst, const void *buf, size_t n);
void raw_deliver(u32 src, u32 dst, const u8 *icmp, size_t len);
void raw_close(struct socket *s);

/* ifdesc.c: the interfaces (1 lo, 2 eth0) */
#define IFF_UP 0x1
#define IFF_BROADCAST 0x2
#define IFF_LOOPBACK 0x8
#define IFF_RUNNING 0x40
#define IFF_MULTICAST 0x1000
#define IFF_LOWER_UP 0x10000
#define ARPHRD_ETHER 1
#define ARPHRD_LOOPBACK 772
struct ifdesc {
    int index;
    char name[16];
    bool loopback;
    u32 flags;                  /* IFF_* */
    int mtu, txqlen;
    u8 mac[ETH_ALEN];
    u32 addr, mask;             /* host order; addr 0: none */
};
int ifdesc_count(void);
bool ifdesc_get(int index, struct ifdesc *d);
long ifdesc_ioctl(u64 req, u64 arg);

/* netlink.c */
int netlink_socket(int type, int proto, struct socket *s);
ssize_t netlink_send(struct socket *s, const void *buf, size_t n);
ssize_t netlink_recv(struct socket *s, void *buf, size_t n, int flags, bool nonblock);
int netlink_poll(struct socket *s);
void netlink_close(struct socket *s);

/* epoll.c */
struct file;
int file_poll_mask(struct file *f);     /* POLL* of any file, for select too */
int epoll_poll(void *ep);
void epoll_release(void *ep);

/* socket.c: readiness of a socket or epoll file, for poll and epoll */
int net_file_poll(struct file *f);
#endif
