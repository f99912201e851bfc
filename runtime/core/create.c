/* runtime_create: the parent's half of starting a container. Make the
 * cgroup and state dirs, clone3 straight into the new namespaces, put the
 * child in its cgroup, release it, and wait until the command is exec'd or
 * the child reports why it could not be. */
#include <errno.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/cgroup/cgroup.h"
#include "runtime/core/container.h"
#include "runtime/net/net_internal.h"
#include "util.h"

static bool kernel_has_timens(void)
{
    return access("/proc/self/ns/time", F_OK) == 0;
}

static unsigned long clone_flags(const struct osbox_spec *spec)
{
    unsigned long f = CLONE_PIDFD;
    unsigned ns = spec->namespaces;

    if (ns & OSBOX_NS_PID) f |= CLONE_NEWPID;
    if (ns & OSBOX_NS_MOUNT) f |= CLONE_NEWNS;
    if (ns & OSBOX_NS_UTS) f |= CLONE_NEWUTS;
    if (ns & OSBOX_NS_IPC) f |= CLONE_NEWIPC;
    if (ns & OSBOX_NS_NET) f |= CLONE_NEWNET;
    if ((ns & OSBOX_NS_TIME) && kernel_has_timens()) f |= CLONE_NEWTIME;
    return f;
}

static pid_t do_clone3(unsigned long flags, int cgroup_fd, int *pidfd)
{
    struct clone_args args = {
        .flags = flags,
        .pidfd = (uint64_t)(uintptr_t)pidfd,
        .exit_signal = SIGCHLD,
    };

    if (cgroup_fd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = (uint64_t)cgroup_fd;
    }
    return (pid_t)syscall(SYS_clone3, &args, sizeof args);
}

static int make_dirs(struct osbox_container *c, const struct osbox_spec *spec,
                     struct child_ctx *ctx, struct osbox_err *err)
{
    if (osbox_mkdir_p(c->live_dir, 0700, err) < 0)
        return -1;
    if (spec->root.layers && spec->root.layers[0]) {
        if (osbox_mkdir_p(ctx->upper, 0755, err) < 0 || osbox_mkdir_p(ctx->work, 0700, err) < 0)
            return -1;
    }
    return 0;
}

/* What a user namespace of a non-root user cannot give, said up front. */
static int rootless_check(const struct osbox_spec *spec, struct osbox_err *err)
{
    if (resources_any(&spec->resources) || (spec->cgroup_parent && *spec->cgroup_parent))
        return osbox_error(err, 0, "rootless osbox cannot apply resource limits (-m, --cpus, "
                           "--pids-limit, --cgroup-parent): no delegated cgroup is writable by "
                           "this user; run as root or drop the limits");
    if (spec->net.mode == OSBOX_NET_BRIDGE)
        return osbox_error(err, 0, "rootless osbox cannot use --network bridge (a veth on the "
                           "host bridge needs root); use --network none or host");
    return 0;
}

int runtime_create(const struct osbox_spec *spec, const struct osbox_runtime_opts *opts,
                   struct osbox_container **out, struct osbox_err *err)
{
    struct osbox_container *c;
    _cleanup_free_ char *upper = NULL, *work = NULL;
    struct child_ctx ctx = { .spec = spec, .opts = opts };
    int sv[2], cgfd, saved_netns = -1;
    _cleanup_close_ int netns = -1;
    bool cg_late, early_state;
    unsigned long flags;
    struct osbox_err ignored; /* no prefetched netns to enter: CLONE_NEWNET as before */

    if (!opts || !opts->id || strlen(opts->id) != 64)
        return osbox_error(err, EINVAL, "runtime_create: bad container id");
    if (!spec->process.args || !spec->process.args[0])
        return osbox_error(err, 0, "no command specified");

    if (spec->security.rootless && rootless_check(spec, err) < 0)
        return -1;

    c = osbox_xcalloc(1, sizeof *c);
    memcpy(c->id, opts->id, 65);
    c->pid = -1;
    c->pidfd = c->sock = c->master = -1;
    c->stdin_open = spec->process.stdin_open;
    c->dir = runtime_container_dir(c->id);
    c->live_dir = runtime_live_dir(c->id);
    /* The rootfs is mounted over the live dir itself, in the container's
     * mount namespace only: no directory of its own to make and remove
     * (each costs ~0.1 ms on ext4 with discard). */
    ctx.mountpoint = c->live_dir;
    ctx.upper = upper = osbox_strdup_printf("%s/upper", c->dir);
    ctx.work = work = osbox_strdup_printf("%s/work", c->dir);

    if (make_dirs(c, spec, &ctx, err) < 0)
        goto fail;
    /* Rootless: no cgroup of our own (none is writable; see rootless_check). */
    startup_trace_begin(TRACE_CGROUP);
    if (!spec->security.rootless &&
        cgroup_plan(c->id, spec->cgroup_parent, &spec->resources, &c->cg, err) < 0)
        goto fail;
    startup_trace_end(TRACE_CGROUP);
    /* Pure v2 clones the child straight into its cgroup, which must exist
     * first. Elsewhere the cgroup is made after the clone, while the child
     * builds its rootfs: the directories and limits cost nothing then. */
    cg_late = c->cg && cgroup_mode(c->cg) != OSBOX_CGROUP_V2;
    /* Live state before anything `osbox gc` must be able to attribute (a
     * cgroup, a bridge lease); without those it is written once, after the
     * clone (the live dir alone is left to gc's grace period meanwhile). */
    early_state = (c->cg && !cg_late) || spec->net.mode == OSBOX_NET_BRIDGE;
    startup_trace_begin(TRACE_STATE);
    if (early_state && live_write(c->live_dir, c->id, 0, err) < 0)
        goto fail;
    startup_trace_end(TRACE_STATE);
    startup_trace_begin(TRACE_CGROUP);
    if (c->cg && !cg_late && cgroup_realize(&c->cg, err) < 0)
        goto fail;
    /* Hybrid: born in the unified tree, like pure v2 (no migration there). */
    if (cg_late)
        cgroup_realize_unified(c->cg);
    startup_trace_end(TRACE_CGROUP);
    startup_trace_begin(TRACE_NETWORK);
    if (netc_before_clone(c, spec, err) < 0) /* a lease (bridge) or the ns to join */
        goto fail;
    startup_trace_end(TRACE_NETWORK);
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        osbox_error(err, errno, "socketpair");
        goto fail;
    }
    c->sock = sv[0];
    ctx.sock = sv[1];

    flags = clone_flags(spec);
    cgfd = cgroup_clone_fd(c->cg);
    if (cgfd >= 0 && !cg_late && (spec->namespaces & OSBOX_NS_CGROUP)) {
        /* Already in the cgroup at birth: the cgroup namespace can start there. */
        flags |= CLONE_NEWCGROUP;
        ctx.cgroupns_in_clone = true;
    }
    ctx.cpus_saved = sched_getaffinity(0, sizeof ctx.cpus, &ctx.cpus) == 0 &&
                     CPU_COUNT(&ctx.cpus) > 1;
    /* A netns made ahead of time (runtime_prefetch_netns): clone inside it. */
    startup_trace_begin(TRACE_NETWORK);
    netns = netns_prefetched();
    startup_trace_end(TRACE_NETWORK);
    if (netns >= 0 && (flags & CLONE_NEWNET) && !spec->security.rootless &&
        ns_enter(netns, CLONE_NEWNET, &saved_netns, &ignored) == 0) {
        flags &= ~(unsigned long)CLONE_NEWNET;
        ctx.netns_ready = true;
    }
    if (netc_clone_enter(c, err) < 0) {
        ns_leave(saved_netns, CLONE_NEWNET);
        goto fail;
    }
    startup_trace_begin(TRACE_CLONE);
    c->pid = do_clone3(flags, cgfd, &c->pidfd);
    if (c->pid < 0 && errno == EINVAL && (flags & CLONE_NEWTIME)) {
        flags &= ~(unsigned long)CLONE_NEWTIME;
        c->pid = do_clone3(flags, cgfd, &c->pidfd);
    }
    if (c->pid < 0 && cg_late && cgfd >= 0) { /* hybrid's unified tree is best effort */
        cgfd = -1;
        c->pid = do_clone3(flags, cgfd, &c->pidfd);
    }
    if (c->pid == 0)
        child_main(&ctx); /* which ends TRACE_CLONE: the clone is done when the init runs */
    netc_clone_leave(c);
    ns_leave(saved_netns, CLONE_NEWNET);
    /* The scheduler tends to queue a new task on its parent's CPU, where
     * the child would wait until osbox sleeps, while the other CPU idles:
     * the rootfs work and our cgroup work then run one after the other. So
     * the child is moved off our CPU until SYNC_GO, when it takes back the
     * CPUs it was born with (before anything of the command runs; GO comes
     * after this call, so the order cannot be reversed). */
    if (c->pid > 0 && ctx.cpus_saved) {
        cpu_set_t other = ctx.cpus;
        int me = sched_getcpu();
        if (me >= 0) {
            CPU_CLR(me, &other);
            sched_setaffinity(c->pid, sizeof other, &other);
        }
    }
    close(sv[1]);
    if (c->pid < 0) {
        osbox_error(err, errno, "clone3 into new namespaces");
        goto fail;
    }
    startup_trace_begin(TRACE_STATE);
    if (!early_state && live_write(c->live_dir, c->id, c->pid, err) < 0)
        goto fail;
    startup_trace_end(TRACE_STATE);
    startup_trace_begin(TRACE_CGROUP);
    if (cg_late && cgroup_realize(&c->cg, err) < 0)
        goto fail;
    /* v1: the init moves itself at SYNC_GO (no RCU grace period, cgroup_join.c). */
    if (cg_late && (c->njoin = cgroup_join_open(c->cg, c->join_fds, CGROUP_MAX_JOIN_FDS, err)) < 0) {
        c->njoin = 0;
        goto fail;
    }
    startup_trace_end(TRACE_CGROUP);
    startup_trace_begin(TRACE_NETWORK);
    if (netc_after_clone(c, err) < 0) /* eth0 is up before the command starts */
        goto fail;
    startup_trace_end(TRACE_NETWORK);
    return runtime_release_child(c, early_state, out, err);

fail:
    runtime_destroy(c, NULL);
    return -1;
}

int runtime_release_child(struct osbox_container *c, bool write_live, struct osbox_container **out,
                          struct osbox_err *err)
{
    struct sync_msg go = { .type = SYNC_GO };

    /* If the child already failed, this send fails; its message explains why. */
    sync_send_fds(c->sock, &go, c->join_fds, c->njoin);
    cgroup_join_close(c->join_fds, c->njoin);
    c->njoin = 0;
    if (write_live && live_write(c->live_dir, c->id, c->pid, err) < 0)
        goto fail;
    if (sync_await_exec(c, err) < 0)
        goto fail;
    startup_trace_end(TRACE_EXEC);
    *out = c;
    return 0;
fail:
    runtime_destroy(c, NULL);
    return -1;
}

pid_t runtime_container_pid(const struct osbox_container *c)
{
    return c->pid;
}
