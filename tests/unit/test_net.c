/* Unit tests for the network code's pure parts: option parsing (-p, --ip,
 * --mac-address, --add-host, --dns, --network), subnets, the lease pool
 * (allocation, --ip checks, reuse, dead holders), /etc files. No netlink or
 * nftables here: those run in tests/integration/network.sh. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/net/net_internal.h"
#include "util.h"

static char tmpdir[64];

static int make_tmp(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/osbox-unit-net.XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    setenv("OSBOX_RUN", tmpdir, 1);
    return 0;
}

static int remove_tmp(void **state)
{
    struct osbox_err err;
    (void)state;
    osbox_rm_rf(tmpdir, &err);
    return 0;
}

static void test_parse_port(void **state)
{
    struct osbox_port p;
    struct osbox_err err;
    (void)state;

    assert_int_equal(net_parse_port("8080:80", &p, &err), 0);
    assert_int_equal(p.proto, IPPROTO_TCP);
    assert_int_equal(p.host_port, 8080);
    assert_int_equal(p.port, 80);
    assert_int_equal(p.host_ip.s_addr, htonl(INADDR_ANY));
    assert_int_equal(net_parse_port("127.0.0.1:53:5353/udp", &p, &err), 0);
    assert_int_equal(p.proto, IPPROTO_UDP);
    assert_int_equal(p.host_port, 53);
    assert_int_equal(p.port, 5353);
    assert_int_equal(p.host_ip.s_addr, htonl(INADDR_LOOPBACK));
    assert_int_equal(net_parse_port("1:65535/tcp", &p, &err), 0);

    const char *bad[] = { "8080", "0:80", "65536:80", "80:x", "a:b:c", "8080:80/sctp",
                          "300.1.1.1:80:80", ":80", "80:", "-1:80", "8080:80/", NULL };
    for (size_t i = 0; bad[i]; i++) {
        osbox_err_clear(&err);
        assert_int_equal(net_parse_port(bad[i], &p, &err), -1);
        assert_non_null(strstr(err.msg, "-p"));
    }
}

static void test_spec_options(void **state)
{
    struct osbox_net_spec n;
    struct osbox_err err;
    (void)state;

    unsetenv("OSBOX_NETWORK");
    osbox_net_spec_init(&n);
    /* The bridge by default for real root (tests run as root on the host),
     * none for a rootless osbox. */
    assert_int_equal(n.mode, geteuid() == 0 ? OSBOX_NET_BRIDGE : OSBOX_NET_NONE);
    assert_int_equal(osbox_net_set_mode(&n, "container:web", &err), 0);
    assert_int_equal(n.mode, OSBOX_NET_CONTAINER);
    assert_string_equal(n.container, "web");
    assert_int_equal(osbox_net_set_mode(&n, "container:", &err), -1);
    assert_int_equal(osbox_net_set_mode(&n, "bogus", &err), -1);
    assert_int_equal(osbox_net_set_mode(&n, "none", &err), 0);
    assert_null(n.container);

    assert_int_equal(osbox_net_set_mac(&n, "02:42:0a:58:00:02", &err), 0);
    assert_int_equal(n.mac[5], 2);
    assert_int_equal(osbox_net_set_mac(&n, "01:42:0a:58:00:02", &err), -1); /* multicast */
    assert_int_equal(osbox_net_set_mac(&n, "02:42:0a:58:00", &err), -1);
    assert_int_equal(osbox_net_set_mac(&n, "02:42:0a:58:00:02:", &err), -1);
    assert_int_equal(osbox_net_add_host(&n, "db:10.0.0.5", &err), 0);
    assert_string_equal(n.add_hosts[0], "10.0.0.5\tdb");
    assert_int_equal(osbox_net_add_host(&n, "v6:::1", &err), 0);
    assert_string_equal(n.add_hosts[1], "::1\tv6");
    assert_int_equal(osbox_net_add_host(&n, "db", &err), -1);
    assert_int_equal(osbox_net_add_host(&n, "b d:1.2.3.4", &err), -1);
    assert_int_equal(osbox_net_add_dns(&n, "1.1.1.1", &err), 0);
    assert_int_equal(osbox_net_add_dns(&n, "1.1.1", &err), -1);
    assert_int_equal(osbox_net_add_publish(&n, "80:80", &err), 0);
    assert_int_equal(osbox_net_add_publish(&n, "80:81", &err), -1); /* twice */
    assert_int_equal(osbox_net_add_publish(&n, "80:81/udp", &err), 0);

    /* Bridge-only options in other modes are refused. */
    assert_int_equal(osbox_net_validate(&n, &err), -1);
    assert_non_null(strstr(err.msg, "needs --network bridge"));
    assert_int_equal(osbox_net_set_mode(&n, "bridge", &err), 0);
    assert_int_equal(osbox_net_validate(&n, &err), 0);
    osbox_net_spec_free(&n);

    setenv("OSBOX_NETWORK", "none", 1);
    osbox_net_spec_init(&n);
    assert_int_equal(n.mode, OSBOX_NET_NONE);
    setenv("OSBOX_NETWORK", "bridge", 1);
    osbox_net_spec_init(&n);
    assert_int_equal(n.mode, OSBOX_NET_BRIDGE);
    setenv("OSBOX_NETWORK", "garbage", 1); /* ignored: the default */
    osbox_net_spec_init(&n);
    assert_int_equal(n.mode, geteuid() == 0 ? OSBOX_NET_BRIDGE : OSBOX_NET_NONE);
    unsetenv("OSBOX_NETWORK");
}

static void test_cidr_and_config(void **state)
{
    struct in_addr a;
    int p;
    struct net_config cfg;
    struct osbox_err err;
    (void)state;

    assert_int_equal(net_parse_cidr("10.88.0.0/16", &a, &p, &err), 0);
    assert_int_equal(p, 16);
    assert_int_equal(net_parse_cidr("10.88.0.1/16", &a, &p, &err), -1);
    assert_non_null(strstr(err.msg, "host bits"));
    assert_int_equal(net_parse_cidr("10.88.0.0", &a, &p, &err), -1);
    assert_int_equal(net_parse_cidr("10.88.0.0/31", &a, &p, &err), -1);
    assert_int_equal(net_parse_cidr("10.88.0.0/7", &a, &p, &err), -1);

    unsetenv("OSBOX_SUBNET");
    assert_int_equal(net_config_get(&cfg, &err), 0);
    assert_string_equal(cfg.bridge, "osbox0");
    assert_string_equal(inet_ntoa(cfg.gateway), "10.88.0.1");
    setenv("OSBOX_SUBNET", "172.30.5.0/24", 1);
    assert_int_equal(net_config_get(&cfg, &err), 0);
    assert_string_equal(inet_ntoa(cfg.gateway), "172.30.5.1");
    assert_int_equal(cfg.prefix, 24);
    setenv("OSBOX_SUBNET", "172.30.5.7/24", 1);
    assert_int_equal(net_config_get(&cfg, &err), -1);
    assert_non_null(strstr(err.msg, "OSBOX_SUBNET"));
    unsetenv("OSBOX_SUBNET");
}

static void test_lease_pool(void **state)
{
    struct lease_store s;
    struct net_config cfg;
    struct osbox_err err;
    struct in_addr a, want;
    (void)state;

    setenv("OSBOX_SUBNET", "10.77.0.0/29", 1); /* hosts .2 .. .6 */
    assert_int_equal(net_config_get(&cfg, &err), 0);
    assert_int_equal(lease_open(&s, &err), 0);
    assert_int_equal(lease_take(&s, &cfg, NULL, "id1", "container", &a, &err), 0);
    assert_string_equal(inet_ntoa(a), "10.77.0.2");
    inet_pton(AF_INET, "10.77.0.5", &want);
    assert_int_equal(lease_take(&s, &cfg, &want, "id2", "container", &a, &err), 0);
    assert_string_equal(inet_ntoa(a), "10.77.0.5");
    assert_int_equal(lease_take(&s, &cfg, &want, "id3", "container", &a, &err), -1);
    assert_non_null(strstr(err.msg, "already in use"));
    inet_pton(AF_INET, "10.77.0.1", &want);
    assert_int_equal(lease_take(&s, &cfg, &want, "id3", "container", &a, &err), -1);
    assert_non_null(strstr(err.msg, "reserved"));
    inet_pton(AF_INET, "10.77.0.7", &want);
    assert_int_equal(lease_take(&s, &cfg, &want, "id3", "container", &a, &err), -1);
    inet_pton(AF_INET, "10.78.0.3", &want);
    assert_int_equal(lease_take(&s, &cfg, &want, "id3", "container", &a, &err), -1);
    assert_non_null(strstr(err.msg, "outside the network 10.77.0.0/29"));
    assert_int_equal(lease_take(&s, &cfg, NULL, "id3", "vm", &a, &err), 0);
    assert_string_equal(inet_ntoa(a), "10.77.0.3");
    assert_int_equal(lease_take(&s, &cfg, NULL, "id4", "vm", &a, &err), 0);
    assert_int_equal(lease_take(&s, &cfg, NULL, "id6", "vm", &a, &err), 0);
    assert_string_equal(inet_ntoa(a), "10.77.0.6");
    assert_int_equal(lease_take(&s, &cfg, NULL, "id7", "vm", &a, &err), -1);
    assert_non_null(strstr(err.msg, "no free address"));
    /* Saved and read back under the lock; a released address is reused. */
    assert_int_equal(lease_save(&s, &err), 0);
    lease_close(&s);
    assert_int_equal(lease_open(&s, &err), 0);
    assert_int_equal(json_array_size(lease_list(&s)), 5);
    assert_true(lease_holder_alive(lease_find(&s, "id1")));
    lease_drop(&s, "id1");
    assert_null(lease_find(&s, "id1"));
    assert_int_equal(lease_take(&s, &cfg, NULL, "id8", "container", &a, &err), 0);
    assert_string_equal(inet_ntoa(a), "10.77.0.2");
    /* A holder that is gone (pid 1's start time is never ours). */
    json_object_set_new(lease_find(&s, "id8"), "holder_pid", json_integer(1));
    assert_false(lease_holder_alive(lease_find(&s, "id8")));
    lease_close(&s);
    unsetenv("OSBOX_SUBNET");
}

static void test_etc_content(void **state)
{
    struct osbox_net_spec n;
    struct osbox_err err;
    char *hosts, *resolv;
    (void)state;

    memset(&n, 0, sizeof n);
    n.mode = OSBOX_NET_NONE;
    assert_int_equal(osbox_net_add_host(&n, "db:10.0.0.5", &err), 0);
    assert_int_equal(net_etc_content(&n, "box", &hosts, &resolv, &err), 0);
    assert_non_null(strstr(hosts, "127.0.0.1\tlocalhost\n"));
    assert_non_null(strstr(hosts, "127.0.1.1\tbox\n"));
    assert_non_null(strstr(hosts, "10.0.0.5\tdb\n"));
    assert_non_null(strstr(resolv, "no name servers"));
    free(hosts);
    free(resolv);
    n.mode = OSBOX_NET_BRIDGE;
    assert_int_equal(osbox_net_add_dns(&n, "10.9.9.9", &err), 0);
    assert_int_equal(net_etc_content(&n, "box", &hosts, &resolv, &err), 0);
    assert_null(strstr(hosts, "127.0.1.1")); /* the bridge address line comes later */
    assert_non_null(strstr(resolv, "nameserver 10.9.9.9\n"));
    free(hosts);
    free(resolv);
    osbox_net_spec_free(&n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_port),
        cmocka_unit_test(test_spec_options),
        cmocka_unit_test(test_cidr_and_config),
        cmocka_unit_test_setup_teardown(test_lease_pool, make_tmp, remove_tmp),
        cmocka_unit_test(test_etc_content),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
