/* Unit tests for the runtime's pure parts: spec helpers, PATH lookup, the
 * parent/child messages, the container record and name reservation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/core/internal.h"
#include "util.h"

static char tmpdir[64];

static int make_tmp(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/osbox-unit-rt.XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    setenv("OSBOX_ROOT", tmpdir, 1);
    return 0;
}

static int remove_tmp(void **state)
{
    struct osbox_err err;
    (void)state;
    osbox_rm_rf(tmpdir, &err);
    return 0;
}

static void test_env_set_replaces(void **state)
{
    char **env = NULL;
    (void)state;
    osbox_env_set(&env, "PATH=/bin");
    osbox_env_set(&env, "A=1");
    osbox_env_set(&env, "PATH=/usr/bin");
    osbox_env_set(&env, "AB=2");
    assert_int_equal(osbox_strv_len(env), 3);
    assert_string_equal(osbox_env_get(env, "PATH"), "/usr/bin");
    assert_string_equal(osbox_env_get(env, "A"), "1");
    assert_string_equal(osbox_env_get(env, "AB"), "2");
    assert_null(osbox_env_get(env, "B"));
    osbox_strv_free(env);
}

static void test_spec_defaults(void **state)
{
    struct osbox_spec spec;
    bool proc = false, dev = false, sys_ro = false;
    (void)state;
    osbox_spec_init(&spec);
    assert_int_equal(spec.namespaces, OSBOX_NS_ALL);
    assert_int_equal(spec.resources.memory_limit, -1);
    osbox_spec_add_default_mounts(&spec);
    for (size_t i = 0; i < spec.n_mounts; i++) {
        const struct osbox_mount *m = &spec.mounts[i];
        proc |= !strcmp(m->destination, "/proc") && !strcmp(m->type, "proc");
        /* /dev must come before what is mounted inside it. */
        if (!strncmp(m->destination, "/dev/", 5))
            assert_true(dev);
        dev |= !strcmp(m->destination, "/dev") && !strcmp(m->type, "tmpfs");
        sys_ro |= !strcmp(m->destination, "/sys") && (m->flags & MS_RDONLY);
    }
    assert_true(proc && dev && sys_ro);
    osbox_spec_free(&spec);
}

static void touch(const char *path, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd >= 0);
    close(fd);
    chmod(path, mode);
}

static void test_exec_find(void **state)
{
    struct osbox_err err;
    char *found = NULL;
    _cleanup_free_ char *a = osbox_strdup_printf("%s/a", tmpdir);
    _cleanup_free_ char *b = osbox_strdup_printf("%s/b", tmpdir);
    _cleanup_free_ char *path = osbox_strdup_printf("%s:%s", a, b);
    _cleanup_free_ char *ta = osbox_strdup_printf("%s/tool", a);
    _cleanup_free_ char *tb = osbox_strdup_printf("%s/tool", b);
    _cleanup_free_ char *noexec = osbox_strdup_printf("%s/data", a);
    (void)state;
    mkdir(a, 0755);
    mkdir(b, 0755);
    touch(ta, 0644); /* first on PATH but not executable: skipped */
    touch(tb, 0755);
    touch(noexec, 0644);
    osbox_err_clear(&err);
    assert_int_equal(exec_find("tool", path, &found, &err), 0);
    assert_string_equal(found, tb);
    free(found);
    assert_int_equal(exec_find("missing", path, &found, &err), -1);
    assert_int_equal(err.exit_status, 127);
    assert_non_null(strstr(err.msg, "executable file not found in $PATH"));
    assert_int_equal(exec_find("data", path, &found, &err), -1);
    assert_int_equal(err.exit_status, 126);
    assert_int_equal(exec_find(noexec, NULL, &found, &err), -1);
    assert_int_equal(err.exit_status, 126);
    assert_int_equal(exec_find(a, NULL, &found, &err), -1); /* a directory */
    assert_int_equal(err.exit_status, 126);
    assert_int_equal(exec_find("/no/such", NULL, &found, &err), -1);
    assert_int_equal(err.exit_status, 127);
    assert_int_equal(exec_find("", NULL, &found, &err), -1);
    assert_int_equal(err.exit_status, 125);
}

static void test_sync_messages_carry_fds(void **state)
{
    int sv[2], fd = -1;
    struct sync_msg m = { .type = SYNC_ERROR, .exit_status = 127 }, r;
    struct osbox_err err;
    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    snprintf(m.msg, sizeof m.msg, "exec foo: nope");
    assert_int_equal(sync_send(sv[1], &m, -1), 0);
    assert_int_equal(sync_recv(sv[0], &r, &fd), 1);
    assert_int_equal(fd, -1);
    assert_int_equal(r.type, SYNC_ERROR);
    assert_int_equal(r.exit_status, 127);
    assert_string_equal(r.msg, "exec foo: nope");
    m.type = SYNC_PTY;
    assert_int_equal(sync_send(sv[1], &m, 0), 0);
    assert_int_equal(sync_recv(sv[0], &r, &fd), 1);
    assert_true(fd > 2);
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    close(fd);
    osbox_error(&err, ENOENT, "mount proc");
    err.exit_status = 125;
    sync_send_error(sv[1], &err);
    assert_int_equal(sync_recv(sv[0], &r, NULL), 1);
    assert_string_equal(r.msg, "mount proc: No such file or directory");
    close(sv[1]);
    assert_int_equal(sync_recv(sv[0], &r, &fd), 0); /* EOF */
    close(sv[0]);

    /* The child fails and exits without reading our GO: its error must
     * still arrive (not ECONNRESET). */
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    m.type = SYNC_GO;
    assert_int_equal(sync_send(sv[0], &m, -1), 0);
    sync_send_error(sv[1], &err);
    close(sv[1]);
    assert_int_equal(sync_recv(sv[0], &r, NULL), 1);
    assert_int_equal(r.type, SYNC_ERROR);
    assert_int_equal(sync_recv(sv[0], &r, NULL), 0);
    close(sv[0]);
}

static void test_record_roundtrip_and_names(void **state)
{
    struct osbox_record r = { 0 }, back, other = { 0 }, anon = { 0 };
    struct osbox_err err;
    char *cmd[] = { "sh", "-c", "exit 3", NULL };
    (void)state;
    r.name = osbox_xstrdup("web");
    r.image = osbox_xstrdup("busybox:latest");
    r.image_digest = osbox_xstrdup("sha256:abc");
    r.command = osbox_strv_dup(cmd);
    r.auto_remove = true;
    assert_int_equal(state_create_container(&r, &err), 0);
    assert_int_equal(strlen(r.id), 64);
    assert_string_equal(r.status, "creating");
    free(r.status);
    r.status = osbox_xstrdup("exited");
    r.exit_code = 3;
    assert_int_equal(state_write_record(&r, &err), 0);
    assert_int_equal(state_read_record(r.id, &back, &err), 0);
    assert_string_equal(back.name, "web");
    assert_string_equal(back.image_digest, "sha256:abc");
    assert_string_equal(back.status, "exited");
    assert_int_equal(back.exit_code, 3);
    assert_true(back.auto_remove);
    assert_int_equal(osbox_strv_len(back.command), 3);
    assert_string_equal(back.command[2], "exit 3");
    osbox_record_free(&back);

    /* Names are unique while the container exists... */
    other.name = osbox_xstrdup("web");
    assert_int_equal(state_create_container(&other, &err), -1);
    assert_non_null(strstr(err.msg, "already in use"));
    other.name[0] = '-';
    assert_int_equal(state_create_container(&other, &err), -1);
    assert_non_null(strstr(err.msg, "invalid container name"));
    osbox_record_free(&other);
    /* ...a default name is the short id... */
    assert_int_equal(state_create_container(&anon, &err), 0);
    assert_int_equal(strlen(anon.name), 12);
    assert_int_equal(strncmp(anon.name, anon.id, 12), 0);
    assert_int_equal(state_remove_container(anon.id, &err), 0);
    osbox_record_free(&anon);
    /* ...and free again once it is removed. */
    assert_int_equal(state_remove_container(r.id, &err), 0);
    other.name = osbox_xstrdup("web");
    assert_int_equal(state_create_container(&other, &err), 0);
    assert_int_equal(state_remove_container(other.id, &err), 0);
    osbox_record_free(&other);
    osbox_record_free(&r);
}

/* One rule for "is (pid, start time) alive" (core/proc.c): the recorded
 * process itself, not a later one on its pid, and not a zombie. */
static void test_proc_alive_needs_start_time_and_no_zombie(void **state)
{
    int pipefd[2];
    char c;
    pid_t pid;
    unsigned long long start;

    (void)state;
    assert_int_equal(pipe(pipefd), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(pipefd[1]);
        (void)!read(pipefd[0], &c, 1); /* exit when the test closes its end */
        _exit(0);
    }
    close(pipefd[0]);
    start = proc_start_time(pid);
    assert_true(start > 0);
    assert_true(proc_alive(pid, start));
    assert_false(proc_alive(pid, start + 1)); /* a reused pid */
    assert_false(proc_alive(pid, 0));
    assert_false(proc_alive(0, start));
    close(pipefd[1]);
    /* Exited, not reaped yet: still has its start time, but counts as gone. */
    for (int i = 0; i < 2000 && proc_alive(pid, start); i++)
        usleep(1000);
    assert_int_equal(proc_start_time(pid), start);
    assert_false(proc_alive(pid, start));
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    assert_int_equal(proc_start_time(pid), 0);
    assert_false(proc_alive(pid, start));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_env_set_replaces),
        cmocka_unit_test(test_spec_defaults),
        cmocka_unit_test(test_exec_find),
        cmocka_unit_test(test_sync_messages_carry_fds),
        cmocka_unit_test(test_record_roundtrip_and_names),
        cmocka_unit_test(test_proc_alive_needs_start_time_and_no_zombie),
    };
    return cmocka_run_group_tests(tests, make_tmp, remove_tmp);
}
