/* seccomp: the built-in profile's decisions (checked by loading it in a
 * forked child and making the calls), JSON profiles and their errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/security/security.h"
#include "util.h"

/* errno of a call: 0 on success. */
static int err_of(long rc)
{
    return rc < 0 ? errno : 0;
}

/* Run the calls under filter f in a child; each result goes through a pipe. */
static void check_under(const struct osbox_seccomp *f, int want[], int n)
{
    int p[2], got[16] = { 0 }, st;
    pid_t pid;
    struct osbox_err err;

    assert_int_equal(pipe(p), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || syscall_filter_install(f, &err) < 0)
            _exit(99);
        got[0] = err_of(syscall(SYS_getpid));
        got[1] = err_of(syscall(SYS_mount, "none", "/nonexistent", "tmpfs", 0, NULL));
        got[2] = err_of(syscall(SYS_clone3, NULL, 0));
        got[3] = err_of(syscall(SYS_socket, 40 /* AF_VSOCK */, SOCK_STREAM, 0));
        got[4] = err_of(syscall(SYS_personality, 0xffffffffUL));
        got[5] = err_of(syscall(SYS_personality, 0x1234UL));
        got[6] = err_of(syscall(SYS_unshare, CLONE_NEWUSER));
        got[7] = err_of(syscall(SYS_unshare, CLONE_FILES));
        got[8] = err_of(syscall(SYS_kexec_load, 0UL, 1000UL, NULL, 0UL));
        got[9] = err_of(syscall(SYS_keyctl, 9999, 0, 0, 0, 0));
        if (write(p[1], got, sizeof got) != (ssize_t)sizeof got)
            _exit(98);
        _exit(0);
    }
    close(p[1]);
    assert_int_equal(read(p[0], got, sizeof got), (ssize_t)sizeof got);
    close(p[0]);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    for (int i = 0; i < n; i++) {
        if (want[i] != got[i])
            fail_msg("call %d: want errno %d, got %d", i, want[i], got[i]);
    }
}

static void test_default_profile_decisions(void **state)
{
    struct osbox_seccomp *f = NULL;
    struct osbox_err err;
    /* getpid, mount, clone3, vsock, personality query, odd persona,
     * new user ns, unshare(CLONE_FILES), kexec_load, keyctl */
    int want[] = { 0, EPERM, ENOSYS, EPERM, 0, EPERM, EPERM, 0, EPERM, EPERM };

    (void)state;
    assert_int_equal(syscall_filter_build_default(caps_docker_default(), &f, &err), 0);
    assert_true(f->prog.len > 100);
    check_under(f, want, 10);
    syscall_filter_free(f);
}

static void test_default_profile_follows_caps(void **state)
{
    struct osbox_seccomp *f = NULL;
    struct osbox_err err;
    /* With CAP_SYS_ADMIN: mount reaches the kernel (ENOENT for the missing
     * target, or EPERM from the kernel when we lack the cap ourselves),
     * clone3 reaches it (EFAULT/EINVAL), new user namespaces too. */
    (void)state;
    assert_int_equal(syscall_filter_build_default(caps_docker_default() | CAP_BIT(CAP_SYS_ADMIN), &f,
                                           &err), 0);
    int p[2], got[2], st;
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    if (pid == 0) {
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || syscall_filter_install(f, &err) < 0)
            _exit(99);
        got[0] = err_of(syscall(SYS_clone3, NULL, 0));
        got[1] = err_of(syscall(SYS_mount, "none", "/nonexistent-osbox", "tmpfs", 0, NULL));
        _exit(write(p[1], got, sizeof got) == (ssize_t)sizeof got ? 0 : 98);
    }
    close(p[1]);
    assert_int_equal(read(p[0], got, sizeof got), (ssize_t)sizeof got);
    close(p[0]);
    waitpid(pid, &st, 0);
    assert_int_not_equal(got[0], ENOSYS);
    assert_int_not_equal(got[1], 0);
    if (geteuid() == 0)
        assert_int_equal(got[1], ENOENT);
    syscall_filter_free(f);
}

static int build(const char *text, char ***warnings, struct osbox_err *err)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    struct osbox_seccomp *f = NULL;
    int rc;

    assert_non_null(j);
    rc = syscall_filter_build_json(j, caps_docker_default(), &f, warnings, err);
    json_decref(j);
    syscall_filter_free(f);
    return rc;
}

static void test_json_profiles(void **state)
{
    struct osbox_err err;
    char **w = NULL;

    (void)state;
    osbox_err_clear(&err);
    assert_int_equal(build("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":1,"
                           "\"archMap\":[{\"architecture\":\"SCMP_ARCH_X86_64\","
                           "\"subArchitectures\":[\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"]}],"
                           "\"syscalls\":[{\"names\":[\"read\",\"write\",\"bogus_call\"],"
                           "\"action\":\"SCMP_ACT_ALLOW\"},"
                           "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\","
                           "\"args\":[{\"index\":0,\"value\":8,\"valueTwo\":0,\"op\":\"SCMP_CMP_EQ\"}]},"
                           "{\"names\":[\"mount\"],\"action\":\"SCMP_ACT_ALLOW\","
                           "\"includes\":{\"caps\":[\"CAP_SYS_ADMIN\"]}}]}",
                           &w, &err), 0);
    assert_int_equal(osbox_strv_len(w), 1);
    assert_string_equal(w[0], "unknown syscall \"bogus_call\" skipped");
    osbox_strv_free(w);
    w = NULL;

    assert_int_equal(build("{\"syscalls\":[]}", &w, &err), -1);
    assert_string_equal(err.msg, "\"defaultAction\" is missing");
    assert_int_equal(build("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
                           "[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_BOOM\"}]}", &w, &err), -1);
    assert_string_equal(err.msg, "syscalls[0]: unknown action \"SCMP_ACT_BOOM\"");
    assert_int_equal(build("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
                           "[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":"
                           "[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_ALMOST\"}]}]}", &w, &err), -1);
    assert_string_equal(err.msg, "syscalls[0]: unknown args[].op \"SCMP_CMP_ALMOST\"");
    assert_int_equal(build("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_PDP11\"]}",
                           &w, &err), -1);
    assert_string_equal(err.msg, "unknown architecture \"pdp11\"");
    assert_int_equal(build("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":{}}", &w, &err), -1);
    assert_int_equal(build("[]", &w, &err), -1);
    assert_null(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_profile_decisions),
        cmocka_unit_test(test_default_profile_follows_caps),
        cmocka_unit_test(test_json_profiles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
