/* The cloned child, already in its new namespaces: wait for the parent to
 * place it in its cgroup, build the container's view of the world, then
 * become its init. Every failure goes back to the parent as one message. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "runtime/core/internal.h"
#include "runtime/security/security.h"
#include "util.h"

static int set_hostname(const struct osbox_spec *spec, struct osbox_err *err)
{
    if (!spec->hostname || !(spec->namespaces & OSBOX_NS_UTS))
        return 0;
    if (sethostname(spec->hostname, strlen(spec->hostname)) < 0)
        return osbox_error(err, errno, "sethostname %s", spec->hostname);
    return 0;
}

char **command_env(const struct osbox_process *p, const struct resolved_user *u)
{
    char **env = osbox_strv_dup(p->env);

    if (!osbox_env_get(env, "PATH"))
        osbox_env_set(&env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    if (!osbox_env_get(env, "HOME")) {
        char *kv = osbox_strdup_printf("HOME=%s", u->home ? u->home : "/");
        osbox_env_set(&env, kv);
        free(kv);
    }
    if (p->terminal && !osbox_env_get(env, "TERM"))
        osbox_env_set(&env, "TERM=xterm");
    return env;
}

/* The cgroup files SYNC_GO carried (cgroup_join.c). */
static int go_fds[SYNC_MAX_FDS], n_go_fds;

/* Wait for one of the parent's messages (they may come in either order).
 * EOF means osbox is gone: give up quietly. */
static void await_parent(int sock, int type)
{
    static unsigned seen;
    struct sync_msg m;
    int fds[SYNC_MAX_FDS], n;

    while (!(seen & (1u << type))) {
        if (sync_recv_fds(sock, &m, fds, &n) != 1)
            _exit(OSBOX_EXIT_FAILED);
        if (m.type == SYNC_GO && !(seen & (1u << SYNC_GO))) {
            memcpy(go_fds, fds, sizeof(int) * (size_t)n);
            n_go_fds = n;
        } else {
            cgroup_join_close(fds, n);
        }
        if (m.type > 0 && m.type < 32)
            seen |= 1u << m.type;
    }
}

static int setup(struct child_ctx *ctx, struct exec_ctx *x, struct osbox_err *err)
{
    const struct osbox_spec *spec = ctx->spec;
    int master = -1;

    /* The filesystem work overlaps with the parent moving us into our
     * cgroup (slow on cgroup v1: the migration waits for an RCU grace period). */
    if (security_userns_prepare(spec, ctx->upper, ctx->work, err) < 0)
        return -1;
    startup_trace_end(TRACE_SETUP);
    if (rootfs_setup(ctx, err) < 0)
        return -1;
    startup_trace_begin(TRACE_SETUP);
    if (set_hostname(spec, err) < 0)
        return -1;
    if ((spec->namespaces & OSBOX_NS_NET) && !ctx->netns_ready && net_loopback_up(err) < 0)
        return -1;
    if (spec->process.terminal) {
        if (pty_open_in_container(&master, &x->pty_slave, err) < 0)
            return -1;
        struct sync_msg pm = { .type = SYNC_PTY };
        int rc = sync_send(ctx->sock, &pm, master);
        close(master);
        if (rc < 0)
            return osbox_error(err, errno, "send the pty to osbox");
        await_parent(ctx->sock, SYNC_PTY_SIZED);
    }
    if (user_resolve(&spec->process, &x->user, err) < 0)
        return -1;
    /* --userns=keep-id without a user: run as the kept (caller's) ids. */
    if (spec->security.userns_keep && (!spec->process.user || !*spec->process.user)) {
        x->user.uid = (uid_t)spec->security.userns_keep_uid;
        x->user.gid = (gid_t)spec->security.userns_keep_gid;
    }
    x->env = command_env(&spec->process, &x->user);
    if (spec->process.cwd && *spec->process.cwd) {
        if (spec->process.cwd[0] != '/')
            return osbox_error(err, 0, "working directory '%s' is not absolute",
                               spec->process.cwd);
        if (osbox_mkdir_p(spec->process.cwd, 0755, err) < 0)
            return osbox_error_prefix(err, "working directory");
    }
    if (spec->root.readonly && rootfs_make_readonly(err) < 0)
        return -1;
    if (limits_apply(spec, err) < 0) /* before /proc/sys turns read-only */
        return -1;
    if (security_setup_mounts(spec, err) < 0) /* masks, read-only paths, nodev */
        return -1;
    /* In our cgroup before anything of the command runs; the cgroup
     * namespace is rooted there. */
    startup_trace_end(TRACE_SETUP);
    startup_trace_begin(TRACE_WAIT_GO);
    await_parent(ctx->sock, SYNC_GO);
    startup_trace_end(TRACE_WAIT_GO);
    /* v1/hybrid: into the cgroup osbox made and limited meanwhile, before
     * anything of the command runs (and before the cgroup namespace, which
     * is rooted where we are). */
    startup_trace_begin(TRACE_CGROUP_JOIN);
    if (cgroup_join_self(go_fds, n_go_fds, err) < 0)
        return -1;
    n_go_fds = 0;
    startup_trace_end(TRACE_CGROUP_JOIN);
    /* The parent kept us off its CPU during setup (create.c): all CPUs again. */
    if (ctx->cpus_saved && sched_setaffinity(0, sizeof ctx->cpus, &ctx->cpus) < 0)
        return osbox_error(err, errno, "restore the CPU affinity");
    if ((spec->namespaces & OSBOX_NS_CGROUP) && !ctx->cgroupns_in_clone &&
        unshare(CLONE_NEWCGROUP) < 0)
        return osbox_error(err, errno, "unshare the cgroup namespace");
    /* Last: everything above needed host root. */
    return security_userns_enter(err);
}

/* Nothing the caller had open beyond stdio may reach the container: close
 * every fd but our end of the socket. */
static void close_inherited_fds(int keep)
{
    if (keep > 3)
        close_range(3, (unsigned)keep - 1, 0);
    close_range((unsigned)keep + 1, ~0U, 0);
}

void child_main(struct child_ctx *ctx)
{
    struct exec_ctx x = { .process = &ctx->spec->process, .sock = ctx->sock, .pty_slave = -1,
                          .security = &ctx->spec->security,
                          .errors_to_stderr = ctx->opts->start_gate != NULL };
    struct osbox_err err;
    int gate = -1;

    startup_trace_end(TRACE_CLONE);
    startup_trace_begin(TRACE_SETUP);
    close_inherited_fds(ctx->sock);
    prctl(PR_SET_NAME, "osbox-init");
    /* Not dumpable: the container cannot ptrace our init nor open its
     * /proc/1/{exe,mem,root} (exe is the host's osbox binary). */
    prctl(PR_SET_DUMPABLE, 0);
    if (ctx->opts->kill_on_parent_death)
        prctl(PR_SET_PDEATHSIG, SIGKILL);
    osbox_err_clear(&err);
    if ((ctx->opts->start_gate && (gate = start_gate_open(ctx->opts->start_gate, &err)) < 0) ||
        setup(ctx, &x, &err) < 0 || (gate >= 0 && start_gate_wait(gate, ctx->opts->start_gate, ctx->sock, &err) < 0)) {
        err.exit_status = OSBOX_EXIT_FAILED;
        sync_send_error(ctx->sock, &err);
        _exit(OSBOX_EXIT_FAILED);
    }
    /* Our own session: ^C on the caller's terminal goes to osbox alone,
     * which forwards it; the container is not in the caller's process group. */
    setsid();
    init_main(&x);
}
