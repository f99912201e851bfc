/* osbox run [OPTIONS] IMAGE [CMD...]: argv onto a run request
 * (runtime/run/run.h), which builds the spec and runs it; the id of -d,
 * warnings and errors printed here. Exit codes as Docker's. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "runtime/run/run.h"
#include "runtime/userns/userns.h"
#include "util.h"

static const char run_usage[] =
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
    "      --cpuset-cpus LIST    CPUs the container may run on (e.g. 0-1,3)\n"
    "      --cpuset-mems LIST    memory nodes it may allocate from (e.g. 0)\n"
    "      --cgroup-parent PATH  create the container's cgroup under PATH\n"
    "      --network MODE        bridge (default as root; none rootless; $OSBOX_NETWORK\n"
    "                            changes it), none, host,\n"
    "                            container:NAME (share a running container's network)\n"
    "  -p, --publish [HOSTIP:]HOSTPORT:PORT[/tcp|/udp]  publish a port on the host\n"
    "      --ip ADDR             the container's address on the bridge\n"
    "      --mac-address MAC     the container's MAC address\n"
    "      --dns IP              name server for /etc/resolv.conf\n"
    "      --add-host NAME:IP    add a line to /etc/hosts\n"
    "  -v, --volume HOST:CTR[:OPTS]  bind an absolute host path (OPTS: ro, rw, z, Z,\n"
    "                            [r]private, [r]slave, [r]shared); NAME:CTR[:OPTS] a named\n"
    "                            volume (made on first use, filled from the image; nocopy);\n"
    "                            CTR alone: an anonymous volume (removed by --rm, rm -v)\n"
    "      --mount type=bind|volume|tmpfs,source=,target=[,readonly][,bind-propagation=P]\n"
    "                            [,volume-nocopy][,tmpfs-size=SIZE][,tmpfs-mode=OCTAL]\n"
    "      --tmpfs PATH[:OPTS]   a tmpfs (default rw,nosuid,nodev,noexec,size=64m)\n"
    "      --volumes-from NAME[:ro|:rw]  the binds and volumes of container NAME\n"
    "      --device HOST[:CTR][:rwm]  the host's device node HOST at CTR (default: the same\n"
    "                            path), bound in, allowed in the device cgroup with\n"
    "                            rwm (read, write, mknod; default all three)\n"
    "      --ulimit NAME=SOFT[:HARD]  a resource limit: nofile, nproc, core, memlock,\n"
    "                            stack, fsize, ... (-1 or unlimited: no limit)\n"
    "      --oom-score-adj N     the container's OOM score adjustment (-1000..1000)\n"
    "      --sysctl KEY=VALUE    a namespaced kernel setting: net.* (own network),\n"
    "                            kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*\n"
    "      --entrypoint CMD      run CMD instead of the image's entrypoint (the image's\n"
    "                            Cmd is dropped too, as Docker; \"\" clears it)\n"
    "      --shm-size SIZE       size of /dev/shm (default 64m)\n"
    "      --group-add GID       an extra supplementary group of the command (numeric)\n"
    "  -l, --label K=V           a label of the container (ps --filter label=K[=V])\n"
    "      --stop-signal SIG     what osbox stop sends first (default TERM)\n"
    "      --stop-timeout SECS   how long osbox stop waits before KILL (default 10)\n"
    "      --health-cmd CMD      a health check: CMD run by /bin/sh -c in the container\n"
    "                            (as exec) every interval; exit 0 is healthy (ps, inspect)\n"
    "      --health-interval DUR time between checks (default 30s; DUR as 30s, 1m, 500ms)\n"
    "      --health-timeout DUR  a check still running then is killed, failed (default 30s)\n"
    "      --health-retries N    failures in a row that make it unhealthy (default 3)\n"
    "      --health-start-period DUR  failures this soon after the start do not count\n"
    "                            (until the first success)\n"
    "      --no-healthcheck      no health check, not even the image's HEALTHCHECK\n"
    "      --privileged          all capabilities, no seccomp, no masked paths, usable\n"
    "                            device nodes\n"
    "      --cap-add CAP         add a capability (NET_ADMIN, CAP_SYS_TIME, ALL)\n"
    "      --cap-drop CAP        drop a capability (ALL drops every one)\n"
    "      --security-opt OPT    no-new-privileges[=true|false] (default true),\n"
    "                            seccomp=unconfined|PROFILE.json (OCI/Docker format)\n"
    "      --userns MODE         user namespace: host; auto maps root to a /etc/subuid\n"
    "                            range; keep-id also keeps SUDO_UID/SUDO_GID as themselves\n"
    "  -d, --detach              run in the background; print the container id once the\n"
    "                            command runs (a monitor process keeps it; see osbox ps)\n"
    "      --restart POLICY      no (default), on-failure[:N], always\n"
    "      --log-opt max-size=SIZE  cap of a detached container's log (default 1m;\n"
    "                            one rotated file is kept besides it)\n"
    "      --sdnotify MODE       under a systemd Type=notify unit: conmon (default: osbox\n"
    "                            sends READY=1 once the command runs), container (the\n"
    "                            socket is passed in, the command says READY), ignore\n"
    "      --rootfs DIR          run a plain directory instead of an image\n"
    "      --pull WHEN           pull IMAGE: missing (default), always, never\n"
    "      --trace-startup       print on stderr, once the command runs, when each step\n"
    "                            of the start ran and what it took (ms)\n"
    "      --help                show this help\n"
    "\n"
    "Exit status: the command's; 125 osbox failed; 126 not executable;\n"
    "127 not found; 128+N killed by signal N.\n";


enum { OPT_HELP = RUN_OPT_END };

/* Short options: the request's code of each. */
static int short_opt(int c)
{
    static const struct { char c; int opt; } map[] = {
        { 'e', RUN_OPT_ENV }, { 'w', RUN_OPT_WORKDIR }, { 'u', RUN_OPT_USER },
        { 'h', RUN_OPT_HOSTNAME }, { 't', RUN_OPT_TTY }, { 'i', RUN_OPT_INTERACTIVE },
        { 'm', RUN_OPT_MEMORY }, { 'c', RUN_OPT_CPU_SHARES }, { 'p', RUN_OPT_PUBLISH },
        { 'd', RUN_OPT_DETACH }, { 'v', RUN_OPT_VOLUME }, { 'l', RUN_OPT_LABEL },
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (map[i].c == c)
            return map[i].opt;
    return c;
}

static const struct option long_opts[] = {
    { "rm", no_argument, NULL, RUN_OPT_RM },
    { "name", required_argument, NULL, RUN_OPT_NAME },
    { "env", required_argument, NULL, RUN_OPT_ENV },
    { "env-file", required_argument, NULL, RUN_OPT_ENV_FILE },
    { "workdir", required_argument, NULL, RUN_OPT_WORKDIR },
    { "user", required_argument, NULL, RUN_OPT_USER },
    { "hostname", required_argument, NULL, RUN_OPT_HOSTNAME },
    { "read-only", no_argument, NULL, RUN_OPT_READ_ONLY },
    { "tty", no_argument, NULL, RUN_OPT_TTY },
    { "interactive", no_argument, NULL, RUN_OPT_INTERACTIVE },
    { "memory", required_argument, NULL, RUN_OPT_MEMORY },
    { "memory-swap", required_argument, NULL, RUN_OPT_MEMORY_SWAP },
    { "cpus", required_argument, NULL, RUN_OPT_CPUS },
    { "cpu-shares", required_argument, NULL, RUN_OPT_CPU_SHARES },
    { "cpu-weight", required_argument, NULL, RUN_OPT_CPU_WEIGHT },
    { "pids-limit", required_argument, NULL, RUN_OPT_PIDS_LIMIT },
    { "cpuset-cpus", required_argument, NULL, RUN_OPT_CPUSET_CPUS },
    { "cpuset-mems", required_argument, NULL, RUN_OPT_CPUSET_MEMS },
    { "cgroup-parent", required_argument, NULL, RUN_OPT_CGROUP_PARENT },
    { "network", required_argument, NULL, RUN_OPT_NETWORK },
    { "net", required_argument, NULL, RUN_OPT_NETWORK },
    { "publish", required_argument, NULL, RUN_OPT_PUBLISH },
    { "ip", required_argument, NULL, RUN_OPT_IP },
    { "mac-address", required_argument, NULL, RUN_OPT_MAC },
    { "dns", required_argument, NULL, RUN_OPT_DNS },
    { "add-host", required_argument, NULL, RUN_OPT_ADD_HOST },
    { "privileged", no_argument, NULL, RUN_OPT_PRIVILEGED },
    { "cap-add", required_argument, NULL, RUN_OPT_CAP_ADD },
    { "cap-drop", required_argument, NULL, RUN_OPT_CAP_DROP },
    { "security-opt", required_argument, NULL, RUN_OPT_SECURITY_OPT },
    { "userns", required_argument, NULL, RUN_OPT_USERNS },
    { "detach", no_argument, NULL, RUN_OPT_DETACH },
    { "restart", required_argument, NULL, RUN_OPT_RESTART },
    { "sdnotify", required_argument, NULL, RUN_OPT_SDNOTIFY },
    { "log-opt", required_argument, NULL, RUN_OPT_LOG_OPT },
    { "volume", required_argument, NULL, RUN_OPT_VOLUME },
    { "mount", required_argument, NULL, RUN_OPT_MOUNT },
    { "tmpfs", required_argument, NULL, RUN_OPT_TMPFS },
    { "device", required_argument, NULL, RUN_OPT_DEVICE },
    { "volumes-from", required_argument, NULL, RUN_OPT_VOLUMES_FROM },
    { "ulimit", required_argument, NULL, RUN_OPT_ULIMIT },
    { "oom-score-adj", required_argument, NULL, RUN_OPT_OOM_SCORE_ADJ },
    { "sysctl", required_argument, NULL, RUN_OPT_SYSCTL },
    { "entrypoint", required_argument, NULL, RUN_OPT_ENTRYPOINT },
    { "shm-size", required_argument, NULL, RUN_OPT_SHM_SIZE },
    { "group-add", required_argument, NULL, RUN_OPT_GROUP_ADD },
    { "label", required_argument, NULL, RUN_OPT_LABEL },
    { "stop-signal", required_argument, NULL, RUN_OPT_STOP_SIGNAL },
    { "stop-timeout", required_argument, NULL, RUN_OPT_STOP_TIMEOUT },
    { "rootfs", required_argument, NULL, RUN_OPT_ROOTFS },
    { "pull", required_argument, NULL, RUN_OPT_PULL },
    { "trace-startup", no_argument, NULL, RUN_OPT_TRACE_STARTUP },
    { "health-cmd", required_argument, NULL, RUN_OPT_HEALTH_CMD },
    { "health-interval", required_argument, NULL, RUN_OPT_HEALTH_INTERVAL },
    { "health-timeout", required_argument, NULL, RUN_OPT_HEALTH_TIMEOUT },
    { "health-start-period", required_argument, NULL, RUN_OPT_HEALTH_START_PERIOD },
    { "health-retries", required_argument, NULL, RUN_OPT_HEALTH_RETRIES },
    { "no-healthcheck", no_argument, NULL, RUN_OPT_NO_HEALTHCHECK },
    { "help", no_argument, NULL, OPT_HELP },
    { NULL, 0, NULL, 0 },
};

/* Returns the index of the first operand, or -1 with an exit status in *status. */
static int parse(int argc, char **argv, struct run_request *r, int *status)
{
    struct osbox_err err;
    int c;

    osbox_err_clear(&err);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+e:w:u:h:tim:c:p:dv:l:", long_opts, NULL)) != -1) {
        c = short_opt(c);
        if (c >= RUN_OPT_RM && c < RUN_OPT_END) {
            if (run_request_opt(r, c, optarg, &err) < 0) {
                *status = cli_fail(&err);
                return -1;
            }
            continue;
        }
        if (c == OPT_HELP) {
            fputs(run_usage, stdout);
            *status = 0;
        } else {
            *status = cli_failf(OSBOX_EXIT_USAGE, c == ':' ? "run: option '%s' needs a value"
                                : "run: unknown option '%s' (see 'osbox run --help')", argv[optind - 1]);
        }
        return -1;
    }
    if (run_request_check(r, &err) < 0) {
        *status = cli_fail(&err);
        return -1;
    }
    if (!r->rootfs && optind >= argc) {
        *status = cli_failf(OSBOX_EXIT_USAGE, "run: an IMAGE is required (see 'osbox run --help')");
        return -1;
    }
    return optind;
}

static void print_warning(const char *msg, void *ctx)
{
    (void)ctx;
    fprintf(stderr, "osbox: warning: %s\n", msg);
}

static void print_startup_trace(void *ctx)
{
    (void)ctx;
    startup_trace_print(stderr);
    fflush(stderr);
}

static int run_main(int argc, char **argv)
{
    struct run_request r;
    struct osbox_err err;
    int first, status = 0;

    osbox_err_clear(&err);
    run_hold_signals_and_stdio();
    run_request_init(&r);
    r.on_warning = print_warning;
    r.life.on_started = print_startup_trace;
    first = parse(argc, argv, &r, &status);
    if (rootless_note())
        fprintf(stderr, "osbox: note: %s\n", rootless_note());
    if (first >= 0) {
        status = run_request_run(&r, argv[first], argv + first + (r.rootfs ? 0 : 1), &err);
        if (r.warning.msg[0])
            cli_fail(&r.warning);
        if (status < 0)
            status = cli_fail(&err);
        else if (r.life.detach) {
            printf("%s\n", r.id);
            fflush(stdout);
        }
    }
    run_request_free(&r);
    return status;
}

OSBOX_COMMAND(run_command, .name = "run", .summary = "Run a command in a new container",
              .main = run_main)
