/* The parent/child protocol: fixed-size messages on a SOCK_SEQPACKET pair,
 * optionally carrying one fd (the pty master). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "runtime/internal.h"

int sync_send(int sock, const struct sync_msg *m, int fd)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct iovec iov = { .iov_base = (void *)m, .iov_len = sizeof *m };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

    if (fd >= 0) {
        memset(&u, 0, sizeof u);
        mh.msg_control = u.buf;
        mh.msg_controllen = sizeof u.buf;
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    for (;;) {
        ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        return n == (ssize_t)sizeof *m ? 0 : -1;
    }
}

int sync_recv(int sock, struct sync_msg *m, int *fd)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct iovec iov = { .iov_base = m, .iov_len = sizeof *m };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = u.buf, .msg_controllen = sizeof u.buf };
    ssize_t n;

    if (fd)
        *fd = -1;
    /* A peer that exits with our message unread in its queue leaves us
     * ECONNRESET once (reading it clears it); what it sent is still queued. */
    for (int resets = 0;;) {
        n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
        if (n < 0 && (errno == EINTR || (errno == ECONNRESET && resets++ < 4)))
            continue;
        break;
    }
    if (n == 0)
        return 0;
    if (n != (ssize_t)sizeof *m)
        return -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && fd)
            memcpy(fd, CMSG_DATA(c), sizeof *fd);
    }
    m->msg[sizeof m->msg - 1] = '\0';
    return 1;
}

void sync_send_error(int sock, const struct osbox_err *err)
{
    struct sync_msg m = { .type = SYNC_ERROR, .exit_status = err->exit_status,
                          .errnum = err->errnum };

    memcpy(m.msg, err->msg, sizeof m.msg);
    sync_send(sock, &m, -1);
}
