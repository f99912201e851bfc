/* Unit tests for what osbox writes into cgroup directories (v2 delegation and
 * limits, v1 limits and preparation), run against fake cgroup trees made of
 * plain files: the logic is checked without a cgroup2 host. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "runtime/cgroup/cgroup_internal.h"
#include "util.h"

static char root[] = "/tmp/osbox-cgfiles-XXXXXX";
static struct osbox_err err;

static void put(const char *dir, const char *file, const char *text)
{
    char *p = osbox_strdup_printf("%s/%s", dir, file);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(p);
}

static char *get(const char *dir, const char *file)
{
    char *p = osbox_strdup_printf("%s/%s", dir, file), *s = NULL;
    assert_int_equal(osbox_read_file(p, &s, NULL, &err), 0);
    free(p);
    return s;
}

static void assert_file(const char *dir, const char *file, const char *want)
{
    char *s = get(dir, file);
    assert_string_equal(s, want);
    free(s);
}

/* A v2 cgroup: controllers offered, none enabled, no processes. */
static char *fake_v2(const char *rel, const char *offered)
{
    char *d = osbox_strdup_printf("%s%s", root, rel);
    assert_int_equal(osbox_mkdir_p(d, 0755, &err), 0);
    put(d, "cgroup.controllers", offered);
    put(d, "cgroup.subtree_control", "");
    put(d, "cgroup.procs", "");
    return d;
}

static int setup(void **state)
{
    (void)state;
    strcpy(root, "/tmp/osbox-cgfiles-XXXXXX");
    assert_non_null(mkdtemp(root));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return osbox_rm_rf(root, &err);
}

static struct cg_hier hier(void)
{
    return (struct cg_hier){ .mnt = root, .root = "/", .ctrls = "", .v2 = true, .own = "/" };
}

static void test_v2_enable_down_the_path(void **state)
{
    struct cg_hier h = hier();
    char *top = fake_v2("", "cpuset cpu io memory pids\n");
    char *a = fake_v2("/a", "cpu memory pids\n");
    char *b = fake_v2("/a/b", "memory\n");
    (void)state;
    put(top, "cgroup.procs", "1\n2\n"); /* the root may hold processes */
    assert_int_equal(cg2_enable_path(&h, "/a/b", "cpu memory pids", &err), 0);
    /* one write per level with everything missing and offered, in want order */
    assert_file(top, "cgroup.subtree_control", "+cpu +memory +pids");
    assert_file(a, "cgroup.subtree_control", "+cpu +memory +pids");
    assert_file(b, "cgroup.subtree_control", "+memory");
    free(top);
    free(a);
    free(b);
}

static void test_v2_already_enabled_is_not_rewritten(void **state)
{
    struct cg_hier h = hier();
    char *top = fake_v2("", "cpu memory pids\n");
    (void)state;
    put(top, "cgroup.subtree_control", "cpu memory pids\n");
    assert_int_equal(cg2_enable_path(&h, "/", "cpu memory pids", &err), 0);
    assert_file(top, "cgroup.subtree_control", "cpu memory pids\n");
    put(top, "cgroup.subtree_control", "memory\n");
    assert_int_equal(cg2_enable_path(&h, "/", "cpu memory pids", &err), 0);
    assert_file(top, "cgroup.subtree_control", "+cpu +pids");
    free(top);
}

/* "No internal processes": a non-root cgroup holding processes gets nothing
 * enabled, not even the threaded controllers the kernel would accept. */
static void test_v2_refuses_cgroup_with_processes(void **state)
{
    struct cg_hier h = hier();
    char *top = fake_v2("", "cpu memory pids\n");
    char *svc = fake_v2("/svc", "cpu memory pids\n");
    (void)state;
    put(svc, "cgroup.procs", "4242\n");
    assert_int_equal(cg2_enable_path(&h, "/svc", "cpu memory pids", &err), -1);
    assert_int_equal(err.errnum, EBUSY);
    assert_non_null(strstr(err.msg, "holds processes"));
    assert_file(svc, "cgroup.subtree_control", "");
    /* its parent is fine: that is where the container goes instead */
    assert_int_equal(cg2_enable_path(&h, "/", "cpu memory pids", &err), 0);
    assert_file(top, "cgroup.subtree_control", "+cpu +memory +pids");
    free(top);
    free(svc);
}

/* Where the container's cgroup goes when osbox's own cgroup refused controllers. */
static void test_v2_place_decision(void **state)
{
    (void)state;
    assert_int_equal(cg2_choose_place("/system.slice/a.service", 0, false), CG2_PLACE_OWN);
    /* own holds processes: delegated -> the supervisor leaf, else beside it */
    assert_int_equal(cg2_choose_place("/system.slice/a.service", EBUSY, true), CG2_PLACE_LEAF);
    assert_int_equal(cg2_choose_place("/system.slice/a.service", EBUSY, false), CG2_PLACE_SIBLING);
    /* a thread root cannot be fixed by moving processes */
    assert_int_equal(cg2_choose_place("/a", EOPNOTSUPP, true), CG2_PLACE_SIBLING);
    /* nothing above the root, and other errors are not about placement */
    assert_int_equal(cg2_choose_place("/", EBUSY, true), CG2_PLACE_FAIL);
    assert_int_equal(cg2_choose_place("/a", EACCES, true), CG2_PLACE_FAIL);
}

/* systemd's mark of a Delegate=yes cgroup (user.* is what a user manager sets). */
static void test_v2_delegate_mark(void **state)
{
    char *d = fake_v2("/unit.service", "cpu memory pids\n");
    (void)state;
    assert_false(cg2_delegated(d));
    if (setxattr(d, "user.delegate", "1", 1, 0) < 0) {
        free(d);
        skip(); /* this /tmp takes no user xattrs */
    }
    assert_true(cg2_delegated(d));
    free(d);
}

static char *fake_dir(const char *rel, const char *const *files)
{
    char *d = osbox_strdup_printf("%s%s", root, rel);
    assert_int_equal(osbox_mkdir_p(d, 0755, &err), 0);
    for (int i = 0; files[i]; i++)
        put(d, files[i], "");
    return d;
}

static void test_v2_limits(void **state)
{
    static const char *const files[] = { "memory.max", "memory.swap.max", "cpu.max", "cpu.weight",
                                         "pids.max", NULL };
    struct osbox_resources r;
    char *d = fake_dir("/c", files);
    (void)state;
    osbox_resources_init(&r);
    assert_int_equal(resources_set_memory(&r, "32m", &err), 0);
    assert_int_equal(resources_set_memory_swap(&r, "96m", &err), 0);
    assert_int_equal(resources_cpus_to_quota("1.5", 2, &r.cpu_quota_us, &r.cpu_period_us, &err), 0);
    assert_int_equal(resources_set_cpu_shares(&r, "2048", &err), 0);
    assert_int_equal(resources_set_pids_limit(&r, "64", &err), 0);
    assert_int_equal(cg2_apply(d, &r, &err), 0);
    assert_file(d, "memory.max", "33554432");
    assert_file(d, "memory.swap.max", "67108864"); /* swap alone: 96m - 32m */
    assert_file(d, "cpu.max", "150000 100000");
    assert_file(d, "cpu.weight", "79");             /* 2048 shares on the v2 scale */
    assert_file(d, "pids.max", "64");
    /* an explicit weight wins over shares; unlimited swap is "max" */
    r.cpu_weight = 500;
    r.memory_swap = -1;
    put(d, "cpu.weight", "");
    put(d, "memory.swap.max", "");
    assert_int_equal(cg2_apply(d, &r, &err), 0);
    assert_file(d, "cpu.weight", "500");
    assert_file(d, "memory.swap.max", "max");
    free(d);
}

static void test_v2_unset_limits_are_not_written(void **state)
{
    static const char *const files[] = { "memory.max", "cpu.max", "cpu.weight", "pids.max", NULL };
    struct osbox_resources r;
    char *d = fake_dir("/u", files);
    (void)state;
    osbox_resources_init(&r);
    assert_int_equal(cg2_apply(d, &r, &err), 0);
    assert_file(d, "memory.max", "");
    assert_file(d, "cpu.max", "");
    assert_file(d, "cpu.weight", "");
    assert_file(d, "pids.max", "");
    /* a finite swap limit without memory.swap.max (no swap accounting) is an error */
    r.memory_limit = 32 << 20;
    r.memory_swap = 64 << 20;
    assert_int_equal(cg2_apply(d, &r, &err), -1);
    assert_non_null(strstr(err.msg, "memory.swap.max"));
    /* unlimited swap there is simply the default */
    r.memory_swap = -1;
    assert_int_equal(cg2_apply(d, &r, &err), 0);
    /* so is Docker's default for -m alone: memory only, like Docker (which warns) */
    r.memory_swap = 0;
    resources_default_swap(&r);
    assert_int_equal(cg2_apply(d, &r, &err), 0);
    assert_file(d, "memory.max", "33554432");
    free(d);
}

static void test_v1_limits(void **state)
{
    static const char *const mem[] = { "memory.limit_in_bytes", "memory.memsw.limit_in_bytes",
                                       "memory.oom_control", NULL };
    static const char *const cpu[] = { "cpu.cfs_period_us", "cpu.cfs_quota_us", "cpu.shares", NULL };
    static const char *const pids[] = { "pids.max", NULL };
    struct osbox_resources r;
    char *m = fake_dir("/memory/c", mem), *c = fake_dir("/cpu/c", cpu), *p = fake_dir("/pids/c", pids);
    (void)state;
    osbox_resources_init(&r);
    assert_int_equal(resources_set_memory(&r, "32m", &err), 0);
    assert_int_equal(resources_set_memory_swap(&r, "-1", &err), 0);
    assert_int_equal(resources_cpus_to_quota("0.5", 2, &r.cpu_quota_us, &r.cpu_period_us, &err), 0);
    assert_int_equal(resources_set_cpu_weight(&r, "100", &err), 0);
    assert_int_equal(resources_set_pids_limit(&r, "20", &err), 0);
    /* each hierarchy gets only its own controller's files */
    assert_int_equal(cg1_apply(m, "memory", &r, &err), 0);
    assert_int_equal(cg1_apply(c, "cpu,cpuacct", &r, &err), 0);
    assert_int_equal(cg1_apply(p, "pids", &r, &err), 0);
    assert_file(m, "memory.limit_in_bytes", "33554432");
    assert_file(m, "memory.memsw.limit_in_bytes", "-1");
    /* -m alone: memory+swap twice the memory (Docker), where swap is accounted ... */
    r.memory_swap = 0;
    resources_default_swap(&r);
    assert_int_equal(cg1_apply(m, "memory", &r, &err), 0);
    assert_file(m, "memory.memsw.limit_in_bytes", "67108864");
    /* ... and skipped, not an error, where it is not; an explicit limit still is one */
    char *nosw = fake_dir("/memory/nosw", (const char *const[]){ "memory.limit_in_bytes", NULL });
    assert_int_equal(cg1_apply(nosw, "memory", &r, &err), 0);
    assert_file(nosw, "memory.limit_in_bytes", "33554432");
    r.memory_swap_default = false;
    assert_int_equal(cg1_apply(nosw, "memory", &r, &err), -1);
    assert_non_null(strstr(err.msg, "memory.memsw.limit_in_bytes"));
    free(nosw);
    assert_file(c, "cpu.cfs_period_us", "100000");
    assert_file(c, "cpu.cfs_quota_us", "50000");
    assert_file(c, "cpu.shares", "2597");           /* weight 100 on the v1 scale */
    assert_file(p, "pids.max", "20");
    /* an OOM killer switched off in the parent is switched back on */
    put(m, "memory.oom_control", "oom_kill_disable 1\nunder_oom 0\n");
    assert_int_equal(cg1_prepare(m, root, "memory", &err), 0);
    char *oc = get(m, "memory.oom_control");
    assert_int_equal(oc[0], '0'); /* "0" written over the start of the fake file */
    free(oc);
    /* already on: nothing written */
    put(m, "memory.oom_control", "oom_kill_disable 0\n");
    assert_int_equal(cg1_prepare(m, root, "memory", &err), 0);
    assert_file(m, "memory.oom_control", "oom_kill_disable 0\n");
    free(m);
    free(c);
    free(p);
}

/* A new v1 cpuset has no CPUs or memory nodes: copy them from the parent. */
static void test_v1_cpuset_copied_from_parent(void **state)
{
    static const char *const files[] = { "cpuset.cpus", "cpuset.mems", NULL };
    char *parent = fake_dir("/cpuset", files), *child = fake_dir("/cpuset/c", files);
    (void)state;
    put(parent, "cpuset.cpus", "0-3\n");
    put(parent, "cpuset.mems", "0\n");
    assert_int_equal(cg1_prepare(child, parent, "cpuset", &err), 0);
    assert_file(child, "cpuset.cpus", "0-3");
    assert_file(child, "cpuset.mems", "0");
    /* already set: left alone */
    put(child, "cpuset.cpus", "1\n");
    assert_int_equal(cg1_prepare(child, parent, "cpuset", &err), 0);
    assert_file(child, "cpuset.cpus", "1\n");
    free(parent);
    free(child);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_v2_enable_down_the_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v2_already_enabled_is_not_rewritten, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v2_refuses_cgroup_with_processes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v2_place_decision, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v2_delegate_mark, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v2_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v2_unset_limits_are_not_written, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v1_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v1_cpuset_copied_from_parent, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
