/* What the OCI config asks of the container's processes that struct
 * osbox_spec does not carry: set in the creating process just before clone
 * (inherited: rlimits, oom_score_adj, joined namespaces), or applied to the
 * created container from outside (namespaced sysctls); and the console
 * socket that hands an engine the pty master. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/core/container.h"
#include "runtime/oci/oci.h"
#include "util.h"

static const int ns_clone_flag[OCI_NS_N] = {
    [OCI_NS_PID] = CLONE_NEWPID, [OCI_NS_NET] = CLONE_NEWNET, [OCI_NS_IPC] = CLONE_NEWIPC,
    [OCI_NS_UTS] = CLONE_NEWUTS, [OCI_NS_MOUNT] = CLONE_NEWNS, [OCI_NS_CGROUP] = CLONE_NEWCGROUP,
    [OCI_NS_TIME] = CLONE_NEWTIME,
};

/* core/ns.c enters and leaves; saved holds the way back between the two
 * calls the OCI create makes. */
int oci_restore_namespaces(struct oci_saved_ns *saved, struct osbox_err *err)
{
    (void)err; /* not coming back aborts (core/ns.c) */
    for (int k = OCI_NS_N; k-- > 0;) {
        ns_leave(saved->fd[k], ns_clone_flag[k]);
        saved->fd[k] = -1;
    }
    return 0;
}

int oci_apply_inherited(const struct oci_config *c, struct oci_saved_ns *saved,
                        struct osbox_err *err)
{
    for (int k = 0; k < OCI_NS_N; k++)
        saved->fd[k] = -1;
    for (size_t i = 0; i < c->n_rlimits; i++) {
        struct rlimit want = c->rlimits[i].lim, now;
        if (setrlimit(c->rlimits[i].resource, &want) == 0)
            continue;
        /* Raising a hard limit needs CAP_SYS_RESOURCE (which some hosts
         * withhold even from root; engines ask for large nofile limits):
         * then the most we may have is our own hard limit. */
        if (errno != EPERM || getrlimit(c->rlimits[i].resource, &now) < 0 ||
            want.rlim_max <= now.rlim_max)
            return osbox_error(err, errno, "config.json: process.rlimits[%zu]", i);
        want.rlim_max = now.rlim_max;
        if (want.rlim_cur > want.rlim_max)
            want.rlim_cur = want.rlim_max;
        if (setrlimit(c->rlimits[i].resource, &want) < 0)
            return osbox_error(err, errno, "config.json: process.rlimits[%zu]", i);
    }
    if (c->has_oom_score_adj) {
        char buf[16];
        int n = snprintf(buf, sizeof buf, "%d", c->oom_score_adj);
        if (osbox_write_file("/proc/self/oom_score_adj", buf, (size_t)n, 0644, err) < 0)
            return osbox_error_prefix(err, "config.json: process.oomScoreAdj");
    }
    /* Joining here makes the clone inherit the namespaces (pid and time: for
     * children only); oci_restore_namespaces() takes us back afterwards, so
     * hooks run in the runtime's namespaces. */
    for (int k = 0; k < OCI_NS_N; k++) {
        if (!c->ns_path[k])
            continue;
        _cleanup_close_ int fd = open(c->ns_path[k], O_RDONLY | O_CLOEXEC);
        if (fd < 0 || ns_enter(fd, ns_clone_flag[k], &saved->fd[k], err) < 0) {
            if (fd < 0)
                osbox_error(err, errno, "open");
            oci_restore_namespaces(saved, NULL); /* what was joined already */
            return osbox_error_prefix(err, "join the namespace at %s", c->ns_path[k]);
        }
    }
    return 0;
}

static bool sysctl_namespaced(const char *key, bool own_net)
{
    static const char *const ipc[] = { "kernel.shmmax", "kernel.shmall", "kernel.shmmni",
                                       "kernel.shm_rmid_forced", "kernel.msgmax", "kernel.msgmnb",
                                       "kernel.msgmni", "kernel.sem", NULL };
    if (!strncmp(key, "net.", 4))
        return own_net;
    if (!strncmp(key, "fs.mqueue.", 10) || !strcmp(key, "kernel.hostname") ||
        !strcmp(key, "kernel.domainname"))
        return true;
    for (int i = 0; ipc[i]; i++)
        if (!strcmp(key, ipc[i]))
            return true;
    return false;
}

int oci_apply_sysctl(const struct oci_config *c, pid_t pid, struct osbox_err *err)
{
    bool own_net = (c->spec.namespaces & OSBOX_NS_NET) || c->ns_path[OCI_NS_NET];
    int st;
    pid_t child;

    if (!c->sysctl || !c->sysctl[0])
        return 0;
    for (size_t i = 0; c->sysctl[i]; i++) {
        _cleanup_free_ char *key = osbox_xstrdup(c->sysctl[i]);
        *strchr(key, '=') = '\0';
        if (!sysctl_namespaced(key, own_net))
            return osbox_error(err, 0, "config.json: linux.sysctl: %s is not namespaced (or the container shares the host's)", key);
    }
    /* A helper in the container's namespaces writes the host's /proc/sys,
     * which shows the namespaces of whoever opens it. */
    child = fork();
    if (child < 0)
        return osbox_error(err, errno, "fork");
    if (child == 0) {
        static const char *const ns[] = { "net", "ipc", "uts" };
        for (int k = 0; k < 3; k++) {
            char p[64];
            snprintf(p, sizeof p, "/proc/%d/ns/%s", (int)pid, ns[k]);
            int fd = open(p, O_RDONLY | O_CLOEXEC);
            if (fd < 0 || setns(fd, 0) < 0)
                _exit(100 + k);
            close(fd);
        }
        for (size_t i = 0; c->sysctl[i]; i++) {
            char *kv = osbox_xstrdup(c->sysctl[i]), *eq = strchr(kv, '=');
            *eq = '\0';
            for (char *q = kv; *q; q++)
                if (*q == '.')
                    *q = '/';
            char *path = osbox_strdup_printf("/proc/sys/%s", kv);
            if (osbox_write_file(path, eq + 1, strlen(eq + 1), 0644, NULL) < 0)
                _exit(1 + (int)(i < 90 ? i : 90));
            free(path);
            free(kv);
        }
        _exit(0);
    }
    if (waitpid(child, &st, 0) < 0)
        return osbox_error(err, errno, "wait for the sysctl helper");
    if (!WIFEXITED(st) || WEXITSTATUS(st) >= 100)
        return osbox_error(err, 0, "linux.sysctl: could not enter the container's namespaces");
    if (WEXITSTATUS(st))
        return osbox_error(err, 0, "config.json: linux.sysctl: cannot set %s", c->sysctl[WEXITSTATUS(st) - 1]);
    return 0;
}

int oci_take_pty(struct osbox_container *c)
{
    int fd = c->master;

    c->master = -1;
    return fd;
}

int oci_send_console(const char *path, int fd, struct osbox_err *err)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char payload[] = "osbox-pty";
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct iovec iov = { .iov_base = payload, .iov_len = sizeof payload - 1 };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                         .msg_controllen = sizeof u.buf };
    struct cmsghdr *cm;
    _cleanup_close_ int s = -1;

    if (strlen(path) >= sizeof sa.sun_path)
        return osbox_error(err, ENAMETOOLONG, "--console-socket %s", path);
    strcpy(sa.sun_path, path);
    s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof sa) < 0)
        return osbox_error(err, errno, "connect to --console-socket %s", path);
    memset(&u, 0, sizeof u);
    cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof fd);
    if (sendmsg(s, &mh, MSG_NOSIGNAL) < 0)
        return osbox_error(err, errno, "send the pty to --console-socket %s", path);
    return 0;
}
