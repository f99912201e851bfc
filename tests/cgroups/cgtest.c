/* cgtest: exercises the files of runtime/cgroup/ on the real cgroup tree without the
 * container runtime. Each subcommand creates a container cgroup with limits,
 * runs a child in it, checks what the kernel shows, destroys it and checks
 * that nothing is left. Prints "ok ..." lines; any failure exits 1.
 *
 *   cgtest detect | limits ID | oom ID | pids ID | cpu ID | stale ID | partial ID | parent ID
 *          | clone ID | bomb ID */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/cgroup/cgroup.h"
#include "util.h"

static struct osbox_err err;

static void die(const char *fmt, ...)
{
    va_list ap;
    fputs("FAIL: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

#define CHECK(cond, ...) do { if (!(cond)) die(__VA_ARGS__); } while (0)
#define OK(call) do { if ((call) < 0) die("%s: %s", #call, err.msg); } while (0)

static enum osbox_cgroup_mode mode;

static char *slurp(const char *dir, const char *file)
{
    _cleanup_free_ char *p = osbox_strdup_printf("%s/%s", dir, file);
    char *s = NULL;

    if (osbox_read_file(p, &s, NULL, &err) < 0)
        die("read %s: %s", p, err.msg);
    s[strcspn(s, "\n")] = '\0';
    return s;
}

static void expect_file(const char *dir, const char *file, const char *want)
{
    _cleanup_free_ char *got = slurp(dir, file);
    CHECK(strcmp(got, want) == 0, "%s/%s is '%s', expected '%s'", dir, file, got, want);
    printf("ok %s/%s = %s\n", dir, file, got);
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Every directory the container's cgroup has, to check they are gone later. */
static char **dirs_of(const struct osbox_cgroup *cg)
{
    static const char *const ctrls[] = { "", "memory", "cpu", "cpuacct", "pids", "cpuset", "devices",
                                         "freezer", "blkio", NULL };
    char **v = NULL;

    for (int i = 0; ctrls[i]; i++) {
        const char *d = cgroup_dir(cg, ctrls[i]);
        bool seen = false;
        for (size_t k = 0; d && k < osbox_strv_len(v); k++)
            seen |= strcmp(v[k], d) == 0;
        if (d && !seen)
            osbox_strv_push(&v, d);
    }
    CHECK(v, "the cgroup has no directories");
    return v;
}

static void destroy_and_check(struct osbox_cgroup *cg)
{
    char **dirs = dirs_of(cg);

    OK(cgroup_destroy(cg, &err));
    for (char **d = dirs; *d; d++)
        CHECK(!exists(*d), "%s still exists after destroy", *d);
    printf("ok destroyed, %zu dirs gone\n", osbox_strv_len(dirs));
    osbox_strv_free(dirs);
}

/* Fork a child that waits until it is in the cgroup, then runs fn. */
static pid_t spawn_in(struct osbox_cgroup *cg, void (*fn)(void))
{
    int p[2];
    char c;
    pid_t pid;

    CHECK(pipe(p) == 0, "pipe");
    pid = fork();
    CHECK(pid >= 0, "fork");
    if (pid == 0) {
        close(p[1]);
        if (read(p[0], &c, 1) != 1)
            _exit(99);
        fn();
        _exit(0);
    }
    close(p[0]);
    OK(cgroup_add_pid(cg, pid, &err));
    CHECK(write(p[1], "x", 1) == 1, "release child");
    close(p[1]);
    return pid;
}

static int wait_child(pid_t pid, int timeout_s)
{
    int st;
    for (int i = 0; i < timeout_s * 100; i++) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return st;
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    die("child %d did not finish in %d s", (int)pid, timeout_s);
    return -1;
}

static struct osbox_cgroup *create(const char *id, const char *parent, const char *const *flags)
{
    struct osbox_resources r;
    struct osbox_cgroup *cg;

    osbox_resources_init(&r);
    for (int i = 0; flags[i]; i += 2) {
        const char *f = flags[i], *v = flags[i + 1];
        int rc = !strcmp(f, "-m") ? resources_set_memory(&r, v, &err)
                 : !strcmp(f, "--memory-swap") ? resources_set_memory_swap(&r, v, &err)
                 : !strcmp(f, "--cpus") ? resources_set_cpus(&r, v, &err)
                 : !strcmp(f, "--cpu-shares") ? resources_set_cpu_shares(&r, v, &err)
                 : !strcmp(f, "--cpu-weight") ? resources_set_cpu_weight(&r, v, &err)
                 : resources_set_pids_limit(&r, v, &err);
        if (rc < 0)
            die("%s", err.msg);
    }
    OK(cgroup_create(id, parent, &r, &cg, &err));
    printf("ok created %s (%s)\n", cgroup_relpath(cg), cgroup_mode_name(mode));
    return cg;
}

static void child_sleep(void) { pause(); }

static void cmd_limits(const char *id)
{
    static const char *const flags[] = { "-m", "32m", "--memory-swap", "64m", "--cpus", "0.5",
                                         "--cpu-shares", "512", "--pids-limit", "20", NULL };
    struct osbox_cgroup *cg = create(id, NULL, flags);
    struct osbox_cgroup_stats st;
    char want[64];
    pid_t pid;

    if (mode == OSBOX_CGROUP_V2) {
        const char *d = cgroup_dir(cg, "memory");
        _cleanup_free_ char *swap = osbox_strdup_printf("%s/memory.swap.max", d);
        CHECK(cgroup_clone_fd(cg) >= 0, "no CLONE_INTO_CGROUP fd on v2");
        expect_file(d, "memory.max", "33554432");
        if (exists(swap))
            expect_file(d, "memory.swap.max", "33554432"); /* 64m total - 32m memory */
        expect_file(d, "cpu.max", "50000 100000");
        snprintf(want, sizeof want, "%llu", (unsigned long long)cgroup_shares_to_weight(512));
        expect_file(d, "cpu.weight", want);
        expect_file(d, "pids.max", "20");
    } else {
        CHECK(cgroup_clone_fd(cg) == -1, "a CLONE_INTO_CGROUP fd on v1");
        expect_file(cgroup_dir(cg, "memory"), "memory.limit_in_bytes", "33554432");
        expect_file(cgroup_dir(cg, "memory"), "memory.memsw.limit_in_bytes", "67108864");
        expect_file(cgroup_dir(cg, "memory"), "memory.oom_control", "oom_kill_disable 0");
        expect_file(cgroup_dir(cg, "cpu"), "cpu.cfs_quota_us", "50000");
        expect_file(cgroup_dir(cg, "cpu"), "cpu.cfs_period_us", "100000");
        expect_file(cgroup_dir(cg, "cpu"), "cpu.shares", "512");
        expect_file(cgroup_dir(cg, "pids"), "pids.max", "20");
    }
    pid = spawn_in(cg, child_sleep);
    /* The child shows up in each hierarchy's cgroup.procs. */
    char **dirs = dirs_of(cg);
    snprintf(want, sizeof want, "%d", (int)pid);
    for (char **d = dirs; *d; d++)
        expect_file(*d, "cgroup.procs", want);
    osbox_strv_free(dirs);
    OK(cgroup_stats(cg, &st, &err));
    CHECK(st.pids_current == 1, "pids.current %llu, expected 1", (unsigned long long)st.pids_current);
    printf("ok stats: pids %llu memory %llu\n", (unsigned long long)st.pids_current,
           (unsigned long long)st.memory_current);
    /* destroy kills what is still running */
    destroy_and_check(cg);
    int status = wait_child(pid, 5);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child not killed by destroy");
    printf("ok destroy killed the child\n");
}

static void child_hog(void)
{
    /* 256 MiB, touched page by page: far past a 32m limit. */
    for (int i = 0; i < 256; i++) {
        char *p = malloc(1 << 20);
        if (!p)
            _exit(2);
        memset(p, i, 1 << 20);
    }
    _exit(0);
}

static void cmd_oom(const char *id)
{
    static const char *const flags[] = { "-m", "32m", NULL };
    struct osbox_cgroup *cg = create(id, NULL, flags);
    struct osbox_cgroup_stats st;
    int status = wait_child(spawn_in(cg, child_hog), 30);

    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
          "the 256m hog was not OOM-killed (status 0x%x)", status);
    printf("ok hog killed by SIGKILL (exit would be 137)\n");
    OK(cgroup_stats(cg, &st, &err));
    CHECK(st.oom_kills >= 1, "oom_kill counter is %llu", (unsigned long long)st.oom_kills);
    printf("ok oom_kill %llu\n", (unsigned long long)st.oom_kills);
    /* The hog got close to the limit, never past it. */
    CHECK(st.memory_peak == 0 || (st.memory_peak > (16u << 20) && st.memory_peak <= (32u << 20)),
          "memory peak %llu for a 32m limit", (unsigned long long)st.memory_peak);
    printf("ok memory peak %llu\n", (unsigned long long)st.memory_peak);
    destroy_and_check(cg);
}

static void child_forker(void)
{
    int ok = 0, refused = 0;

    /* Bounded: at most 100 attempts; children just sleep until destroy kills them. */
    for (int i = 0; i < 100; i++) {
        pid_t p = fork();
        if (p == 0) {
            pause();
            _exit(0);
        }
        if (p > 0)
            ok++;
        else if (errno == EAGAIN)
            refused++;
    }
    printf("ok forker: %d forks, %d refused\n", ok, refused);
    fflush(stdout);
    _exit(ok <= 19 && refused > 0 ? 0 : 1);
}

static void cmd_pids(const char *id)
{
    static const char *const flags[] = { "--pids-limit", "20", NULL };
    struct osbox_cgroup *cg = create(id, NULL, flags);
    struct osbox_cgroup_stats st;
    int status = wait_child(spawn_in(cg, child_forker), 20);

    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "pids limit did not stop the forks");
    OK(cgroup_stats(cg, &st, &err));
    CHECK(st.pids_current >= 1 && st.pids_current <= 20, "pids.current %llu",
          (unsigned long long)st.pids_current);
    printf("ok pids.current %llu (the forker's children remain)\n", (unsigned long long)st.pids_current);
    destroy_and_check(cg);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void child_spin(void)
{
    double end = now_s() + 1.0;
    while (now_s() < end)
        ;
}

static void cmd_cpu(const char *id)
{
    /* A large weight: on a busy machine the quota, not the competition, limits. */
    static const char *const flags[] = { "--cpus", "0.1", "--cpu-shares", "16384", NULL };
    struct osbox_cgroup *cg = create(id, NULL, flags);
    struct osbox_cgroup_stats st;
    int status = wait_child(spawn_in(cg, child_spin), 10);

    CHECK(WIFEXITED(status), "spinner died");
    OK(cgroup_stats(cg, &st, &err));
    printf("ok 1 s busy loop at --cpus 0.1: usage %llu us, throttled %llu times for %llu us\n",
           (unsigned long long)st.cpu_usage_usec, (unsigned long long)st.nr_throttled,
           (unsigned long long)st.throttled_usec);
    CHECK(st.nr_throttled >= 3, "nr_throttled %llu: the quota did not throttle",
          (unsigned long long)st.nr_throttled);
    CHECK(st.cpu_usage_usec > 0 && st.cpu_usage_usec < 400000, "usage %llu us: not limited to ~0.1 CPU",
          (unsigned long long)st.cpu_usage_usec);
    destroy_and_check(cg);
}

/* A "killed osbox": the cgroup and a process in it stay; remove_stale cleans up. */
static void cmd_stale(const char *id)
{
    static const char *const flags[] = { "-m", "64m", NULL };
    struct osbox_cgroup *cg = create(id, NULL, flags);
    char **dirs = dirs_of(cg);
    pid_t pid = spawn_in(cg, child_sleep);

    OK(cgroup_remove_stale(id, &err));
    for (char **d = dirs; *d; d++)
        CHECK(!exists(*d), "%s still exists after remove_stale", *d);
    int status = wait_child(pid, 5);
    CHECK(WIFSIGNALED(status), "the stale cgroup's process survived");
    printf("ok remove_stale removed %zu dirs and killed the process\n", osbox_strv_len(dirs));
    OK(cgroup_remove_stale(id, &err)); /* nothing there: still fine */
    osbox_strv_free(dirs);
    OK(cgroup_destroy(cg, &err)); /* its dirs are gone already: frees only */
}

/* A failure in the middle of create leaves nothing of ours: make the last
 * hierarchy's mkdir fail by taking the name first. */
static void cmd_partial(const char *id)
{
    static const char *const flags[] = { "-m", "32m", "--pids-limit", "10", NULL };
    struct osbox_cgroup *cg = create(id, NULL, flags);
    char **dirs = dirs_of(cg);
    struct osbox_resources r;
    size_t n = osbox_strv_len(dirs);
    /* pids comes late in mount order here; on pure v2 there is only one dir. */
    _cleanup_free_ char *blocker = osbox_xstrdup(mode == OSBOX_CGROUP_V2 ? cgroup_dir(cg, "")
                                                                         : cgroup_dir(cg, "pids"));

    OK(cgroup_destroy(cg, &err));
    CHECK(mkdir(blocker, 0755) == 0, "mkdir %s", blocker);
    osbox_resources_init(&r);
    r.memory_limit = 32 << 20;
    CHECK(cgroup_create(id, NULL, &r, &cg, &err) < 0, "create succeeded over an existing %s", blocker);
    printf("ok create failed: %s\n", err.msg);
    for (size_t i = 0; i < n; i++)
        CHECK(strcmp(dirs[i], blocker) == 0 || !exists(dirs[i]), "%s left behind by a failed create",
              dirs[i]);
    CHECK(exists(blocker), "a failed create removed %s, which it did not make", blocker);
    rmdir(blocker);
    printf("ok failed create left nothing (%zu dirs checked)\n", n);
    /* Bad input fails before touching anything. */
    CHECK(cgroup_create("../x", NULL, &r, &cg, &err) < 0, "id ../x accepted");
    CHECK(cgroup_create(id, "a/../../b", &r, &cg, &err) < 0, "parent with .. accepted");
    r.memory_swap = 16 << 20;
    CHECK(cgroup_create(id, NULL, &r, &cg, &err) < 0, "swap < memory accepted");
    for (size_t i = 0; i < n; i++)
        CHECK(!exists(dirs[i]), "%s left behind by bad input", dirs[i]);
    printf("ok bad input rejected: %s\n", err.msg);
    osbox_strv_free(dirs);
}

/* --cgroup-parent: made on demand, removed with the container when empty. */
static void cmd_parent(const char *id)
{
    static const char *const flags[] = { "-m", "32m", "--cpus", "0.5", NULL };
    _cleanup_free_ char *parent = osbox_strdup_printf("osbox-test-parent-%s/sub", id);
    struct osbox_cgroup *cg = create(id, parent, flags);
    _cleanup_free_ char *want = osbox_strdup_printf("/%s/osbox-%s", parent, id);
    char **dirs = dirs_of(cg);

    CHECK(strcmp(cgroup_relpath(cg), want) == 0, "relpath %s, expected %s", cgroup_relpath(cg), want);
    int status = wait_child(spawn_in(cg, child_hog), 30);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "hog not OOM-killed under the parent");
    printf("ok limits apply under --cgroup-parent\n");
    OK(cgroup_destroy(cg, &err));
    for (char **d = dirs; *d; d++) {
        _cleanup_free_ char *top = osbox_xstrdup(*d);
        *strstr(top, "/sub/") = '\0';
        CHECK(!exists(*d) && !exists(top), "%s or its made parents left behind", *d);
    }
    printf("ok the parents osbox made are gone too\n");
    osbox_strv_free(dirs);
}

static void child_bomb(void)
{
    double end = now_s() + 10; /* bounded even if destroy failed */

    while (now_s() < end)
        if (fork() < 0)
            usleep(1000); /* at the pids limit */
    _exit(0);
}

/* destroy ends a running fork bomb (cgroup.kill, the v1 freezer, or the SIGKILL sweep). */
static void cmd_bomb(const char *id)
{
    static const char *const flags[] = { "--pids-limit", "64", "--cpus", "0.5", NULL };
    struct osbox_cgroup *cg = create(id, NULL, flags);
    struct osbox_cgroup_stats st;
    pid_t pid = spawn_in(cg, child_bomb);
    double t;

    /* Polled, at most 10 s: under software emulation at --cpus 0.5 the bomb
     * may need seconds to pass 10 processes. */
    for (int i = 0; i < 100; i++) {
        usleep(100000);
        OK(cgroup_stats(cg, &st, &err));
        if (st.pids_current > 10)
            break;
    }
    CHECK(st.pids_current > 10, "the bomb did not take off in 10 s (%llu pids)", (unsigned long long)st.pids_current);
    printf("ok fork bomb running: %llu pids\n", (unsigned long long)st.pids_current);
    t = now_s();
    destroy_and_check(cg);
    t = now_s() - t;
    printf("ok destroy ended the bomb in %.0f ms\n", t * 1000);
    CHECK(t < 4.0, "destroy took %.1f s", t);
    int status = wait_child(pid, 5);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "the bomb's first process was not killed");
}

/* Pure v2: clone3(CLONE_INTO_CGROUP) starts the child inside the cgroup. */
static void cmd_clone(const char *id)
{
    static const char *const flags[] = { "--pids-limit", "5", NULL };
    struct osbox_cgroup *cg;
    struct clone_args args = { 0 };
    _cleanup_free_ char *procs = NULL;
    pid_t pid;

    if (mode != OSBOX_CGROUP_V2) {
        printf("skip clone: CLONE_INTO_CGROUP needs pure v2\n");
        exit(77);
    }
    cg = create(id, NULL, flags);
    args.flags = CLONE_INTO_CGROUP;
    args.exit_signal = SIGCHLD;
    args.cgroup = (uint64_t)cgroup_clone_fd(cg);
    pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
    CHECK(pid >= 0, "clone3: %s", strerror(errno));
    if (pid == 0) {
        pause();
        _exit(0);
    }
    procs = slurp(cgroup_dir(cg, ""), "cgroup.procs");
    CHECK(atoi(procs) == pid, "cgroup.procs '%s', expected %d", procs, (int)pid);
    printf("ok clone3 CLONE_INTO_CGROUP put %d in the cgroup\n", (int)pid);
    destroy_and_check(cg);
    int status = wait_child(pid, 5);
    CHECK(WIFSIGNALED(status), "clone child survived destroy");
}

int main(int argc, char **argv)
{
    static const struct { const char *name; void (*fn)(const char *); } cmds[] = {
        { "limits", cmd_limits }, { "oom", cmd_oom }, { "pids", cmd_pids }, { "cpu", cmd_cpu },
        { "stale", cmd_stale }, { "partial", cmd_partial }, { "parent", cmd_parent },
        { "clone", cmd_clone }, { "bomb", cmd_bomb },
    };

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (cgroup_detect(&mode, &err) < 0)
        die("detect: %s", err.msg);
    if (argc == 2 && strcmp(argv[1], "detect") == 0) {
        printf("%s\n", cgroup_mode_name(mode));
        return 0;
    }
    if (argc != 3)
        die("usage: cgtest detect | limits|oom|pids|cpu|stale|partial|parent|clone|bomb ID");
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (strcmp(argv[1], cmds[i].name) == 0) {
            cmds[i].fn(argv[2]);
            return 0;
        }
    }
    die("unknown subcommand %s", argv[1]);
}
