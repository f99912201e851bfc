/* osbox run [OPTIONS] IMAGE [CMD...]: an image (or --rootfs DIR) and flags
 * -> struct osbox_spec -> runtime_create/wait/destroy. Exit codes as Docker's. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli/rootless.h"
#include "cli/run_lifecycle.h"
#include "cli/run_security.h"
#include "images/images.h"
#include "runtime/runtime.h"
#include "util.h"

struct run_opts {
    bool rm, tty, interactive, read_only, host_network;
    const char *name, *workdir, *user, *hostname, *rootfs, *cgroup_parent;
    char **env;  /* -e / --env-file, in order */
    struct run_security sec;
    struct run_lifecycle life; /* -d, --restart, --sdnotify, --log-opt */
    struct osbox_resources res;
    struct osbox_net_spec net;
};

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: osbox run [OPTIONS] IMAGE [CMD [ARG...]]\n"
            "       osbox run [OPTIONS] --rootfs DIR CMD [ARG...]\n"
            "\n"
            "Run a command in a new container (namespaces, cgroup, overlayfs).\n"
            "\n"
            "Options:\n"
            "      --rm                  remove the container when it exits\n"
            "      --name NAME           name the container (unique)\n"
            "  -e, --env K=V|K           set an environment variable (K alone: the host's value)\n"
            "      --env-file FILE       read K=V lines from FILE\n"
            "  -w, --workdir DIR         working directory inside the container\n"
            "  -u, --user USER[:GROUP]   run as this user (name or uid, from the image's /etc)\n"
            "  -h, --hostname NAME       container hostname\n"
            "      --read-only           mount the root filesystem read-only\n"
            "  -t, --tty                 allocate a pseudo-terminal\n"
            "  -i, --interactive         keep stdin open (default: /dev/null)\n"
            "  -m, --memory SIZE         memory limit (e.g. 32m)\n"
            "      --memory-swap SIZE    memory+swap limit (-1 unlimited; with -m alone: twice -m)\n"
            "      --cpus N              CPU quota in CPUs (e.g. 0.5)\n"
            "  -c, --cpu-shares N        relative CPU weight, v1 scale (2..262144)\n"
            "      --cpu-weight N        relative CPU weight, v2 scale (1..10000)\n"
            "      --pids-limit N        maximum number of processes (-1 unlimited)\n"
            "      --cgroup-parent PATH  create the container's cgroup under PATH\n"
            "      --network MODE        bridge (default as root; none rootless; $OSBOX_NETWORK\n"
            "                            changes it), none, host,\n"
            "                            container:NAME (share a running container's network)\n"
            "  -p, --publish [HOSTIP:]HOSTPORT:PORT[/tcp|/udp]  publish a port on the host\n"
            "      --ip ADDR             the container's address on the bridge\n"
            "      --mac-address MAC     the container's MAC address\n"
            "      --dns IP              name server for /etc/resolv.conf\n"
            "      --add-host NAME:IP    add a line to /etc/hosts\n"
            RUN_SECURITY_USAGE
            RUN_LIFECYCLE_USAGE
            "      --rootfs DIR          run a plain directory instead of an image\n"
            "      --help                show this help\n"
            "\n"
            "Exit status: the command's; 125 osbox failed; 126 not executable;\n"
            "127 not found; 128+N killed by signal N.\n");
}

enum {
    OPT_RM = 256, OPT_NAME, OPT_ENV_FILE, OPT_READ_ONLY, OPT_MEMORY_SWAP, OPT_CPUS,
    OPT_CPU_WEIGHT, OPT_PIDS_LIMIT, OPT_CGROUP_PARENT, OPT_NETWORK, OPT_ROOTFS, OPT_HELP,
    OPT_IP, OPT_MAC, OPT_DNS, OPT_ADD_HOST,
};

static const struct option long_opts[] = {
    { "rm", no_argument, NULL, OPT_RM },
    { "name", required_argument, NULL, OPT_NAME },
    { "env", required_argument, NULL, 'e' },
    { "env-file", required_argument, NULL, OPT_ENV_FILE },
    { "workdir", required_argument, NULL, 'w' },
    { "user", required_argument, NULL, 'u' },
    { "hostname", required_argument, NULL, 'h' },
    { "read-only", no_argument, NULL, OPT_READ_ONLY },
    { "tty", no_argument, NULL, 't' },
    { "interactive", no_argument, NULL, 'i' },
    { "memory", required_argument, NULL, 'm' },
    { "memory-swap", required_argument, NULL, OPT_MEMORY_SWAP },
    { "cpus", required_argument, NULL, OPT_CPUS },
    { "cpu-shares", required_argument, NULL, 'c' },
    { "cpu-weight", required_argument, NULL, OPT_CPU_WEIGHT },
    { "pids-limit", required_argument, NULL, OPT_PIDS_LIMIT },
    { "cgroup-parent", required_argument, NULL, OPT_CGROUP_PARENT },
    { "network", required_argument, NULL, OPT_NETWORK },
    { "net", required_argument, NULL, OPT_NETWORK },
    { "publish", required_argument, NULL, 'p' },
    { "ip", required_argument, NULL, OPT_IP },
    { "mac-address", required_argument, NULL, OPT_MAC },
    { "dns", required_argument, NULL, OPT_DNS },
    { "add-host", required_argument, NULL, OPT_ADD_HOST },
    RUN_SECURITY_LONG_OPTS
    RUN_LIFECYCLE_LONG_OPTS
    { "rootfs", required_argument, NULL, OPT_ROOTFS },
    { "help", no_argument, NULL, OPT_HELP },
    { NULL, 0, NULL, 0 },
};

/* -e K=V, or -e K: the host's value when it has one (skipped otherwise, as Docker). */
static int add_env(struct run_opts *o, const char *kv, struct osbox_err *err)
{
    if (!*kv || *kv == '=')
        return osbox_error(err, 0, "invalid environment variable '%s': the name is empty", kv);
    if (!strchr(kv, '=')) {
        const char *v = getenv(kv);
        if (!v)
            return 0;
        char *s = osbox_strdup_printf("%s=%s", kv, v);
        osbox_strv_push(&o->env, s);
        free(s);
        return 0;
    }
    osbox_strv_push(&o->env, kv);
    return 0;
}

static int read_env_file(struct run_opts *o, const char *path, struct osbox_err *err)
{
    _cleanup_free_ char *buf = NULL;
    char *save = NULL, *line;

    if (osbox_read_file(path, &buf, NULL, err) < 0)
        return osbox_error_prefix(err, "--env-file");
    for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        size_t n = strlen(line);
        while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
            line[--n] = '\0';
        while (*line == ' ' || *line == '\t')
            line++;
        if (!*line || *line == '#')
            continue;
        if (add_env(o, line, err) < 0)
            return osbox_error_prefix(err, "--env-file %s", path);
    }
    return 0;
}

/* Returns the index of the first operand, or -1 with an exit status in *status. */
static int parse(int argc, char **argv, struct run_opts *o, int *status)
{
    struct osbox_err err;
    int c, rc = 0;

    osbox_resources_init(&o->res);
    osbox_net_spec_init(&o->net);
    osbox_err_clear(&err);
    run_security_init(&o->sec);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+e:w:u:h:tim:c:p:d", long_opts, NULL)) != -1) {
        switch (c) {
        case OPT_RM: o->rm = true; break;
        case OPT_NAME: o->name = optarg; break;
        case 'e': rc = add_env(o, optarg, &err); break;
        case OPT_ENV_FILE: rc = read_env_file(o, optarg, &err); break;
        case 'w': o->workdir = optarg; break;
        case 'u': o->user = optarg; break;
        case 'h': o->hostname = optarg; break;
        case OPT_READ_ONLY: o->read_only = true; break;
        case 't': o->tty = true; break;
        case 'i': o->interactive = true; break;
        case 'm': rc = resources_set_memory(&o->res, optarg, &err); break;
        case OPT_MEMORY_SWAP: rc = resources_set_memory_swap(&o->res, optarg, &err); break;
        case OPT_CPUS: rc = resources_set_cpus(&o->res, optarg, &err); break;
        case 'c': rc = resources_set_cpu_shares(&o->res, optarg, &err); break;
        case OPT_CPU_WEIGHT: rc = resources_set_cpu_weight(&o->res, optarg, &err); break;
        case OPT_PIDS_LIMIT: rc = resources_set_pids_limit(&o->res, optarg, &err); break;
        case OPT_CGROUP_PARENT: o->cgroup_parent = optarg; break;
        case OPT_NETWORK: rc = osbox_net_set_mode(&o->net, optarg, &err); break;
        case 'p': rc = osbox_net_add_publish(&o->net, optarg, &err); break;
        case OPT_IP: rc = osbox_net_set_ip(&o->net, optarg, &err); break;
        case OPT_MAC: rc = osbox_net_set_mac(&o->net, optarg, &err); break;
        case OPT_DNS: rc = osbox_net_add_dns(&o->net, optarg, &err); break;
        case OPT_ADD_HOST: rc = osbox_net_add_host(&o->net, optarg, &err); break;
        case OPT_SEC_PRIVILEGED: case OPT_SEC_CAP_ADD: case OPT_SEC_CAP_DROP: case OPT_SEC_OPT:
        case OPT_SEC_USERNS:
            rc = run_security_opt(&o->sec, c, optarg, &err);
            break;
        case 'd': case OPT_LC_RESTART: case OPT_LC_SDNOTIFY: case OPT_LC_LOG_OPT:
            rc = run_lifecycle_opt(&o->life, c, optarg, &err);
            break;
        case OPT_ROOTFS: o->rootfs = optarg; break;
        case OPT_HELP: usage(stdout); *status = 0; return -1;
        case ':':
            *status = cli_failf(OSBOX_EXIT_USAGE, "run: option '%s' needs a value", argv[optind - 1]);
            return -1;
        default:
            *status = cli_failf(OSBOX_EXIT_USAGE, "run: unknown option '%s' (see 'osbox run --help')",
                                argv[optind - 1]);
            return -1;
        }
        if (rc < 0) {
            *status = cli_fail(&err);
            return -1;
        }
    }
    o->host_network = o->net.mode == OSBOX_NET_HOST;
    if (run_security_validate(&o->sec, &err) < 0 || resources_validate(&o->res, &err) < 0 || osbox_net_validate(&o->net, &err) < 0) {
        *status = cli_fail(&err);
        return -1;
    }
    resources_default_swap(&o->res); /* Docker: -m alone allows as much swap again */
    if (!o->rootfs && optind >= argc) {
        *status = cli_failf(OSBOX_EXIT_USAGE, "run: an IMAGE is required (see 'osbox run --help')");
        return -1;
    }
    return optind;
}

/* Image (or --rootfs) + flags -> spec. The image's Entrypoint+Cmd, Env, WorkingDir
 * and User apply unless the flags say otherwise. */
static int build_spec(struct run_opts *o, struct osbox_image *img, char **cmd,
                      struct osbox_spec *spec, struct osbox_err *err)
{
    osbox_spec_init(spec);
    if (img) {
        spec->root.layers = osbox_strv_dup(img->layers);
        for (size_t i = 0; img->entrypoint && img->entrypoint[i]; i++)
            osbox_strv_push(&spec->process.args, img->entrypoint[i]);
        for (size_t i = 0; img->env && img->env[i]; i++)
            osbox_env_set(&spec->process.env, img->env[i]);
    } else {
        char real[PATH_MAX];
        struct stat st;
        if (!realpath(o->rootfs, real) || stat(real, &st) < 0)
            return osbox_error(err, errno, "--rootfs %s", o->rootfs);
        if (!S_ISDIR(st.st_mode))
            return osbox_error(err, ENOTDIR, "--rootfs %s", o->rootfs);
        osbox_strv_push(&spec->root.layers, real);
    }
    if (cmd && cmd[0]) {
        for (size_t i = 0; cmd[i]; i++)
            osbox_strv_push(&spec->process.args, cmd[i]);
    } else if (img) {
        for (size_t i = 0; img->cmd && img->cmd[i]; i++)
            osbox_strv_push(&spec->process.args, img->cmd[i]);
    }
    if (!spec->process.args || !spec->process.args[0])
        return osbox_error(err, 0, "no command specified (the image has no Cmd or Entrypoint)");
    if (!osbox_env_get(spec->process.env, "PATH"))
        osbox_env_set(&spec->process.env,
                      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    for (size_t i = 0; o->env && o->env[i]; i++)
        osbox_env_set(&spec->process.env, o->env[i]);
    spec->process.cwd = osbox_xstrdup(o->workdir ? o->workdir
                                      : img && img->workdir && *img->workdir ? img->workdir : "/");
    if (spec->process.cwd[0] != '/')
        return osbox_error(err, 0, "working directory '%s' is not an absolute path",
                           spec->process.cwd);
    if (o->user && *o->user)
        spec->process.user = osbox_xstrdup(o->user);
    else if (img && img->user && *img->user)
        spec->process.user = osbox_xstrdup(img->user);
    spec->process.terminal = o->tty;
    spec->process.stdin_open = o->interactive;
    spec->root.readonly = o->read_only;
    if (o->net.mode == OSBOX_NET_HOST || o->net.mode == OSBOX_NET_CONTAINER)
        spec->namespaces &= ~(unsigned)OSBOX_NS_NET;
    spec->net = o->net; /* moved */
    memset(&o->net, 0, sizeof o->net);
    spec->resources = o->res;
    spec->cgroup_parent = osbox_xstrdup(o->cgroup_parent);
    if (run_security_apply(&o->sec, &spec->security, err) < 0)
        return -1;
    osbox_spec_add_default_mounts(spec);
    return 0;
}

/* Hostname, $HOSTNAME and (with_etc) the /etc files, for the container rec. */
static int prepare_spec(struct run_opts *o, struct osbox_spec *spec, const struct osbox_record *rec,
                        bool with_etc, struct osbox_err *err)
{
    _cleanup_free_ char *dir = runtime_container_dir(rec->id);

    spec->net.name = osbox_xstrdup(rec->name);
    if (!spec->hostname)
        spec->hostname = osbox_xstrdup(o->hostname ? o->hostname : "");
    if (!*spec->hostname) {
        char host[256];
        free(spec->hostname);
        /* As Docker: --network host keeps the host's name, else the short id. */
        if (o->host_network && gethostname(host, sizeof host) == 0 && host[0])
            spec->hostname = osbox_strdup_printf("%.*s", (int)sizeof host, host);
        else
            spec->hostname = osbox_strdup_printf("%.12s", rec->id);
    }
    if (!osbox_env_get(spec->process.env, "HOSTNAME")) {
        _cleanup_free_ char *kv = osbox_strdup_printf("HOSTNAME=%s", spec->hostname);
        osbox_env_set(&spec->process.env, kv);
    }
    return with_etc ? runtime_prepare_etc(spec, dir, o->host_network, err) : 0;
}

static int run_container(struct run_opts *o, struct osbox_spec *spec, struct osbox_record *rec,
                         struct osbox_err *err)
{
    struct osbox_runtime_opts ro = { .kill_on_parent_death = true };
    struct osbox_container *c = NULL;
    int status;

    if (state_create_container(rec, err) < 0)
        return -1;
    ro.id = rec->id;
    ro.ephemeral = o->rm;
    if (prepare_spec(o, spec, rec, true, err) < 0 ||
        run_lifecycle_prepare(&o->life, spec, rec, err) < 0)
        goto fail;
    if (o->life.detach) {
        if (run_lifecycle_detach(&o->life, spec, rec, err) < 0)
            goto fail;
        return 0;
    }
    if (runtime_create(spec, &ro, &c, err) < 0)
        goto fail;
    run_lifecycle_started(&o->life);
    free(rec->status);
    rec->status = osbox_xstrdup("running");
    state_write_record(rec, err);
    status = runtime_wait(c, err);
    if (status < 0) {
        runtime_destroy(c, NULL);
        goto fail;
    }
    /* A cleanup failure is reported, but the command's status stands. */
    if (runtime_destroy(c, err) < 0)
        cli_fail(err);
    free(rec->status);
    rec->status = osbox_xstrdup("exited");
    rec->exit_code = status;
    if (o->rm)
        state_remove_container(rec->id, NULL);
    else
        state_write_record(rec, NULL);
    return status;
fail:
    /* Nothing of a container that never ran stays behind. */
    state_remove_container(rec->id, NULL);
    return -1;
}

static int run_main(int argc, char **argv)
{
    struct run_opts o = { 0 };
    struct osbox_err err;
    struct osbox_image *img = NULL;
    struct osbox_spec spec;
    struct osbox_record rec = { 0 };
    int first, status = 0;

    osbox_err_clear(&err);
    /* From here on a SIGINT/SIGTERM is kept for the container (forwarded by
     * runtime_wait) instead of killing osbox halfway through; a closed
     * output pipe must not kill osbox while the pty is relayed either. */
    runtime_block_signals();
    signal(SIGPIPE, SIG_IGN);
    /* Started with stdio closed (cron, daemons): keep 0-2 taken so no
     * socket or pty of ours lands there and becomes the command's stdio. */
    for (int fd = 0; fd < 3; fd++)
        if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) < 0)
            break;
    o.life.argv = argv; /* saved with the container for start/exec */
    first = parse(argc, argv, &o, &status);
    if (first < 0) {
        osbox_strv_free(o.env);
        osbox_net_spec_free(&o.net);
        return status;
    }
    /* The container's network namespace is made meanwhile, on a thread. */
    if ((o.net.mode == OSBOX_NET_NONE || o.net.mode == OSBOX_NET_BRIDGE) && !o.life.detach &&
        !rootless_active())
        runtime_prefetch_netns();
    if (!o.rootfs && images_resolve(argv[first], &img, &err) < 0) {
        osbox_strv_free(o.env);
        osbox_net_spec_free(&o.net);
        return cli_fail(&err);
    }
    if (build_spec(&o, img, argv + first + (o.rootfs ? 0 : 1), &spec, &err) < 0) {
        status = -1;
        goto out;
    }
    rec.name = osbox_xstrdup(o.name);
    rec.image = o.rootfs ? osbox_strdup_printf("rootfs:%s", spec.root.layers[0])
                         : osbox_xstrdup(img->ref ? img->ref : argv[first]);
    rec.image_digest = img ? osbox_xstrdup(img->digest) : NULL;
    rec.command = osbox_strv_dup(spec.process.args);
    rec.auto_remove = o.rm;
    status = run_container(&o, &spec, &rec, &err);
out:
    osbox_spec_free(&spec);
    run_security_free(&o.sec);
    osbox_record_free(&rec);
    if (img)
        images_image_free(img);
    osbox_strv_free(o.env);
    osbox_net_spec_free(&o.net);
    if (status < 0)
        return cli_fail(&err);
    return status;
}

int run_rebuild(char **argv, const struct osbox_record *rec, bool with_etc,
                struct osbox_spec *spec, struct run_lifecycle *l, struct osbox_err *err)
{
    struct run_opts o = { 0 };
    struct osbox_image *img = NULL;
    int argc = (int)osbox_strv_len(argv), first, status = 0, rc = -1;

    first = argc > 0 ? parse(argc, argv, &o, &status) : -1;
    if (first < 0) {
        osbox_spec_init(spec);
        osbox_error(err, 0, "container %.12s: its saved run arguments do not parse", rec->id);
        goto out;
    }
    if (!o.rootfs && images_resolve(argv[first], &img, err) < 0) {
        osbox_spec_init(spec);
        goto out;
    }
    if (build_spec(&o, img, argv + first + (o.rootfs ? 0 : 1), spec, err) < 0 ||
        prepare_spec(&o, spec, rec, with_etc, err) < 0)
        goto out;
    *l = o.life;
    rc = 0;
out:
    run_security_free(&o.sec);
    if (img)
        images_image_free(img);
    osbox_strv_free(o.env);
    osbox_net_spec_free(&o.net);
    return rc;
}

OSBOX_COMMAND(run_command, .name = "run", .summary = "Run a command in a new container",
              .main = run_main)
