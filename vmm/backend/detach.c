/* `osbox vm run -d` / `vm boot -d`: the VM kept by a process of its own,
 * no daemon (as a detached container's monitor, runtime/lifecycle/):
 *
 *   osbox ─fork─> child ─setsid, fork─> keeper ─fork─> logger (ctr.log)
 *     │                  (exits)           └─fork+exec─> osbox-vmm
 *     └── waits on a pipe for "the monitor runs" or the error, returns
 *
 * The keeper is the VM's osbox: it holds the lease, the TAP's fd and the
 * private disk copy, forwards SIGUSR2 (the power button: `vm stop`) to the
 * monitor, records the exit status and releases everything, removing the
 * state with --rm. The monitor dies with it (PR_SET_PDEATHSIG), so a kill
 * -9 of the keeper leaves only its state and lease, which `osbox gc`
 * reclaims (control.c, net_gc). The console (the monitor's stdout) and the
 * monitor's log lines (its stderr) go through two pipes to the containers'
 * logger, as the stdout and stderr streams of a capped ctr.log. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "internal.h"
#include "runtime/core/runtime.h"
#include "runtime/lifecycle/lifecycle.h"
#include "util.h"

/* keeper -> osbox, once: the monitor runs (rc 0) or why not. */
struct ready_msg {
    int rc;
    struct osbox_err err;
};

static json_t *strv_json(char *const *v)
{
    json_t *a = json_array();

    for (size_t i = 0; v && v[i]; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static json_t *now_json(void)
{
    char now[OSBOX_RFC3339_LEN + 1];

    osbox_rfc3339_now(now);
    return json_string(now);
}

static json_t *new_record(const struct vm_spec *spec, const struct vm_detach_opts *o,
                          const char *id, const char *name)
{
    return json_pack("{s:s, s:s, s:s?, s:o, s:o, s:s, s:i, s:b, s:I, s:I, s:i, s:s, s:I, s:I, "
                     "s:I}",
                     "id", id, "name", name, "image", o->image, "command", strv_json(o->command),
                     "created", now_json(), "status", "created", "exit_code", -1, "auto_remove",
                     o->auto_remove, "log_max", (json_int_t)o->log_max, "mem_bytes",
                     (json_int_t)spec->mem_size, "cpus", spec->ncpus, "network",
                     spec->net.mode == OSBOX_NET_BRIDGE ? "bridge" : "none",
                     /* Until the keeper replaces it: the osbox that is starting it. */
                     "keeper_pid", (json_int_t)getpid(), "keeper_start",
                     (json_int_t)proc_start_time(getpid()),
                     "monitor_pid", (json_int_t)0);
}

static void report(int fd, int rc, const struct osbox_err *err)
{
    struct ready_msg m = { .rc = rc };

    if (err)
        m.err = *err;
    if (fd >= 0 && osbox_write_all(fd, &m, sizeof m) < 0) {
        /* osbox is gone: nobody to tell */
    }
}

/* Console and monitor lines into the log; the keeper's own stdio becomes
 * the pipes' write ends, which the monitor inherits as its 1 and 2. */
static pid_t start_logger(const char *dir, uint64_t max)
{
    int out[2], errp[2], nul;
    pid_t pid;

    if (pipe2(out, O_CLOEXEC) < 0)
        return -1;
    if (pipe2(errp, O_CLOEXEC) < 0) {
        close(out[0]), close(out[1]);
        return -1;
    }
    pid = fork();
    if (pid == 0) {
        close(out[1]);
        close(errp[1]);
        logs_logger_main_at(out[0], errp[0], dir, max);
    }
    close(out[0]);
    close(errp[0]);
    nul = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (pid > 0) {
        dup2(nul, STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        dup2(errp[1], STDERR_FILENO);
    }
    close(out[1]);
    close(errp[1]);
    if (nul >= 0)
        close(nul);
    return pid;
}

static __attribute__((noreturn)) void keeper_main(struct vm_spec *spec,
                                                  const struct vm_detach_opts *o,
                                                  const char *name, int ready)
{
    _cleanup_free_ char *dir = vm_state_dir(name);
    struct osbox_err err = { 0 }, ignored;
    struct vmm_result res = { 0 };
    struct vm_backend *vb;
    pid_t logger, mon;
    int rc;

    /* Not the terminal's: ^C and hang-ups of the shell that ran osbox stay there. */
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    logger = start_logger(dir, o->log_max);
    if (logger < 0) {
        osbox_error(&err, errno, "start the VM's logger");
        goto fail;
    }
    spec->console_in = -1;
    if (vm_backend_create(spec, &vb, &err) < 0)
        goto fail;
    mon = vm_backend_monitor_pid(vb);
    vm_state_update(name,
                    json_pack("{s:s, s:o, s:I, s:I, s:I, s:I}", "status", "running", "started_at",
                              now_json(), "keeper_pid", (json_int_t)getpid(), "keeper_start",
                              (json_int_t)proc_start_time(getpid()), "monitor_pid", (json_int_t)mon,
                              "monitor_start", (json_int_t)proc_start_time(mon)),
                    &ignored);
    report(ready, 0, NULL);
    close(ready);

    rc = vm_backend_wait(vb, &res, &err);
    if (rc < 0) {
        fprintf(stderr, "osbox: vm: %s\n", err.msg);
        rc = res.exit_status > 0 ? res.exit_status : OSBOX_EXIT_FAILED; /* 128+N: killed */
    } else if (res.reason == VMM_STOP_TRIPLE_FAULT || res.reason == VMM_STOP_INTERNAL ||
               res.reason == VMM_STOP_SIGNAL) {
        fprintf(stderr, "osbox: vm: %s\n", res.detail[0] ? res.detail : "stopped");
    }
    vm_backend_destroy(vb); /* TAP, lease, ports; the disk copy goes with our exit */
    json_t *fields = json_pack("{s:s, s:i, s:o, s:I}", "status", "exited", "exit_code", rc,
                               "finished_at", now_json(), "monitor_pid", (json_int_t)0);
    if (err.msg[0])
        json_object_set_new(fields, "error", json_string(err.msg));
    vm_state_update(name, fields, &ignored);
    /* The logger drains the pipes to EOF: once it is gone, the log is whole. */
    close(STDOUT_FILENO);
    close(STDERR_FILENO);
    while (waitpid(logger, NULL, 0) < 0 && errno == EINTR)
        ;
    if (o->auto_remove)
        osbox_rm_rf(dir, &ignored);
    _exit(0);
fail:
    if (logger > 0) {
        close(STDOUT_FILENO);
        close(STDERR_FILENO);
        while (waitpid(logger, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    osbox_rm_rf(dir, &ignored); /* never ran: nothing to keep */
    report(ready, -1, &err);
    _exit(OSBOX_EXIT_FAILED);
}

int vm_detach_start(struct vm_spec *spec, const struct vm_detach_opts *opts, char id[65],
                    struct osbox_err *err)
{
    struct vm_detach_opts o = *opts;
    char name[VM_NAME_MAX + 1];
    struct ready_msg m = { 0 };
    struct osbox_err ignored;
    size_t got = 0;
    int p[2], status;
    json_t *rec;
    pid_t child;

    if (vm_spec_validate(spec, err) < 0 || osbox_random_id(id, err) < 0)
        return -1;
    if (!o.log_max)
        o.log_max = LOG_MAX_DEFAULT;
    snprintf(name, sizeof name, "%s", o.name ? o.name : id);
    if (!o.name)
        name[12] = '\0';
    else if (strlen(o.name) > VM_NAME_MAX)
        return osbox_error(err, EINVAL, "invalid VM name '%.40s...': at most %d characters",
                           o.name, VM_NAME_MAX);
    if (vm_state_create(name, err) < 0)
        return -1;
    _cleanup_free_ char *dir = vm_state_dir(name);
    rec = new_record(spec, &o, id, name);
    if (!rec || vm_state_write(name, rec, err) < 0) {
        json_decref(rec);
        if (!rec)
            osbox_error(err, ENOMEM, "VM record");
        osbox_rm_rf(dir, &ignored);
        return -1;
    }
    json_decref(rec);
    if (pipe2(p, O_CLOEXEC) < 0) {
        osbox_error(err, errno, "pipe");
        osbox_rm_rf(dir, &ignored);
        return -1;
    }
    fflush(NULL);
    child = fork();
    if (child == 0) {
        close(p[0]);
        if (setsid() < 0 || fork() != 0)
            _exit(0); /* the keeper is re-parented: nobody need wait for it */
        keeper_main(spec, &o, name, p[1]);
    }
    close(p[1]);
    if (child < 0) {
        close(p[0]);
        osbox_rm_rf(dir, &ignored);
        return osbox_error(err, errno, "fork the VM's keeper");
    }
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    for (ssize_t n; got < sizeof m; got += (size_t)n) {
        n = read(p[0], (char *)&m + got, sizeof m - got);
        if (n < 0 && errno == EINTR) {
            n = 0;
            continue;
        }
        if (n <= 0)
            break;
    }
    close(p[0]);
    if (got == sizeof m && m.rc == 0)
        return 0;
    if (got == sizeof m) {
        *err = m.err;
    } else {
        osbox_error(err, 0, "the VM's keeper exited before the VM started");
        osbox_rm_rf(dir, &ignored);
    }
    return -1;
}
