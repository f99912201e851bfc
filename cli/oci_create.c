/* osbox-oci create / start / run. `create` sets the container up and leaves
 * its init waiting at the start gate ($root/<id>/exec.fifo), then exits:
 * the init is nobody's child but the engine's subreaper (conmon) or init,
 * which is what engines expect. `start` opens the gate. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli/oci.h"
#include "util.h"

struct create_opts {
    const char *bundle, *pid_file, *console_socket;
    bool detach;
};

static char *now_rfc3339(void)
{
    struct timespec ts;
    struct tm tm;
    char buf[64];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    return osbox_strdup_printf("%s.%09ldZ", buf, ts.tv_nsec);
}

char *oci_state_string(const struct oci_state *s)
{
    json_t *o = oci_state_json(oci_g.root, s);
    char *str = json_dumps(o, JSON_COMPACT);

    json_decref(o);
    return str;
}

int oci_saved_config(const struct oci_state *s, struct oci_config *c, struct osbox_err *err)
{
    _cleanup_free_ char *path = osbox_strdup_printf("%s/%s/config.json", oci_g.root, s->id);
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    int rc;

    if (!doc) {
        memset(c, 0, sizeof *c);
        osbox_spec_init(&c->spec);
        return osbox_error(err, 0, "container %s: saved config: %s", s->id, je.text);
    }
    rc = oci_config_from_json(doc, s->bundle, c, err);
    json_decref(doc);
    return rc;
}

static int write_pid_file(const char *path, pid_t pid, struct osbox_err *err)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%d", (int)pid);

    return osbox_write_file_atomic(path, buf, (size_t)n, 0644, err);
}

/* Everything after the state dir exists; on failure the caller removes it. */
static int create_in(const char *id, const char *dir, struct create_opts *o, struct oci_state *st,
                     struct oci_config *cfg, struct osbox_container **out, struct osbox_err *err)
{
    char bundle[PATH_MAX];
    _cleanup_free_ char *fifo = osbox_strdup_printf("%s/exec.fifo", dir);
    _cleanup_free_ char *src = NULL, *saved = NULL, *hstate = NULL, *text = NULL;
    struct osbox_runtime_opts ro = { .kill_on_parent_death = !o->detach };
    struct osbox_container *c = NULL;
    size_t len;

    if (!realpath(o->bundle ? o->bundle : ".", bundle))
        return osbox_error(err, errno, "bundle %s", o->bundle ? o->bundle : ".");
    if (oci_config_load(bundle, cfg, err) < 0)
        return -1;
    if (cfg->spec.process.terminal && o->detach && !o->console_socket)
        return osbox_error(err, 0, "process.terminal is true: a detached container needs --console-socket");
    /* Keep the config: start, delete and exec read it after the bundle may have changed. */
    src = osbox_strdup_printf("%s/config.json", bundle);
    saved = osbox_strdup_printf("%s/config.json", dir);
    if (osbox_read_file(src, &text, &len, err) < 0 || osbox_write_file(saved, text, len, 0600, err) < 0)
        return -1;
    st->id = osbox_xstrdup(id);
    st->bundle = osbox_xstrdup(bundle);
    st->created = now_rfc3339();
    st->creating = true;
    st->annotations = json_incref(cfg->annotations);
    oci_runtime_id(dir, st->runtime_id);
    if (oci_state_write(dir, st, err) < 0)
        return -1;
    if (mkfifo(fifo, 0600) < 0)
        return osbox_error(err, errno, "mkfifo %s", fifo);
    ro.id = st->runtime_id;
    ro.start_gate = fifo;
    if (oci_apply_inherited(cfg, err) < 0)
        return -1;
    if (runtime_create(&cfg->spec, &ro, &c, err) < 0) {
        oci_restore_namespaces(NULL);
        return -1;
    }
    *out = c;
    if (oci_restore_namespaces(err) < 0)
        return -1;
    st->pid = runtime_container_pid(c);
    st->pid_start = oci_pid_start(st->pid);
    if (oci_state_write(dir, st, err) < 0 || oci_apply_sysctl(cfg, st->pid, err) < 0)
        return -1;
    hstate = oci_state_string(st);
    /* prestart and createRuntime in our namespaces, createContainer in the container's. */
    if (oci_hooks_run(cfg, OCI_HOOK_PRESTART, hstate, 0, err) < 0 ||
        oci_hooks_run(cfg, OCI_HOOK_CREATE_RUNTIME, hstate, 0, err) < 0 ||
        oci_hooks_run(cfg, OCI_HOOK_CREATE_CONTAINER, hstate, st->pid, err) < 0)
        return -1;
    if (o->console_socket && cfg->spec.process.terminal) {
        int master = oci_take_pty(c);
        int rc = oci_send_console(o->console_socket, master, err);
        close(master);
        if (rc < 0)
            return -1;
    }
    if (o->pid_file && write_pid_file(o->pid_file, st->pid, err) < 0)
        return -1;
    st->creating = false;
    return oci_state_write(dir, st, err);
}

/* Create id; *out is the container (the caller exits, or runs and waits). */
static int do_create(const char *id, struct create_opts *o, struct oci_state *st,
                     struct oci_config *cfg, struct osbox_container **out, struct osbox_err *err)
{
    _cleanup_free_ char *dir = NULL;

    memset(st, 0, sizeof *st);
    memset(cfg, 0, sizeof *cfg);
    osbox_spec_init(&cfg->spec);
    *out = NULL;
    if (oci_state_dir(oci_g.root, id, &dir, err) < 0 || osbox_mkdir_p(oci_g.root, 0700, err) < 0)
        return -1;
    if (mkdir(dir, 0700) < 0) {
        if (errno == EEXIST)
            return osbox_error(err, 0, "container %s already exists", id);
        return osbox_error(err, errno, "mkdir %s", dir);
    }
    osbox_spec_free(&cfg->spec);
    if (create_in(id, dir, o, st, cfg, out, err) < 0) {
        /* Nothing of a container that never ran stays behind. */
        if (*out)
            runtime_destroy(*out, NULL);
        *out = NULL;
        if (!st->id)
            st->id = osbox_xstrdup(id);
        oci_state_cleanup(oci_g.root, st, NULL);
        oci_cgroup_path_remove(cfg->spec.cgroup_parent);
        return -1;
    }
    return 0;
}

enum { O_BUNDLE = 'b', O_PID_FILE = 256, O_CONSOLE, O_NO_PIVOT, O_NO_KEYRING, O_PRESERVE, O_HELP,
       O_DETACH = 'd', O_KEEP };

static const struct option create_long[] = {
    { "bundle", required_argument, NULL, O_BUNDLE },
    { "pid-file", required_argument, NULL, O_PID_FILE },
    { "console-socket", required_argument, NULL, O_CONSOLE },
    { "no-pivot", no_argument, NULL, O_NO_PIVOT },
    { "no-new-keyring", no_argument, NULL, O_NO_KEYRING },
    { "preserve-fds", required_argument, NULL, O_PRESERVE },
    { "detach", no_argument, NULL, O_DETACH },
    { "keep", no_argument, NULL, O_KEEP },
    { "help", no_argument, NULL, O_HELP },
    { NULL, 0, NULL, 0 },
};

static int parse_create(int argc, char **argv, bool run, struct create_opts *o, const char **id,
                        int *status)
{
    int c;
    long long n;
    struct osbox_err err;

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, run ? "+b:d" : "+b:", create_long, NULL)) != -1) {
        switch (c) {
        case O_BUNDLE: o->bundle = optarg; break;
        case O_PID_FILE: o->pid_file = optarg; break;
        case O_CONSOLE: o->console_socket = optarg; break;
        case O_NO_PIVOT: case O_NO_KEYRING: case O_KEEP: break;
        case O_PRESERVE:
            /* Extra fds pass through: the runtime keeps only stdio, so refuse rather than lose them. */
            if (osbox_parse_int(optarg, 0, 1024, &n, &err) < 0) {
                *status = cli_failf(OSBOX_EXIT_USAGE, "--preserve-fds: %s", err.msg);
                return -1;
            }
            if (n > 0) {
                *status = oci_failf("--preserve-fds %lld: passing extra fds is not supported", n);
                return -1;
            }
            break;
        case O_DETACH: o->detach = true; break;
        case O_HELP:
            printf("Usage: %s %s [--bundle DIR] [--pid-file FILE] [--console-socket PATH]\n"
                   "       [--no-pivot] [--no-new-keyring] [--preserve-fds N]%s ID\n",
                   cli_program_name, run ? "run" : "create", run ? " [-d]" : "");
            *status = 0;
            return -1;
        default:
            *status = cli_failf(OSBOX_EXIT_USAGE, "%s: unknown option '%s'", argv[0], argv[optind - 1]);
            return -1;
        }
    }
    if (optind != argc - 1) {
        *status = cli_failf(OSBOX_EXIT_USAGE, "%s: exactly one container ID is required", argv[0]);
        return -1;
    }
    *id = argv[optind];
    return 0;
}

int oci_create_main(int argc, char **argv)
{
    struct create_opts o = { .detach = true };
    struct oci_state st;
    struct oci_config cfg;
    struct osbox_container *c;
    struct osbox_err err;
    const char *id;
    int status, rc;

    if (parse_create(argc, argv, false, &o, &id, &status) < 0)
        return status;
    osbox_err_clear(&err);
    rc = do_create(id, &o, &st, &cfg, &c, &err);
    oci_state_free(&st);
    oci_config_free(&cfg);
    /* c stays: leaving without runtime_destroy is what keeps the container. */
    return rc < 0 ? oci_fail(&err) : 0;
}

/* Open the gate: a reader lets the init's open for writing through; its
 * byte says it passed. Bounded: 10 s, and only while the init lives. */
int oci_do_start(const struct oci_state *s, struct osbox_err *err)
{
    _cleanup_free_ char *fifo = osbox_strdup_printf("%s/%s/exec.fifo", oci_g.root, s->id);
    _cleanup_close_ int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    char b;

    if (fd < 0)
        return osbox_error(err, errno, "open the start gate of %s", s->id);
    for (int i = 0; i < 100; i++) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 100) > 0 && read(fd, &b, 1) == 1) {
            unlink(fifo);
            return 0;
        }
        if (!oci_pid_alive(s->pid, s->pid_start))
            break;
    }
    return osbox_error(err, 0, "container %s did not start: its init %s", s->id,
                       oci_pid_alive(s->pid, s->pid_start) ? "did not pass the start gate" : "has exited");
}

static int start_created(const struct oci_state *s, struct oci_config *cfg, struct osbox_err *err)
{
    _cleanup_free_ char *hstate = oci_state_string(s);

    if (oci_hooks_run(cfg, OCI_HOOK_START_CONTAINER, hstate, s->pid, err) < 0) {
        kill(s->pid, SIGKILL); /* the container must not run half-prepared */
        return -1;
    }
    if (oci_do_start(s, err) < 0)
        return -1;
    free(hstate);
    hstate = oci_state_string(s);
    /* poststart failures are warnings: the container already runs. */
    for (size_t i = 0; i < cfg->n_hooks[OCI_HOOK_POSTSTART]; i++) {
        struct oci_config one = { .hooks[OCI_HOOK_POSTSTART] = &cfg->hooks[OCI_HOOK_POSTSTART][i],
                                  .n_hooks[OCI_HOOK_POSTSTART] = 1 };
        struct osbox_err e2;
        if (oci_hooks_run(&one, OCI_HOOK_POSTSTART, hstate, 0, &e2) < 0)
            oci_warn("%s", e2.msg);
    }
    return 0;
}

int oci_start_main(int argc, char **argv)
{
    struct oci_state st;
    struct oci_config cfg;
    struct osbox_err err;
    const char *status;
    int rc = -1;

    if (cli_wants_help(argc, argv)) {
        printf("Usage: %s start ID\n", cli_program_name);
        return 0;
    }
    if (argc != 2)
        return cli_failf(OSBOX_EXIT_USAGE, "start: exactly one container ID is required");
    osbox_err_clear(&err);
    if (oci_state_read(oci_g.root, argv[1], &st, &err) < 0)
        return oci_fail(&err);
    status = oci_state_status(oci_g.root, &st);
    if (strcmp(status, "created")) {
        osbox_error(&err, 0, "cannot start container %s: it is %s, not created", st.id, status);
    } else if (oci_saved_config(&st, &cfg, &err) == 0) {
        rc = start_created(&st, &cfg, &err);
        oci_config_free(&cfg);
    } else {
        oci_config_free(&cfg);
    }
    oci_state_free(&st);
    return rc < 0 ? oci_fail(&err) : 0;
}

int oci_do_delete(const struct oci_state *s, struct osbox_err *err)
{
    struct oci_config cfg;
    struct osbox_err e2;
    bool have_cfg = oci_saved_config(s, &cfg, &e2) == 0;
    int rc = oci_state_cleanup(oci_g.root, s, err);

    if (have_cfg) {
        oci_cgroup_path_remove(cfg.spec.cgroup_parent);
        struct oci_state stopped = *s;
        stopped.pid = 0;
        _cleanup_free_ char *hstate = oci_state_string(&stopped);
        for (size_t i = 0; i < cfg.n_hooks[OCI_HOOK_POSTSTOP]; i++) {
            struct oci_config one = { .hooks[OCI_HOOK_POSTSTOP] = &cfg.hooks[OCI_HOOK_POSTSTOP][i],
                                      .n_hooks[OCI_HOOK_POSTSTOP] = 1 };
            if (oci_hooks_run(&one, OCI_HOOK_POSTSTOP, hstate, 0, &e2) < 0)
                oci_warn("%s", e2.msg);
        }
    }
    oci_config_free(&cfg);
    return rc;
}

/* run: create + start; in the foreground wait, relay the pty, forward
 * signals and exit with the container's status, then delete it. */
int oci_run_main(int argc, char **argv)
{
    struct create_opts o = { 0 };
    struct oci_state st;
    struct oci_config cfg;
    struct osbox_container *c;
    struct osbox_err err;
    const char *id;
    int status = 0;

    if (parse_create(argc, argv, true, &o, &id, &status) < 0)
        return status;
    osbox_err_clear(&err);
    if (!o.detach) {
        runtime_block_signals();
        signal(SIGPIPE, SIG_IGN);
    }
    if (do_create(id, &o, &st, &cfg, &c, &err) < 0) {
        oci_state_free(&st);
        oci_config_free(&cfg);
        return oci_fail(&err);
    }
    if (start_created(&st, &cfg, &err) < 0) {
        runtime_destroy(c, NULL);
        oci_do_delete(&st, NULL);
        status = oci_fail(&err);
    } else if (!o.detach) {
        status = runtime_wait(c, &err);
        runtime_destroy(c, NULL);
        oci_do_delete(&st, NULL);
        if (status < 0)
            status = oci_fail(&err);
    }
    oci_state_free(&st);
    oci_config_free(&cfg);
    return status;
}
