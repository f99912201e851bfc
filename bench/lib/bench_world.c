/* bench: the workloads and how each mode launches them. The host runs the
 * binary itself; a container runs it with `osbox run --rm`, from a minimal
 * rootfs holding only the static workloads or from an image (--image); a VM
 * with `osbox vm run` of an image holding them (busybox: /usr/local/bin). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/lib/bench.h"
#include "util.h"

/* Each workload with the arguments a bench run uses by default: big enough
 * to be stable, small enough that a full bench takes about a minute. */
static const struct {
    const char *name, *args;
    const char *small; /* for a slow VM: guest exits cost ~0.1-10 ms on kvm-pvm */
} known[] = {
    { "syscall", "1000000", "2000" },     { "ctxswitch", "20000", "200" },
    { "fork", "500 1024", "10 64" },      { "pagefault", "16384", "256" },
    { "memlat", "64m 2m", "1m 64k" },     { "cpu", "16m 10m", "1m 100k" },
    { "fileio", "32m", "1m" },            { "alloc", "1000000", "20000 200" },
    { "udp-rtt", "5000", "200" },         { "tcp-rr", "5000", "200" },
    { "tcp-stream", "128m", "4m" },
};
#define N_KNOWN (sizeof known / sizeof known[0])

size_t bench_n_workloads(void)
{
    return N_KNOWN;
}

const char *bench_workload_name(size_t i)
{
    return i < N_KNOWN ? known[i].name : NULL;
}

/* Default workload directory: next to the osbox binary (build/osbox ->
 * build/workloads), else $PREFIX/lib/osbox/workloads. */
char *bench_default_workload_dir(void)
{
    char exe[PATH_MAX], *slash, *dir;
    ssize_t n;

    if (getenv("OSBOX_WORKLOADS"))
        return osbox_xstrdup(getenv("OSBOX_WORKLOADS"));
    n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        if ((slash = strrchr(exe, '/'))) {
            *slash = '\0';
            dir = osbox_strdup_printf("%s/workloads", exe);
            if (access(dir, X_OK) == 0)
                return dir;
            free(dir);
            dir = osbox_strdup_printf("%s/../lib/osbox/workloads", exe);
            if (access(dir, X_OK) == 0)
                return dir;
            free(dir);
        }
    }
    return osbox_xstrdup("/usr/local/lib/osbox/workloads");
}

/* "memlat:64m,1m" -> name "memlat", args {"64m","1m"} (default args when none). */
int bench_parse_workload(const char *spec, const char *wl_dir, char **name, char ***args,
                         struct osbox_err *err)
{
    const char *colon = strchr(spec, ':');
    size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
    size_t k;
    char *copy, *save = NULL, *path;

    for (k = 0; k < N_KNOWN; k++)
        if (strlen(known[k].name) == len && !strncmp(known[k].name, spec, len))
            break;
    if (k == N_KNOWN) {
        osbox_error(err, 0, "bench: unknown workload '%.*s' (see --help)", (int)len, spec);
        err->exit_status = OSBOX_EXIT_USAGE;
        return -1;
    }
    path = osbox_strdup_printf("%s/%s", wl_dir, known[k].name);
    if (access(path, X_OK)) {
        osbox_error(err, errno, "bench: workload %s (build with 'make', or use --workloads DIR)",
                    path);
        free(path);
        return -1;
    }
    free(path);
    *name = osbox_xstrdup(known[k].name);
    *args = NULL;
    if (!strncmp(known[k].name, "udp", 3) || !strncmp(known[k].name, "tcp", 3))
        osbox_strv_push(args, "local");
    copy = osbox_xstrdup(colon ? colon + 1 : known[k].args);
    for (char *tok = strtok_r(copy, colon ? "," : " ", &save); tok;
         tok = strtok_r(NULL, colon ? "," : " ", &save))
        if (strcmp(tok, "local")) /* added above for the network ones */
            osbox_strv_push(args, tok);
    free(copy);
    if (!*args)
        *args = osbox_xcalloc(1, sizeof(char *));
    return 0;
}

char **bench_small_args(const char *name)
{
    char **args = NULL, *copy, *save = NULL;

    for (size_t k = 0; k < N_KNOWN; k++) {
        if (strcmp(known[k].name, name))
            continue;
        if (!strncmp(name, "udp", 3) || !strncmp(name, "tcp", 3))
            osbox_strv_push(&args, "local");
        copy = osbox_xstrdup(known[k].small);
        for (char *tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
            osbox_strv_push(&args, tok);
        free(copy);
        return args;
    }
    return NULL;
}

static int copy_file(const char *from, const char *to, struct osbox_err *err)
{
    _cleanup_close_ int in = open(from, O_RDONLY | O_CLOEXEC);
    _cleanup_close_ int out = -1;
    struct stat st;

    if (in < 0 || fstat(in, &st))
        return osbox_error(err, errno, "open %s", from);
    out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    if (out < 0)
        return osbox_error(err, errno, "create %s", to);
    for (off_t off = 0; off < st.st_size;) {
        ssize_t n = sendfile(out, in, &off, (size_t)(st.st_size - off));
        if (n <= 0)
            return osbox_error(err, n < 0 ? errno : EIO, "copy %s", from);
    }
    return 0;
}

/* A minimal root filesystem for container mode: the static workloads in
 * /bench plus the directories the runtime mounts over. */
int bench_make_rootfs(const char *wl_dir, char **dir_out, char **rootfs_out, struct osbox_err *err)
{
    static const char *const dirs[] = { "bench", "dev", "proc", "sys", "tmp", "etc", "run" };
    char id[65], *dir, *rootfs;

    if (osbox_random_id(id, err) < 0)
        return -1;
    dir = osbox_strdup_printf("%s/bench/%.12s", osbox_run_dir(), id);
    rootfs = osbox_strdup_printf("%s/rootfs", dir);
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char *p = osbox_strdup_printf("%s/%s", rootfs, dirs[i]);
        int rc = osbox_mkdir_p(p, 0755, err);
        free(p);
        if (rc < 0)
            goto fail;
    }
    {
        char *tmp = osbox_strdup_printf("%s/tmp", rootfs);
        int rc = chmod(tmp, 01777); /* fileio writes there, as any user */
        free(tmp);
        if (rc < 0) {
            osbox_error(err, errno, "chmod %s/tmp", rootfs);
            goto fail;
        }
    }
    for (size_t k = 0; k < N_KNOWN; k++) {
        char *from = osbox_strdup_printf("%s/%s", wl_dir, known[k].name);
        char *to = osbox_strdup_printf("%s/bench/%s", rootfs, known[k].name);
        int rc = access(from, X_OK) ? 0 : copy_file(from, to, err);
        free(from);
        free(to);
        if (rc < 0)
            goto fail;
    }
    *dir_out = dir;
    *rootfs_out = rootfs;
    return 0;
fail:
    osbox_rm_rf(dir, &(struct osbox_err){ 0 });
    free(dir);
    free(rootfs);
    return -1;
}

char **bench_mode_argv(enum bench_mode mode, const struct bench_launch *o, const char *name,
                       char **args)
{
    char **argv = NULL, exe[PATH_MAX];
    ssize_t n;

    if (mode == BENCH_VM) {
        /* The guest takes CLOCK_REALTIME from KVM's pvclock, so startup_us
         * compares with the host's T0. In the harness, the image store is
         * a fresh one: load the image there first. */
        n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        exe[n > 0 ? n : 0] = '\0';
        if (o->harness) {
            osbox_strv_push(&argv, o->harness);
            if (o->harness_oci) {
                osbox_strv_push(&argv, "sh");
                osbox_strv_push(&argv, "-c");
                osbox_strv_push(&argv, "\"$0\" load --oci-dir \"$1\" >/dev/null 2>&1 && shift && exec \"$@\"");
                osbox_strv_push(&argv, n > 0 ? exe : "osbox");
                osbox_strv_push(&argv, o->harness_oci);
            }
        }
        osbox_strv_push(&argv, n > 0 ? exe : "osbox");
        osbox_strv_push(&argv, "vm");
        osbox_strv_push(&argv, "run");
        /* No NIC: the workloads use loopback, and start-up must not include a TAP. */
        osbox_strv_push(&argv, "--net");
        osbox_strv_push(&argv, "none");
        if (!o->harness) {
            osbox_strv_push(&argv, "-e");
            osbox_strv_push(&argv, "OSBOX_BENCH_T0=@");
        }
        char *p = osbox_strdup_printf("%s/%s", o->image_dir, name);
        osbox_strv_push(&argv, o->vm_image ? o->vm_image : "busybox");
        osbox_strv_push(&argv, p);
        free(p);
    } else if (mode == BENCH_HOST) {
        char *p = osbox_strdup_printf("%s/%s", o->wl_dir, name);
        osbox_strv_push(&argv, p);
        free(p);
    } else {
        n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        exe[n > 0 ? n : 0] = '\0';
        osbox_strv_push(&argv, n > 0 ? exe : "osbox");
        osbox_strv_push(&argv, "run");
        osbox_strv_push(&argv, "--rm");
        /* Like the host and the VM: loopback only, no veth in the start-up cost. */
        osbox_strv_push(&argv, "--network");
        osbox_strv_push(&argv, "none");
        osbox_strv_push(&argv, "-e");
        osbox_strv_push(&argv, "OSBOX_BENCH_T0=@");
        if (o->image) {
            char *p = osbox_strdup_printf("%s/%s", o->image_dir, name);
            osbox_strv_push(&argv, o->image);
            osbox_strv_push(&argv, p);
            free(p);
        } else {
            char *p = osbox_strdup_printf("/bench/%s", name);
            osbox_strv_push(&argv, "--rootfs");
            osbox_strv_push(&argv, o->rootfs);
            osbox_strv_push(&argv, p);
            free(p);
        }
    }
    for (size_t i = 0; args[i]; i++)
        osbox_strv_push(&argv, args[i]);
    return argv;
}
