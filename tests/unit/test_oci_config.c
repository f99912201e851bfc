/* config.json -> struct oci_config: fields land where the runtime reads
 * them, unknown fields are ignored, malformed ones are named. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "runtime/oci/oci.h"
#include "runtime/security/security.h"
#include "util.h"

static char bundle[] = "/tmp/osbox-oci-unit.XXXXXX";

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(bundle))
        return -1;
    char *rootfs = osbox_strdup_printf("%s/rootfs", bundle);
    int rc = mkdir(rootfs, 0755);
    free(rootfs);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    return osbox_rm_rf(bundle, NULL);
}

/* Parse the default config with `edit` applied (a JSON object merged at the top). */
static int parse(const char *edit, struct oci_config *c, struct osbox_err *err)
{
    json_t *doc = oci_default_config();
    int rc;

    if (edit) {
        json_t *e = json_loads(edit, 0, NULL);
        assert_non_null(e);
        json_object_update(doc, e);
        json_decref(e);
    }
    osbox_err_clear(err);
    rc = oci_config_from_json(doc, bundle, c, err);
    json_decref(doc);
    return rc;
}

static void expect_error(const char *edit, const char *needle)
{
    struct oci_config c;
    struct osbox_err err;

    assert_int_equal(parse(edit, &c, &err), -1);
    if (!strstr(err.msg, needle))
        fail_msg("error '%s' does not name '%s'", err.msg, needle);
    oci_config_free(&c);
}

static void test_default_config(void **state)
{
    struct oci_config c;
    struct osbox_err err;

    (void)state;
    assert_int_equal(parse(NULL, &c, &err), 0);
    assert_string_equal(c.spec.process.args[0], "sh");
    assert_string_equal(c.spec.process.cwd, "/");
    assert_true(c.spec.root.readonly);
    assert_non_null(strstr(c.spec.root.path, "/rootfs"));
    assert_string_equal(c.spec.hostname, "osbox");
    assert_int_equal(c.spec.n_mounts, 6);
    assert_string_equal(c.spec.mounts[0].destination, "/proc");
    assert_true(c.spec.mounts[5].flags & MS_RDONLY);
    assert_true(c.spec.namespaces & OSBOX_NS_PID);
    assert_true(c.spec.namespaces & OSBOX_NS_NET);
    assert_false(c.spec.namespaces & OSBOX_NS_TIME);
    assert_true(c.spec.security.no_new_privs);
    assert_true(c.spec.security.caps & CAP_BIT(5)); /* CAP_KILL */
    assert_false(c.spec.security.caps & CAP_BIT(21)); /* CAP_SYS_ADMIN */
    assert_int_equal(c.spec.security.seccomp_mode, OSBOX_SECCOMP_UNCONFINED);
    assert_int_equal(c.n_rlimits, 1);
    assert_int_equal(c.rlimits[0].resource, RLIMIT_NOFILE);
    assert_string_equal(c.spec.security.masked_paths[0], "/proc/acpi");
    oci_config_free(&c);
}

static void test_fields(void **state)
{
    struct oci_config c;
    struct osbox_err err;

    (void)state;
    assert_int_equal(parse("{\"hooks\": {\"prestart\": [{\"path\": \"/bin/true\", \"timeout\": 5}]},"
                           " \"linux\": {\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"pid\"}],"
                           "   \"resources\": {\"memory\": {\"limit\": 33554432}, \"cpu\": {\"quota\": 50000},"
                           "   \"pids\": {\"limit\": 20}}, \"sysctl\": {\"kernel.shmmax\": \"1000\"},"
                           "   \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\"}, \"futureThing\": 1},"
                           " \"mounts\": [{\"destination\": \"/data\", \"source\": \"data\","
                           "   \"options\": [\"rbind\", \"ro\", \"size=1k\"]}],"
                           " \"annotations\": {\"k\": \"v\"}, \"somethingNew\": [1, 2]}",
                           &c, &err), 0);
    assert_int_equal(c.n_hooks[OCI_HOOK_PRESTART], 1);
    assert_int_equal(c.hooks[OCI_HOOK_PRESTART][0].timeout, 5);
    assert_int_equal(c.spec.namespaces, OSBOX_NS_MOUNT | OSBOX_NS_PID);
    assert_int_equal(c.spec.net.mode, OSBOX_NET_HOST); /* no network namespace: the host's */
    assert_int_equal(c.spec.resources.memory_limit, 33554432);
    assert_int_equal(c.spec.resources.cpu_quota_us, 50000);
    assert_int_equal(c.spec.resources.cpu_period_us, 100000);
    assert_int_equal(c.spec.resources.pids_limit, 20);
    assert_string_equal(c.sysctl[0], "kernel.shmmax=1000");
    assert_int_equal(c.spec.security.seccomp_mode, OSBOX_SECCOMP_CUSTOM);
    assert_non_null(c.spec.security.seccomp);
    assert_null(c.spec.security.masked_paths); /* linux without maskedPaths: none */
    assert_int_equal(c.spec.n_mounts, 1);
    assert_string_equal(c.spec.mounts[0].type, "bind");
    assert_true(c.spec.mounts[0].flags & MS_BIND);
    assert_true(c.spec.mounts[0].flags & MS_REC);
    assert_true(c.spec.mounts[0].flags & MS_RDONLY);
    assert_string_equal(c.spec.mounts[0].data, "size=1k");
    assert_non_null(strstr(c.spec.mounts[0].source, "/data")); /* relative to the bundle */
    assert_string_equal(json_string_value(json_object_get(c.annotations, "k")), "v");
    oci_config_free(&c);
}

/* The five capability sets land as given; linux.devices become nodes to make. */
static void test_caps_and_devices(void **state)
{
    struct oci_config c;
    struct osbox_err err;
    const struct osbox_cap_sets *cs = &c.spec.security.cap_sets;

    (void)state;
    assert_int_equal(parse("{\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"capabilities\": {"
                           "  \"bounding\": [\"CAP_KILL\", \"CAP_CHOWN\"], \"effective\": [\"CAP_CHOWN\"],"
                           "  \"permitted\": [\"CAP_KILL\", \"CAP_CHOWN\"], \"inheritable\": [\"CAP_KILL\"],"
                           "  \"ambient\": [\"CAP_KILL\"]}},"
                           " \"linux\": {\"namespaces\": [{\"type\": \"mount\"}], \"devices\": ["
                           "  {\"path\": \"/dev/fake\", \"type\": \"c\", \"major\": 10, \"minor\": 666,"
                           "   \"fileMode\": 384, \"uid\": 7, \"gid\": 8}]}}",
                           &c, &err), 0);
    assert_true(c.spec.security.has_cap_sets);
    assert_int_equal(c.spec.security.caps & (CAP_BIT(0) | CAP_BIT(5)), CAP_BIT(0) | CAP_BIT(5));
    assert_int_equal(cs->effective, CAP_BIT(0) & ~caps_unavailable(CAP_BIT(0)));
    assert_int_equal(cs->inheritable, CAP_BIT(5) & ~caps_unavailable(CAP_BIT(5)));
    assert_int_equal(cs->ambient, cs->inheritable);
    assert_int_equal(c.spec.security.n_devices, 1);
    assert_string_equal(c.spec.security.devices[0].path, "/dev/fake");
    assert_int_equal(c.spec.security.devices[0].mode, S_IFCHR | 0600);
    assert_int_equal(c.spec.security.devices[0].rdev, makedev(10, 666));
    assert_int_equal(c.spec.security.devices[0].uid, 7);
    assert_int_equal(c.spec.security.devices[0].gid, 8);
    assert_int_equal(c.spec.n_mounts, 6); /* the default ones: no bind of a host node */
    oci_config_free(&c);
    expect_error("{\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"capabilities\": {\"ambient\": [\"CAP_NOPE\"]}}}",
                 "process.capabilities.ambient: unknown capability 'CAP_NOPE'");
    expect_error("{\"linux\": {\"namespaces\": [{\"type\": \"mount\"}], \"devices\": [{\"path\": \"/dev/x\","
                 " \"type\": \"c\", \"major\": 1, \"minor\": 3, \"fileMode\": 99999}]}}",
                 "linux.devices[0]");
}

static void test_bad_fields(void **state)
{
    (void)state;
    expect_error("{\"ociVersion\": \"2.0.0\"}", "ociVersion");
    expect_error("{\"ociVersion\": 1}", "ociVersion");
    expect_error("{\"process\": {\"args\": [], \"cwd\": \"/\"}}", "process.args");
    expect_error("{\"process\": {\"args\": [\"sh\", 3], \"cwd\": \"/\"}}", "process.args[1]");
    expect_error("{\"process\": {\"args\": [\"sh\"], \"cwd\": \"tmp\"}}", "process.cwd");
    expect_error("{\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"user\": {\"uid\": -1}}}", "process.user.uid");
    expect_error("{\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"capabilities\": {\"bounding\": [\"CAP_NOPE\"]}}}", "CAP_NOPE");
    expect_error("{\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"rlimits\": [{\"type\": \"RLIMIT_X\", \"soft\": 1, \"hard\": 1}]}}", "RLIMIT_X");
    expect_error("{\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"terminal\": \"yes\"}}", "process.terminal");
    expect_error("{\"root\": {\"path\": \"missing\"}}", "root.path");
    expect_error("{\"root\": \"rootfs\"}", "root");
    expect_error("{\"mounts\": [{\"destination\": \"rel\", \"type\": \"tmpfs\"}]}", "mounts[0].destination");
    expect_error("{\"mounts\": {}}", "mounts");
    expect_error("{\"hooks\": {\"poststop\": [{\"path\": \"rel\"}]}}", "hooks.poststop[0].path");
    expect_error("{\"linux\": {\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"net\"}]}}", "unknown namespace 'net'");
    expect_error("{\"linux\": {\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"user\"}]}}", "user namespaces");
    expect_error("{\"linux\": {\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"ipc\", \"path\": \"/nonexistent/ns\"}]}}", "/nonexistent/ns");
    expect_error("{\"linux\": {\"namespaces\": [{\"type\": \"pid\"}]}}", "mount namespace");
    expect_error("{\"linux\": {\"resources\": {\"memory\": {\"limit\": \"1g\"}}}}", "linux.resources.memory.limit");
    expect_error("{\"linux\": {\"resources\": {\"pids\": []}}}", "linux.resources.pids");
    expect_error("{\"linux\": {\"resources\": {\"blockIO\": {\"weight\": 5}}}}", "blockIO.weight");
    expect_error("{\"linux\": {\"sysctl\": {\"kernel.shmmax\": 5}}}", "linux.sysctl.kernel.shmmax");
    expect_error("{\"linux\": {\"seccomp\": {\"syscalls\": []}}}", "linux.seccomp");
}

/* What `osbox run` builds survives config.json: written by oci_config_to_json,
 * read back by the parser the OCI CLI uses. */
static void test_saved_spec_round_trip(void **state)
{
    struct osbox_spec in;
    struct oci_config c;
    struct osbox_err err;
    json_t *doc;

    (void)state;
    osbox_err_clear(&err);
    osbox_spec_init(&in);
    osbox_strv_push(&in.root.layers, "/store/layers/a");
    osbox_strv_push(&in.root.layers, "/store/layers/b");
    osbox_strv_push(&in.process.args, "sh");
    osbox_strv_push(&in.process.args, "-c");
    osbox_strv_push(&in.process.args, "echo 'a b'");
    osbox_strv_push(&in.process.env, "PATH=/bin");
    osbox_strv_push(&in.process.env, "FROM_ENV_FILE=1");
    in.process.cwd = osbox_xstrdup("/work");
    in.process.user = osbox_xstrdup("nobody:users");
    in.process.stdin_open = true;
    in.hostname = osbox_xstrdup("c1");
    in.root.readonly = true;
    in.namespaces = OSBOX_NS_ALL;
    in.resources.memory_limit = 64 << 20;
    in.resources.memory_swap = -1;
    in.resources.cpu_quota_us = 50000;
    in.resources.cpu_period_us = 100000;
    in.resources.cpu_weight = 50;
    in.resources.pids_limit = 30;
    in.cgroup_parent = osbox_xstrdup("/osbox-test");
    osbox_net_set_mode(&in.net, "bridge", &err);
    osbox_net_set_ip(&in.net, "10.88.0.9", &err);
    osbox_net_set_mac(&in.net, "02:00:00:00:00:09", &err);
    osbox_net_add_dns(&in.net, "10.0.0.1", &err);
    osbox_net_add_host(&in.net, "db:10.0.0.2", &err);
    assert_int_equal(osbox_net_add_publish(&in.net, "127.0.0.1:8080:80/udp", &err), 0);
    in.net.name = osbox_xstrdup("c1");
    in.security.userns_uid = in.security.userns_gid = 100000;
    in.security.userns_size = 65536;
    osbox_caps_update(&in.security.caps, "NET_ADMIN", true, &err);
    osbox_spec_add_default_mounts(&in);
    osbox_spec_add_mount(&in, "/etc/hostname", "bind", "/x/hostname", MS_BIND | MS_REC, NULL);
    doc = oci_config_to_json(&in, "sha256:abc");
    assert_non_null(doc);
    assert_int_equal(oci_config_from_json(doc, bundle, &c, &err), 0);
    json_decref(doc);
    assert_null(c.spec.root.path);
    assert_string_equal(c.spec.root.layers[1], "/store/layers/b");
    assert_true(c.spec.root.readonly);
    assert_string_equal(c.spec.process.args[2], "echo 'a b'");
    assert_string_equal(c.spec.process.env[1], "FROM_ENV_FILE=1");
    assert_string_equal(c.spec.process.cwd, "/work");
    assert_string_equal(c.spec.process.user, "nobody:users");
    assert_true(c.spec.process.stdin_open);
    assert_false(c.spec.process.terminal);
    assert_string_equal(c.spec.hostname, "c1");
    assert_int_equal(c.spec.namespaces, OSBOX_NS_ALL);
    assert_int_equal(c.spec.resources.memory_limit, 64 << 20);
    assert_int_equal(c.spec.resources.memory_swap, -1);
    assert_int_equal(c.spec.resources.cpu_quota_us, 50000);
    assert_int_equal((int)c.spec.resources.cpu_weight, 50);
    assert_int_equal(c.spec.resources.pids_limit, 30);
    assert_string_equal(c.spec.cgroup_parent, "/osbox-test");
    assert_int_equal(c.spec.net.mode, OSBOX_NET_BRIDGE);
    assert_true(c.spec.net.has_ip && c.spec.net.has_mac);
    assert_int_equal(c.spec.net.mac[5], 9);
    assert_string_equal(c.spec.net.dns[0], "10.0.0.1");
    assert_string_equal(c.spec.net.add_hosts[0], in.net.add_hosts[0]);
    assert_int_equal(c.spec.net.n_ports, 1);
    assert_int_equal(c.spec.net.ports[0].host_port, 8080);
    assert_int_equal(c.spec.net.ports[0].proto, in.net.ports[0].proto);
    assert_int_equal(c.spec.net.ports[0].host_ip.s_addr, in.net.ports[0].host_ip.s_addr);
    assert_string_equal(c.spec.net.name, "c1");
    assert_true(c.spec.security.caps == in.security.caps);
    assert_true(c.spec.security.no_new_privs);
    assert_int_equal(c.spec.security.seccomp_mode, OSBOX_SECCOMP_DEFAULT);
    assert_int_equal((int)c.spec.security.userns_size, 65536);
    assert_int_equal(osbox_strv_len(c.spec.security.masked_paths),
                     osbox_strv_len(in.security.masked_paths));
    assert_int_equal(c.spec.n_mounts, in.n_mounts);
    for (size_t i = 0; i < in.n_mounts; i++) {
        assert_string_equal(c.spec.mounts[i].destination, in.mounts[i].destination);
        assert_string_equal(c.spec.mounts[i].type, in.mounts[i].type);
        assert_string_equal(c.spec.mounts[i].source, in.mounts[i].source);
        assert_int_equal(c.spec.mounts[i].flags, in.mounts[i].flags);
        if (in.mounts[i].data)
            assert_string_equal(c.spec.mounts[i].data, in.mounts[i].data);
        else
            assert_null(c.spec.mounts[i].data);
    }
    assert_string_equal(json_string_value(json_object_get(c.annotations, OCI_ANNOTATION_IMAGE_DIGEST)),
                        "sha256:abc");
    oci_config_free(&c);

    /* --network host, a custom seccomp profile, unconfined. */
    osbox_net_spec_free(&in.net);
    memset(&in.net, 0, sizeof in.net);
    osbox_net_set_mode(&in.net, "host", &err);
    in.namespaces &= ~(unsigned)OSBOX_NS_NET;
    in.security.seccomp_mode = OSBOX_SECCOMP_CUSTOM;
    in.security.seccomp_profile = json_pack("{s:s}", "defaultAction", "SCMP_ACT_ALLOW");
    doc = oci_config_to_json(&in, NULL);
    assert_int_equal(oci_config_from_json(doc, bundle, &c, &err), 0);
    json_decref(doc);
    assert_int_equal(c.spec.net.mode, OSBOX_NET_HOST);
    assert_int_equal(c.spec.security.seccomp_mode, OSBOX_SECCOMP_CUSTOM);
    assert_non_null(c.spec.security.seccomp);
    assert_null(json_object_get(c.annotations, OCI_ANNOTATION_IMAGE_DIGEST));
    oci_config_free(&c);
    in.security.seccomp_mode = OSBOX_SECCOMP_UNCONFINED;
    doc = oci_config_to_json(&in, NULL);
    assert_int_equal(oci_config_from_json(doc, bundle, &c, &err), 0);
    json_decref(doc);
    assert_int_equal(c.spec.security.seccomp_mode, OSBOX_SECCOMP_UNCONFINED);
    assert_null(c.spec.security.seccomp);
    oci_config_free(&c);
    osbox_spec_free(&in);

    /* Neither root.path nor osbox.layers: refused, named. */
    expect_error("{\"root\": {\"readonly\": true}}", "root.path");
}

static void test_state_dir_ids(void **state)
{
    char *dir = NULL;
    struct osbox_err err;
    char a[65], b[65];

    (void)state;
    assert_int_equal(oci_state_dir("/r", "abc-1.2_x+y", &dir, &err), 0);
    assert_string_equal(dir, "/r/abc-1.2_x+y");
    free(dir);
    assert_int_equal(oci_state_dir("/r", "../x", &dir, &err), -1);
    assert_int_equal(oci_state_dir("/r", ".hidden", &dir, &err), -1);
    assert_int_equal(oci_state_dir("/r", "a/b", &dir, &err), -1);
    assert_int_equal(oci_state_dir("/r", "", &dir, &err), -1);
    oci_runtime_id("/r/a", a);
    oci_runtime_id("/r/b", b);
    assert_int_equal(strlen(a), 64);
    assert_string_not_equal(a, b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_config),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_bad_fields),
        cmocka_unit_test(test_caps_and_devices),
        cmocka_unit_test(test_saved_spec_round_trip),
        cmocka_unit_test(test_state_dir_ids),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
