/* The socket system calls, as musl issues them, for AF_INET stream (TCP)
 * and datagram (UDP) sockets, raw ICMP sockets (raw.c) and AF_NETLINK
 * route sockets (netlink.c).  A socket is an open file (FT_SOCKET), so
 * read/write/close/poll/dup work on it like on a pipe. */
#include "kernel.h"
#include "mm.h"
#include "proc.h"
#include "fs.h"
#include "errno.h"
#include "syscall.h"
#include "sock.h"

#define SOL_SOCKET 1
#define SO_REUSEADDR 2
#define SO_TYPE 3
#define SO_ERROR 4
#define SO_SNDBUF 7
#define SO_RCVBUF 8
#define SO_KEEPALIVE 9
#define SO_RCVTIMEO 20
#define SO_SNDTIMEO 21
#define SOL_TCP 6
#define TCP_NODELAY 1
#define CHUNK 65536


static struct socket *sock_of(int fd, struct file **fp, long *err)
{
    struct file *f = fd_get(fd);
    *err = !f ? -EBADF : f->type != FT_SOCKET ? -ENOTSOCK : 0;
    if (fp) *fp = f;
    return *err ? NULL : f->priv;
}
#define GET_SOCK(fd, f) struct file *f; long err_; struct socket *s = sock_of((int)(fd), &f, &err_); \
    do { if (!s) return err_; (void)f; } while (0)

static int install_socket(struct socket *s, int flags)
{
    struct file *f = file_alloc(FT_SOCKET, O_RDWR | (flags & SOCK_NONBLOCK ? O_NONBLOCK : 0));
    if (!f) return -ENOMEM;
    f->priv = s;
    int fd = fd_install(f, 0, flags & SOCK_CLOEXEC);
    if (fd < 0) file_put(f);
    return fd;
}

static int read_addr(u64 uaddr, u64 len, u32 *addr, u16 *port)
{
    struct sockaddr_in_k sa;
    if (len < 8 || !uaddr) return -EINVAL;
    if (copy_from_user(&sa, uaddr, MIN(len, sizeof sa))) return -EFAULT;
    if (sa.family != AF_INET) return -EAFNOSUPPORT;
    *addr = ntohl(sa.addr);
    *port = ntohs(sa.port);
    return 0;
}

static int write_addr(u64 uaddr, u64 ulen, u32 addr, u16 port)
{
    if (!uaddr || !ulen) return 0;
    u32 len;
    if (copy_from_user(&len, ulen, 4)) return -EFAULT;
    struct sockaddr_in_k sa = { AF_INET, htons(port), htonl(addr), { 0 } };
    if (copy_to_user(uaddr, &sa, MIN(len, sizeof sa))) return -EFAULT;
    len = sizeof sa;
    return copy_to_user(ulen, &len, 4);
}

static int write_nl_addr(u64 uaddr, u64 ulen, u32 pid)
{
    if (!uaddr || !ulen) return 0;
    u32 len;
    if (copy_from_user(&len, ulen, 4)) return -EFAULT;
    struct sockaddr_nl_k nl = { AF_NETLINK, 0, pid, 0 };
    if (copy_to_user(uaddr, &nl, MIN(len, sizeof nl))) return -EFAULT;
    len = sizeof nl;
    return copy_to_user(ulen, &len, 4);
}

SYSCALL(sys_socket)
{
    UNUSED_ARGS;
    int type = a1 & 0xf;
    if (a0 == AF_NETLINK) {
        struct socket *s = kzalloc(sizeof *s);
        if (!s) return -ENOMEM;
        int r = netlink_socket(type, (int)a2, s), fd = r ? r : install_socket(s, a1);
        if (fd < 0) kfree(s);
        return fd;
    }
    if (a0 != AF_INET) return -EAFNOSUPPORT;
    if (type == SOCK_RAW) {
        struct socket *s = kzalloc(sizeof *s);
        if (!s) return -ENOMEM;
        int r = raw_socket((int)a2, s), fd = r ? r : install_socket(s, a1);
        if (fd < 0) { if (!r) raw_close(s); kfree(s); }
        return fd;
    }
    if (type != SOCK_STREAM && type != SOCK_DGRAM) return -EPROTONOSUPPORT;
    if (a2 && a2 != (type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP)) return -EPROTONOSUPPORT;
    struct socket *s = kzalloc(sizeof *s);
    if (!s) return -ENOMEM;
    net_start_timer();
    s->type = type;
    int fd = install_socket(s, a1);
    if (fd < 0) kfree(s);
    return fd;
}

SYSCALL(sys_bind)
{
    UNUSED_ARGS;
    GET_SOCK(a0, f);
    if (s->family == AF_NETLINK || s->type == SOCK_RAW) return 0;  /* nothing to bind to */
    u32 addr; u16 port;
    int r = read_addr(a1, a2, &addr, &port);
    if (r) return r;
    return s->type == SOCK_STREAM ? tcp_bind(s, addr, port) : udp_bind(s, addr, port);
}

SYSCALL(sys_listen)
{
    UNUSED_ARGS;
    GET_SOCK(a0, f);
    if (s->type != SOCK_STREAM || s->family == AF_NETLINK) return -EOPNOTSUPP;
    return tcp_listen(s, (int)a1);
}

SYSCALL(sys_accept4)
{
    UNUSED_ARGS;
    GET_SOCK(a0, f);
    if (s->type != SOCK_STREAM || s->family == AF_NETLINK) return -EOPNOTSUPP;
    if (a3 & ~(u64)(SOCK_NONBLOCK | SOCK_CLOEXEC)) return -EINVAL;
    struct socket *ns;
    int r = tcp_accept(s, &ns, f->flags & O_NONBLOCK);
    if (r) return r;
    int fd = install_socket(ns, a3);
    if (fd < 0) { tcp_close(ns); kfree(ns); return fd; }
    write_addr(a1, a2, ns->raddr, ns->rport);
    return fd;
}
SYSCALL(sys_accept) { (void)a3; return sys_accept4(a0, a1, a2, 0, a4, a5, tf); }

SYSCALL(sys_connect)
{
    UNUSED_ARGS;
    GET_SOCK(a0, f);
    if (s->family == AF_NETLINK) return 0;      /* only the kernel to talk to */
    u32 addr; u16 port;
    if (s->type == SOCK_DGRAM && a2 >= 2) {     /* AF_UNSPEC: forget the peer */
        u16 fam;
        if (copy_from_user(&fam, a1, 2)) return -EFAULT;
        if (fam == 0) { s->connected = false; s->raddr = 0; s->rport = 0; return 0; }
    }
    int r = read_addr(a1, a2, &addr, &port);
    if (r) return r;
    if (s->type == SOCK_STREAM) {
        r = tcp_connect(s, addr, port, f->flags & O_NONBLOCK);
        net_loopback_flush();
        return r;
    }
    if (s->type != SOCK_RAW && !s->lport && (r = udp_bind(s, 0, 0))) return r;
    s->raddr = addr;
    s->rport = port;
    s->connected = true;
    return 0;
}

/* send a kernel buffer; dst given or the connected peer */
static long do_send(struct file *f, struct socket *s, const void *k, size_t n, int flags, bool has_dst, u32 dst, u16 dport)
{
    bool nonblock = (f->flags & O_NONBLOCK) || (flags & MSG_DONTWAIT);
    if (s->family == AF_NETLINK) return netlink_send(s, k, n);
    if (s->type == SOCK_RAW) {
        if (!has_dst && !s->connected) return -EDESTADDRREQ;
        long r = raw_send(s, has_dst ? dst : s->raddr, k, n);
        net_loopback_flush();
        return r;
    }
    if (s->type == SOCK_DGRAM) {
        if (s->shut_wr) return -EPIPE;
        if (!has_dst) {
            if (!s->connected) return -EDESTADDRREQ;
            dst = s->raddr; dport = s->rport;
        }
        long r = udp_send(s, dst, dport, k, n);
        net_loopback_flush();
        return r;
    }
    long r = tcp_send(s, k, n, nonblock, false);
    net_loopback_flush();
    if (r == -EPIPE && !(flags & MSG_NOSIGNAL)) force_signal(cur, SIGPIPE);
    return r;
}

static long do_recv(struct file *f, struct socket *s, void *k, size_t n, int flags, u32 *src, u16 *sport)
{
    bool nonblock = (f->flags & O_NONBLOCK) || (flags & MSG_DONTWAIT);
    if (s->family == AF_NETLINK) { *src = 0; *sport = 0; return netlink_recv(s, k, n, flags, nonblock); }
    if (s->type == SOCK_DGRAM || s->type == SOCK_RAW) return udp_recv(s, k, n, flags, nonblock, src, sport);
    *src = s->raddr;
    *sport = s->rport;
    long r = tcp_recv(s, k, n, flags, nonblock, false);
    if ((flags & MSG_WAITALL) && !nonblock && !(flags & MSG_PEEK)) {
        /* keep reading until n bytes, EOF, an error or a signal */
        size_t got = r > 0 ? (size_t)r : 0;
        for (int guard = 0; r > 0 && got < n && guard < (1 << 20); guard++) {
            r = tcp_recv(s, (u8 *)k + got, n - got, flags, false, false);
            if (r > 0) got += r;
        }
        if (got) r = got;
    }
    net_loopback_flush();      /* a window update */
    return r;
}

SYSCALL(sys_sendto)
{
    UNUSED_ARGS;
    GET_SOCK(a0, f);
    u32 dst = 0; u16 dport = 0;
    bool has_dst = a4 && s->type != SOCK_STREAM && s->family != AF_NETLINK;
    if (has_dst) { int r = read_addr(a4, a5, &dst, &dport); if (r) return r; }
    size_t n = MIN(a2, CHUNK);
    u8 *k = kmalloc(n ? n : 1);
    if (!k) return -ENOMEM;
    long r = copy_from_user(k, a1, n) ? -EFAULT : do_send(f, s, k, n, (int)a3, has_dst, dst, dport);
    kfree(k);
    return r;
}

SYSCALL(sys_recvfrom)
{
    UNUSED_ARGS;
    GET_SOCK(a0, f);
    size_t n = MIN(a2, CHUNK);
    u8 *k = kmalloc(n ? n : 1);
    if (!k) return -ENOMEM;
    u32 src; u16 sport;
    long r = do_recv(f, s, k, n, (int)a3, &src, &sport);
    if (r > 0 && copy_to_user(a1, k, r)) r = -EFAULT;
    if (r >= 0 && a4) { int e = s->family == AF_NETLINK ? write_nl_addr(a4, a5, 0) : write_addr(a4, a5, src, sport); if (e) r = e; }
    kfree(k);
    return r;
}

/* struct msghdr (x86-64): name, namelen, iov, iovlen, control, controllen, flags */
struct msghdr_k { u64 name; u32 namelen, pad; u64 iov, iovlen, control, controllen; s32 flags, pad2; };

SYSCALL(sys_sendmsg)
{
    UNUSED_ARGS;
    GET_SOCK(a0, f);
    struct msghdr_k m;
    if (copy_from_user(&m, a1, sizeof m)) return -EFAULT;
    if (m.iovlen > 1024) return -EMSGSIZE;
    u32 dst = 0; u16 dport = 0;
    bool has_dst = m.name && s->type != SOCK_STREAM && s->family != AF_NETLINK;
    if (has_dst) { int r = read_addr(m.name, m.namelen, &dst, &dport); if (r) return r; }
    u8 *k = kmalloc(CHUNK);
    if (!k) return -ENOMEM;
    size_t n = 0;
    long r = 0;
    for (u64 i = 0; i < m.iovlen && n < CHUNK; i++) {
        u64 iov[2];
        if (copy_from_user(iov, m.iov + 16 * i, 16)) { r = -EFAULT; break; }
        size_t c = MIN(iov[1], CHUNK - n);
        if (copy_from_user(k + n, iov[0], c)) { r = -EFAULT; break; }
        n += c;
    }
    if (!r) r = do_send(f, s, k, n, (int)a2, has_dst, dst, dport);
    kfree(k);
    return r;
}

SYSCALL(sys_recvmsg)
{
    UNUSED_ARGS;
    GET_SOCK(a0, f);
    struct msghdr_k m;
    if (copy_from_user(&m, a1, sizeof m)) return -EFAULT;
    if (m.iovlen > 1024) return -EMSGSIZE;
    size_t want = 0;
    for (u64 i = 0; i < m.iovlen; i++) {
        u64 iov[2];
        if (copy_from_user(iov, m.iov + 16 * i, 16)) return -EFAULT;
        want += iov[1];
    }
    want = MIN(want, CHUNK);
    u8 *k = kmalloc(want ? want : 1);
    if (!k) return -ENOMEM;
    u32 src; u16 sport;
    long r = do_recv(f, s, k, want, (int)a2, &src, &sport);
    size_t off = 0;
    for (u64 i = 0; r > 0 && i < m.iovlen && off < (size_t)r; i++) {
        u64 iov[2];
        if (copy_from_user(iov, m.iov + 16 * i, 16)) { r = -EFAULT; break; }
        size_t c = MIN(iov[1], (size_t)r - off);
        if (copy_to_user(iov[0], k + off, c)) { r = -EFAULT; break; }
        off += c;
    }
    kfree(k);
    if (r < 0) return r;
    if (s->family == AF_NETLINK && m.name && m.namelen >= sizeof(struct sockaddr_nl_k)) {
        struct sockaddr_nl_k nl = { AF_NETLINK, 0, 0, 0 };     /* from the kernel */
        if (copy_to_user(m.name, &nl, sizeof nl)) return -EFAULT;
        m.namelen = sizeof nl;
    } else if (s->family != AF_NETLINK && m.name && m.namelen >= sizeof(struct sockaddr_in_k)) {
        struct sockaddr_in_k sa = { AF_INET, htons(sport), htonl(src), { 0 } };
        if (copy_to_user(m.name, &sa, sizeof sa)) return -EFAULT;
        m.namelen = sizeof sa;
    } else {
        m.namelen = 0;
    }
    m.controllen = 0;
    m.flags = 0;
    if (copy_to_user(a1, &m, sizeof m)) return -EFAULT;
    return r;
}

SYSCALL(sys_shutdown)
{
    UNUSED_ARGS;
    GET_SOCK(a0, f);
    if (a1 > 2) return -EINVAL;
    bool rd = a1 != 1, wr = a1 != 0;
    if (s->type == SOCK_STREAM) {
        int r = tcp_shutdown(s, rd, wr);
        net_loopback_flush();
        return r;
    }
    if (!s->connected) return -ENOTCONN;
    s->shut_rd |= rd;
    s->shut_wr |= wr;
    wakeup(s);
    net_notify();
    return 0;
}

SYSCALL(sys_getsockname)
{
    UNUSED_ARGS;
    GET_SOCK(a0, f);
    return s->family == AF_NETLINK ? write_nl_addr(a1, a2, s->nl_portid) : write_addr(a1, a2, s->laddr, s->lport);
}

SYSCALL(sys_getpeername)
{
    UNUSED_ARGS;
    GET_SOCK(a0, f);
    if (s->family == AF_NETLINK) return write_nl_addr(a1, a2, 0);
    if (s->type == SOCK_STREAM ? !s->tcb || !s->rport : !s->connected) return -ENOTCONN;
    return write_addr(a1, a2, s->raddr, s->rport);
}

SYSCALL(sys_setsockopt)
{
    UNUSED_ARGS;
    GET_SOCK(a0, f);
    int v = 0;
    if (a2 == SO_RCVTIMEO || a2 == SO_SNDTIMEO) {
        if (a1 != SOL_SOCKET) return 0;
        s64 tv[2];
        if (a4 < sizeof tv) return -EINVAL;
        if (copy_from_user(tv, a3, sizeof tv)) return -EFAULT;
        if (tv[0] < 0 || tv[1] < 0 || tv[1] >= 1000000) return -EINVAL;
        u64 ns = (u64)tv[0] * 1000000000UL + (u64)tv[1] * 1000;
        if (a2 == SO_RCVTIMEO) s->rcvtimeo_ns = ns; else s->sndtimeo_ns = ns;
        return 0;
    }
    if (a4 < 4) return -EINVAL;
    if (copy_from_user(&v, a3, 4)) return -EFAULT;
    if (a1 == SOL_SOCKET && a2 == SO_REUSEADDR) s->reuseaddr = v != 0;
    else if (a1 == SOL_TCP && a2 == TCP_NODELAY) s->nodelay = v != 0;   /* we never delay anyway */
    return 0;   /* other options: accepted, no effect */
}

SYSCALL(sys_getsockopt)
{
    UNUSED_ARGS;
    GET_SOCK(a0, f);
    int v;
    if (a1 == SOL_SOCKET) {
        switch (a2) {
        case SO_REUSEADDR: v = s->reuseaddr; break;
        case SO_TYPE: v = s->type; break;
        case SO_ERROR: v = s->type == SOCK_STREAM ? tcp_take_error(s) : s->error; s->error = 0; break;
        case SO_SNDBUF: v = 65536; break;
        case SO_RCVBUF: v = 65535; break;
        case SO_KEEPALIVE: v = 0; break;
        default: return -ENOPROTOOPT;
        }
    } else if (a1 == SOL_TCP && a2 == TCP_NODELAY) {
        v = s->nodelay;
    } else {
        return -ENOPROTOOPT;
    }
    u32 len;
    if (copy_from_user(&len, a4, 4)) return -EFAULT;
    if (len > 4) len = 4;
    if (copy_to_user(a3, &v, len) || copy_to_user(a4, &len, 4)) return -EFAULT;
    return 0;
}

/* ---- the file side: read/write/poll/close on a socket fd ---- */

ssize_t sock_read(struct file *f, void *k, size_t n)
{
    u32 src; u16 sport;
    return do_recv(f, f->priv, k, n, 0, &src, &sport);
}

ssize_t sock_write(struct file *f, const void *k, size_t n)
{
    return do_send(f, f->priv, k, n, 0, false, 0, 0);
}

/* read(2)/write(2) on a TCP socket: bytes move straight between the user's
 * buffer and the socket's rings, in one copy and in as big pieces as the
 * rings allow (not through the generic path's bounce page).  true: handled. */
bool sock_rw_user(struct file *f, u64 ubuf, size_t n, bool write, long *r)
{
    struct socket *s = f->priv;
    if (f->type != FT_SOCKET || s->type != SOCK_STREAM) return false;
    bool nonblock = f->flags & O_NONBLOCK;
    if (write) {
        *r = tcp_send(s, (const void *)ubuf, n, nonblock, true);
        if (*r == -EPIPE) force_signal(cur, SIGPIPE);
    } else {
        *r = tcp_recv(s, (void *)ubuf, n, 0, nonblock, true);
    }
    net_loopback_flush();
    return true;
}

/* FIONREAD and friends are not kept; the interface queries are (ifdesc.c) */
long sock_ioctl(struct file *f, u64 req, u64 arg)
{
    (void)f;
    return ifdesc_ioctl(req, arg);
}

int net_file_poll(struct file *f)
{
    if (f->type == FT_EPOLL) return epoll_poll(f->priv);
    struct socket *s = f->priv;
    if (s->family == AF_NETLINK) return netlink_poll(s);
    return s->type == SOCK_STREAM ? tcp_poll(s) : udp_poll(s);
}

void net_file_release(struct file *f)
{
    if (f->type == FT_EPOLL) { epoll_release(f->priv); return; }
    struct socket *s = f->priv;
    if (s->family == AF_NETLINK) netlink_close(s);
    else if (s->type == SOCK_RAW) raw_close(s);
    else if (s->type == SOCK_STREAM) tcp_close(s);
    else udp_close(s);
    kfree(s);
    net_loopback_flush();
    net_notify();
}
