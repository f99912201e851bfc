/* The parent/child protocol: fixed-size messages on a SOCK_SEQPACKET pair,
 * optionally carrying fds (the pty master; the cgroup files of SYNC_GO). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime/core/container.h"

int sync_send(int sock, const struct sync_msg *m, int fd)
{
    return sync_send_fds(sock, m, &fd, fd >= 0 ? 1 : 0);
}

int sync_send_fds(int sock, const struct sync_msg *m, const int *fds, int n)
{
    union {
        char buf[CMSG_SPACE(sizeof(int) * SYNC_MAX_FDS)];
        struct cmsghdr align;
    } u;
    struct iovec iov = { .iov_base = (void *)m, .iov_len = sizeof *m };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

    if (n > SYNC_MAX_FDS) {
        errno = E2BIG;
        return -1;
    }
    if (n > 0) {
        memset(&u, 0, sizeof u);
        mh.msg_control = u.buf;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)n);
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
    int fds[SYNC_MAX_FDS], n = 0;
    int r = sync_recv_fds(sock, m, fds, &n);

    if (fd)
        *fd = n > 0 ? fds[0] : -1;
    for (int i = fd ? 1 : 0; i < n; i++)
        close(fds[i]);
    return r;
}

int sync_recv_fds(int sock, struct sync_msg *m, int fds[SYNC_MAX_FDS], int *nfds)
{
    union {
        char buf[CMSG_SPACE(sizeof(int) * SYNC_MAX_FDS)];
        struct cmsghdr align;
    } u;
    struct iovec iov = { .iov_base = m, .iov_len = sizeof *m };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = u.buf, .msg_controllen = sizeof u.buf };
    ssize_t n;

    *nfds = 0;
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
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        for (int i = 0; i < k; i++) {
            int got;
            memcpy(&got, CMSG_DATA(c) + sizeof(int) * (size_t)i, sizeof got);
            if (*nfds < SYNC_MAX_FDS)
                fds[(*nfds)++] = got;
            else
                close(got);
        }
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

/* The parent's side of a start, for `run` and `exec` alike: read the
 * child's messages until EOF (the command is exec'd: the child's end is
 * close-on-exec), SYNC_CREATED (an OCI create waits at its start gate) or
 * its error. A pty master is sized like the caller's terminal and the child
 * told so, before the command can first ask for the size. */
int sync_await_exec(struct osbox_container *c, struct osbox_err *err)
{
    struct sync_msg m;
    int fd, r;

    for (;;) {
        r = sync_recv(c->sock, &m, &fd);
        if (r == 0)
            return 0;
        if (r > 0 && m.type == SYNC_CREATED) /* OCI create: waiting for start */
            return 0;
        if (r < 0)
            return osbox_error(err, errno, "read from the container's process");
        if (m.type == SYNC_PTY && fd >= 0) {
            struct sync_msg ack = { .type = SYNC_PTY_SIZED };
            if (c->master >= 0)
                close(c->master);
            c->master = fd;
            /* The size is right before the command first asks for it. */
            host_tty_copy_winsize(c->master);
            sync_send(c->sock, &ack, -1); /* fails only if the child died: EOF next */
        } else if (m.type == SYNC_ERROR) {
            if (fd >= 0)
                close(fd);
            osbox_error(err, 0, "%s", m.msg);
            err->errnum = m.errnum;
            err->exit_status = m.exit_status ? m.exit_status : OSBOX_EXIT_FAILED;
            return -1;
        } else if (fd >= 0) {
            close(fd);
        }
    }
}
