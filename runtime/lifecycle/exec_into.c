/* A new process inside a running container (`osbox exec`, `osbox oci exec`):
 * born into the container's pid namespace, placed in its cgroup(s) before it
 * runs anything, then joins the other namespaces of the container's init
 * (setns with a pidfd: all at once) and takes the same path to execve as the
 * container's command (exec_command: stdio, caps bounding set,
 * no_new_privs, credentials, seccomp last).
 *
 * Detached (`exec -d`): the child forks once more inside the container's pid
 * namespace and exits, so the command is an orphan there and the container's
 * init adopts and reaps it (had osbox's own child been the command, it would
 * be re-parented to osbox's reaper outside the container). Its stdio is
 * /dev/null; it dies with the container like every process of its pid ns. */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/magic.h>
#include <unistd.h>

#include "runtime/core/container.h"
#include "runtime/lifecycle/lifecycle.h"
#include "util.h"

/* Where the hierarchy named by a /proc/PID/cgroup line is mounted. */
static char *hierarchy_dir(const char *ctrls)
{
    struct statfs sf;

    if (!*ctrls) { /* cgroup2: alone on /sys/fs/cgroup, or beside v1 at unified */
        if (statfs("/sys/fs/cgroup/unified", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
            return osbox_xstrdup("/sys/fs/cgroup/unified");
        if (statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
            return osbox_xstrdup("/sys/fs/cgroup");
        return NULL;
    }
    if (!strncmp(ctrls, "name=", 5))
        return osbox_strdup_printf("/sys/fs/cgroup/%s", ctrls + 5);
    return osbox_strdup_printf("/sys/fs/cgroup/%s", ctrls);
}

/* Put child into every cgroup the init is in (where that is not the root). */
static int join_cgroups(pid_t init, pid_t child, struct osbox_err *err)
{
    char path[64], line[4096];
    FILE *f;
    int rc = 0;

    snprintf(path, sizeof path, "/proc/%d/cgroup", (int)init);
    f = fopen(path, "re");
    if (!f)
        return osbox_error(err, errno, "read %s", path);
    while (rc == 0 && fgets(line, sizeof line, f)) {
        char *a = strchr(line, ':'), *b = a ? strchr(a + 1, ':') : NULL;
        if (!b)
            continue;
        *b = '\0';
        b[strcspn(b + 1, "\n") + 1] = '\0';
        const char *ctrls = a + 1, *rel = b + 1;
        if (!strcmp(rel, "/"))
            continue;
        _cleanup_free_ char *hdir = hierarchy_dir(ctrls);
        if (!hdir)
            continue;
        _cleanup_free_ char *procs = osbox_strdup_printf("%s%s/cgroup.procs", hdir, rel);
        if (access(procs, F_OK) < 0)
            continue; /* a hierarchy not mounted here */
        char pid[32];
        int n = snprintf(pid, sizeof pid, "%d", (int)child);
        int fd = open(procs, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, pid, (size_t)n) != n) {
            /* name= hierarchies are best effort; the controllers are not. */
            if (strncmp(ctrls, "name=", 5))
                rc = osbox_error(err, errno, "join cgroup %s", procs);
        }
        if (fd >= 0)
            close(fd);
    }
    fclose(f);
    return rc;
}

static bool same_userns(pid_t pid)
{
    char path[64];
    struct stat a, b;

    snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
    return stat("/proc/self/ns/user", &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino &&
           a.st_dev == b.st_dev;
}

/* The first process whose parent is pid (/proc/N/status is world-readable). */
static pid_t first_child(pid_t pid)
{
    DIR *d = opendir("/proc");
    struct dirent *de;
    char path[64], line[128];
    pid_t found = -1;

    while (d && found < 0 && (de = readdir(d))) {
        int n = atoi(de->d_name);
        if (n <= 0)
            continue;
        snprintf(path, sizeof path, "/proc/%d/status", n);
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        while (f && fgets(line, sizeof line, f))
            if (!strncmp(line, "PPid:", 5)) {
                if (atoi(line + 5) == (int)pid)
                    found = n;
                break;
            }
    }
    if (d)
        closedir(d);
    return found;
}

static int ns_flags(void)
{
    int f = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP;
    if (access("/proc/self/ns/time", F_OK) == 0)
        f |= CLONE_NEWTIME;
    return f;
}

/* A pty from the container's devpts (no /dev/console: that is the init's). */
static int exec_pty(int *master, int *slave, struct osbox_err *err)
{
    char name[64];
    int m = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);

    if (m < 0)
        return osbox_error(err, errno, "open /dev/pts/ptmx");
    if (unlockpt(m) < 0 || ptsname_r(m, name, sizeof name) != 0 ||
        (*slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
        osbox_error(err, errno, "open a pty in the container");
        close(m);
        return -1;
    }
    *master = m;
    return 0;
}

static __attribute__((noreturn)) void exec_child(int pidfd, int sock, const struct osbox_spec *spec,
                                                 bool detach)
{
    struct exec_ctx x = { .process = &spec->process, .sock = sock, .pty_slave = -1,
                          .security = &spec->security };
    struct osbox_err err;
    struct sync_msg m;

    osbox_err_clear(&err);
    prctl(PR_SET_DUMPABLE, 0); /* nothing in the container may ptrace us before execve */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (detach) { /* output goes nowhere, as with docker exec -d */
        int nul = open("/dev/null", O_RDWR);
        for (int fd = 0; fd < 3 && nul >= 0; fd++)
            dup2(nul, fd);
        if (nul > 2)
            close(nul);
    }
    if (setns(pidfd, ns_flags()) < 0) {
        osbox_error(&err, errno, "join the container's namespaces");
        goto fail;
    }
    /* No fd of osbox reaches the container but stdio and our socket. */
    if (sock > 3)
        close_range(3, (unsigned)sock - 1, 0);
    close_range((unsigned)sock + 1, ~0U, 0);
    if (sync_recv(sock, &m, NULL) != 1 || m.type != SYNC_GO) /* in the cgroup now */
        _exit(OSBOX_EXIT_FAILED);
    if (spec->process.terminal) {
        int master = -1;
        if (exec_pty(&master, &x.pty_slave, &err) < 0)
            goto fail;
        struct sync_msg pm = { .type = SYNC_PTY };
        int rc = sync_send(sock, &pm, master);
        close(master);
        if (rc < 0) {
            osbox_error(&err, errno, "send the pty to osbox");
            goto fail;
        }
        /* Sized like the caller's terminal before the command can ask. */
        if (sync_recv(sock, &m, NULL) != 1 || m.type != SYNC_PTY_SIZED)
            _exit(OSBOX_EXIT_FAILED);
    }
    if (user_resolve(&spec->process, &x.user, &err) < 0)
        goto fail;
    x.env = command_env(&spec->process, &x.user);
    if (detach) {
        pid_t gc = fork(); /* the grandchild is the command; we go, init adopts it */
        if (gc < 0) {
            osbox_error(&err, errno, "fork the detached process");
            goto fail;
        }
        if (gc > 0)
            _exit(0);
    }
    if (x.pty_slave < 0)
        setsid(); /* with a pty, exec_command makes the session (and the controlling tty) */
    exec_command(&x);
fail:
    err.exit_status = OSBOX_EXIT_FAILED;
    sync_send_error(sock, &err);
    _exit(OSBOX_EXIT_FAILED);
}

static int exec_into(pid_t pid, unsigned long long pid_start, const struct osbox_spec *spec,
                     bool detach, struct osbox_container **out, struct osbox_err *err)
{
    struct osbox_container *c;
    int pidfd, sv[2];

    if (!spec->process.args || !spec->process.args[0])
        return osbox_error(err, 0, "exec: no command given");
    pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0 || proc_start_time(pid) != pid_start) {
        if (pidfd >= 0)
            close(pidfd);
        return osbox_error(err, 0, "the container is not running");
    }
    /* Rootless: the container lives in its osbox's user namespace, which
     * our (non-root) user owns; join it first, the others are its. The
     * init (not dumpable, its mm the host's) is out of our reach: go
     * through its first child, which shares all its namespaces. */
    bool rootless = geteuid() != 0 && !same_userns(pid);
    if (rootless) {
        pid_t via = first_child(pid);
        close(pidfd);
        pidfd = via > 0 ? (int)syscall(SYS_pidfd_open, via, 0) : -1;
        if (pidfd < 0)
            return osbox_error(err, 0, "the container's command is not running");
        if (setns(pidfd, CLONE_NEWUSER) < 0) {
            int e = errno;
            close(pidfd);
            return osbox_error(err, e, "join the rootless container's user namespace");
        }
    }
    /* Children of this process are born in the container's pid namespace. */
    if (setns(pidfd, CLONE_NEWPID) < 0) {
        int e = errno;
        close(pidfd);
        return osbox_error(err, e, "join the container's pid namespace");
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        int e = errno;
        close(pidfd);
        return osbox_error(err, e, "socketpair");
    }
    c = osbox_xcalloc(1, sizeof *c);
    memcpy(c->id, "exec", 5);
    c->pidfd = c->master = -1;
    c->sock = sv[0];
    c->stdin_open = spec->process.stdin_open;
    c->pid = fork();
    if (c->pid == 0) {
        close(sv[0]);
        exec_child(pidfd, sv[1], spec, detach);
    }
    close(sv[1]);
    close(pidfd);
    if (c->pid < 0) {
        osbox_error(err, errno, "fork");
        goto fail;
    }
    c->pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
    if (c->pidfd < 0) {
        osbox_error(err, errno, "pidfd_open");
        goto fail;
    }
    if (!rootless && join_cgroups(pid, c->pid, err) < 0)
        goto fail;
    return runtime_release_child(c, false, out, err);
fail:
    runtime_destroy(c, NULL);
    return -1;
}

int runtime_exec_into(pid_t pid, unsigned long long pid_start, const struct osbox_spec *spec,
                      struct osbox_container **out, struct osbox_err *err)
{
    return exec_into(pid, pid_start, spec, false, out, err);
}

int runtime_exec_detached(pid_t pid, unsigned long long pid_start, const struct osbox_spec *spec,
                          struct osbox_err *err)
{
    struct osbox_container *c;

    if (spec->process.terminal || spec->process.stdin_open)
        return osbox_error(err, EINVAL, "exec: a detached process has no terminal nor stdin");
    /* Returns once the command has exec'd (or with its error): the socket's
     * EOF needs both the exited child and the command's close-on-exec. */
    if (exec_into(pid, pid_start, spec, true, &c, err) < 0)
        return -1;
    while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    c->exited = true;
    runtime_destroy(c, NULL);
    return 0;
}
