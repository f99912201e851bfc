/* Unit tests for cgroup layout detection (runtime/cgroup/cgroup_detect.c) from
 * recorded /proc/self/mountinfo and /proc/self/cgroup files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/cgroup/cgroup_internal.h"

static struct osbox_err err;
static char mi_path[] = "/tmp/osbox-cgdetect-mi-XXXXXX";
static char cg_path[] = "/tmp/osbox-cgdetect-cg-XXXXXX";

static void put(char *tmpl, const char *text)
{
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static int load(struct cg_layout *l, const char *mountinfo, const char *cgroup)
{
    int rc;
    strcpy(mi_path, "/tmp/osbox-cgdetect-mi-XXXXXX");
    strcpy(cg_path, "/tmp/osbox-cgdetect-cg-XXXXXX");
    put(mi_path, mountinfo);
    put(cg_path, cgroup);
    rc = cg_layout_from(l, mi_path, cg_path, &err);
    unlink(mi_path);
    unlink(cg_path);
    return rc;
}

static const struct cg_hier *find(const struct cg_layout *l, const char *ctrls)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->h[i].ctrls, ctrls) == 0)
            return &l->h[i];
    return NULL;
}

/* This machine's layout: v1 controllers each on its own, cgroup2 with only hugetlb. */
static void test_hybrid(void **state)
{
    struct cg_layout l;
    const struct cg_hier *h;
    (void)state;
    assert_int_equal(load(&l,
        "25 1 0:22 / / rw - ext4 /dev/vda rw\n"
        "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
        "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
        "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
        "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
        "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
        "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
        "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n",
        "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/948d\n2:cpuacct:/\n1:cpu:/\n0::/\n"), 0);
    assert_int_equal(l.mode, OSBOX_CGROUP_HYBRID);
    assert_int_equal(l.n, 5); /* name=systemd is not ours */
    h = find(&l, "memory");
    assert_non_null(h);
    assert_string_equal(h->mnt, "/sys/fs/cgroup/memory");
    assert_string_equal(h->own, "/process_api/948d");
    char *d = cg_hier_dir(h, "/process_api/948d/osbox-x");
    assert_string_equal(d, "/sys/fs/cgroup/memory/process_api/948d/osbox-x");
    free(d);
    h = find(&l, "");
    assert_non_null(h);
    assert_true(h->v2);
    assert_string_equal(h->mnt, "/sys/fs/cgroup/unified");
    assert_string_equal(h->own, "/");
    d = cg_hier_dir(h, "/");
    assert_string_equal(d, "/sys/fs/cgroup/unified");
    free(d);
    cg_layout_free(&l);
}

/* systemd on pure v2, osbox as a service. */
static void test_v2(void **state)
{
    struct cg_layout l;
    (void)state;
    assert_int_equal(load(&l,
        "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n",
        "0::/system.slice/osbox.service\n"), 0);
    assert_int_equal(l.mode, OSBOX_CGROUP_V2);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.h[0].own, "/system.slice/osbox.service");
    assert_string_equal(l.h[0].mnt, "/sys/fs/cgroup");
    cg_layout_free(&l);
}

/* Pure v1 with co-mounted controllers listed in another order in /proc/self/cgroup,
 * a duplicate mount, and an escaped space in a mount point. */
static void test_v1(void **state)
{
    struct cg_layout l;
    const struct cg_hier *h;
    (void)state;
    assert_int_equal(load(&l,
        "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
        "33 31 0:29 / /mnt/again rw - cgroup cgroup rw,cpu,cpuacct\n"
        "34 31 0:30 / /sys/fs/cgroup/my\\040memory rw shared:9 - cgroup cgroup rw,memory,clone_children\n",
        "5:cpuacct,cpu:/user.slice\n3:memory:/user.slice/session-1.scope\n"), 0);
    assert_int_equal(l.mode, OSBOX_CGROUP_V1);
    assert_int_equal(l.n, 2);
    h = find(&l, "cpu,cpuacct");
    assert_non_null(h);
    assert_string_equal(h->mnt, "/sys/fs/cgroup/cpu,cpuacct");
    assert_string_equal(h->own, "/user.slice");
    assert_true(cg_has_ctrl(h->ctrls, "cpuacct"));
    assert_false(cg_has_ctrl(h->ctrls, "cpuset"));
    h = find(&l, "memory");
    assert_non_null(h);
    assert_string_equal(h->mnt, "/sys/fs/cgroup/my memory");
    assert_string_equal(h->own, "/user.slice/session-1.scope");
    cg_layout_free(&l);
}

/* Inside a container: the mount shows only a subtree; paths outside it are unreachable. */
static void test_mount_root(void **state)
{
    struct cg_layout l;
    char *d;
    (void)state;
    assert_int_equal(load(&l,
        "40 31 0:38 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", "0::/docker/abc\n"), 0);
    assert_int_equal(l.mode, OSBOX_CGROUP_V2);
    d = cg_hier_dir(&l.h[0], "/docker/abc/osbox-1");
    assert_string_equal(d, "/sys/fs/cgroup/osbox-1");
    free(d);
    assert_null(cg_hier_dir(&l.h[0], "/docker/abcd"));
    assert_null(cg_hier_dir(&l.h[0], "/other"));
    cg_layout_free(&l);
}

static void test_none(void **state)
{
    struct cg_layout l;
    (void)state;
    assert_int_equal(load(&l, "25 1 0:22 / / rw - ext4 /dev/vda rw\n"
                              "40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd\n",
                          "1:name=systemd:/\n"), -1);
    assert_non_null(strstr(err.msg, "no cgroup filesystem"));
    assert_int_equal(cg_layout_from(&l, "/nonexistent/mountinfo", "/proc/self/cgroup", &err), -1);
    assert_non_null(strstr(err.msg, "/nonexistent/mountinfo"));
}

static void test_real_host(void **state)
{
    enum osbox_cgroup_mode m;
    (void)state;
    /* Whatever the host is, detection must succeed where /sys/fs/cgroup is mounted. */
    if (access("/sys/fs/cgroup", F_OK) != 0)
        skip();
    assert_int_equal(cgroup_detect(&m, &err), 0);
    assert_true(m == OSBOX_CGROUP_V2 || m == OSBOX_CGROUP_V1 || m == OSBOX_CGROUP_HYBRID);
    assert_non_null(cgroup_mode_name(m));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hybrid),
        cmocka_unit_test(test_v2),
        cmocka_unit_test(test_v1),
        cmocka_unit_test(test_mount_root),
        cmocka_unit_test(test_none),
        cmocka_unit_test(test_real_host),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
