/* The launch message between `osbox vm` and osbox-vmm (vmm/launch.c): a
 * round trip, then every way a message can be wrong, each refused with a
 * message that says what. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/launch.h"

static const char kernel[] = "not really an ELF";
static struct vmm_net nic = { .tap_fd = 42, .mac = { 2, 0x42, 10, 88, 0, 2 } };

static struct vmm_config sample(void)
{
    struct vmm_config cfg = { .mem_size = 64ULL << 20, .ncpus = 2, .seccomp = true,
                              .console_in = 0, .console_out = 1, .cmdline = "console=ttyS0 x=1",
                              .kernel = kernel, .kernel_len = sizeof kernel, .ndisks = 2,
                              .net = &nic };
    cfg.disks[0] = (struct vmm_disk){ .path = "/var/tmp/guest.img" };
    cfg.disks[1] = (struct vmm_disk){ .path = "data.img", .read_only = true };
    return cfg;
}

static const struct vmm_launch_fds sample_fds = { .kernel = 5, .initrd = 6, .tap = 7,
                                                  .disks = { 8, 9 } };

/* An encoded sample: *len bytes, header at the start. */
static struct vmm_launch *encoded(size_t *len)
{
    struct vmm_config cfg = sample();
    struct osbox_err err = { 0 };
    void *msg = NULL;

    assert_int_equal(vmm_launch_encode(&cfg, &sample_fds, &msg, len, &err), 0);
    return msg;
}

/* Decoding m must fail with a message containing want. */
static void refused(const void *m, size_t len, const char *want)
{
    struct vmm_config cfg;
    struct vmm_net net;
    struct vmm_launch_fds fds;
    struct osbox_err err = { 0 };

    assert_int_equal(vmm_launch_decode(m, len, &cfg, &net, &fds, &err), -1);
    if (!strstr(err.msg, want))
        fail_msg("error '%s' does not mention '%s'", err.msg, want);
}

static void test_round_trip(void **state)
{
    (void)state;
    struct vmm_config cfg;
    struct vmm_net net = { 0 };
    struct vmm_launch_fds fds;
    struct osbox_err err = { 0 };
    size_t len;
    struct vmm_launch *m = encoded(&len);

    assert_int_equal(len, sizeof *m + strlen("console=ttyS0 x=1") + 1);
    assert_int_equal(vmm_launch_decode(m, len, &cfg, &net, &fds, &err), 0);
    assert_int_equal(cfg.mem_size, 64ULL << 20);
    assert_int_equal(cfg.ncpus, 2);
    assert_true(cfg.seccomp);
    assert_int_equal(cfg.console_in, 0);
    assert_int_equal(cfg.console_out, 1);
    assert_string_equal(cfg.cmdline, "console=ttyS0 x=1");
    assert_int_equal(cfg.ndisks, 2);
    assert_string_equal(cfg.disks[0].path, "/var/tmp/guest.img");
    assert_int_equal(cfg.disks[0].fd, 8);
    assert_false(cfg.disks[0].read_only);
    assert_string_equal(cfg.disks[1].path, "data.img");
    assert_int_equal(cfg.disks[1].fd, 9);
    assert_true(cfg.disks[1].read_only);
    assert_ptr_equal(cfg.net, &net);
    assert_int_equal(net.tap_fd, 7);
    assert_memory_equal(net.mac, nic.mac, 6);
    assert_int_equal(fds.kernel, 5);
    assert_int_equal(fds.initrd, 6);
    assert_null(cfg.kernel); /* the bytes travel in the kernel fd */
    free(m);

    /* No NIC, no initrd, no console input, no seccomp, no disks. */
    struct vmm_config c2 = sample();
    struct vmm_launch_fds f2 = { .kernel = 5, .initrd = -1, .tap = -1 };
    void *msg;
    c2.net = NULL;
    c2.ndisks = 0;
    c2.seccomp = false;
    c2.console_in = -1;
    c2.cmdline = NULL;
    assert_int_equal(vmm_launch_encode(&c2, &f2, &msg, &len, &err), 0);
    assert_int_equal(vmm_launch_decode(msg, len, &cfg, &net, &fds, &err), 0);
    assert_null(cfg.net);
    assert_false(cfg.seccomp);
    assert_int_equal(cfg.console_in, -1);
    assert_int_equal(fds.initrd, -1);
    assert_string_equal(cfg.cmdline, "");
    free(msg);
}

static void test_bad_size_magic_version(void **state)
{
    (void)state;
    size_t len;
    struct vmm_launch *m = encoded(&len);
    char *big = calloc(1, len + 1);

    refused(m, 0, "shorter than its header");
    refused(m, sizeof *m - 1, "shorter than its header");
    refused(m, len - 1, "a header and a command line");
    memcpy(big, m, len);
    refused(big, len + 1, "a header and a command line"); /* trailing byte */
    m->magic ^= 1;
    refused(m, len, "bad magic");
    m->magic ^= 1;
    m->version = 2;
    refused(m, len, "different builds");
    m->version = VMM_LAUNCH_VERSION;
    m->header_size--;
    refused(m, len, "different builds");
    m->header_size++;
    m->flags |= 1u << 7;
    refused(m, len, "unknown flags");
    free(big);
    free(m);
}

static void test_bad_strings(void **state)
{
    (void)state;
    size_t len;
    struct vmm_launch *m = encoded(&len);
    char *cmdline = (char *)(m + 1);

    cmdline[len - sizeof *m - 1] = 'x'; /* its NUL */
    refused(m, len, "not NUL-terminated");
    cmdline[len - sizeof *m - 1] = '\0';
    cmdline[3] = '\0';
    refused(m, len, "NUL inside");
    cmdline[3] = 's';
    m->cmdline_len = VMM_LAUNCH_CMDLINE_MAX + 1;
    refused(m, len, "command line");
    m->cmdline_len = (uint32_t)(len - sizeof *m - 1);

    memset(m->disks[1].name, 'a', sizeof m->disks[1].name);
    refused(m, len, "disk 1: name empty or not NUL-terminated");
    m->disks[1].name[0] = '\0';
    refused(m, len, "disk 1: name empty");
    free(m);
}

static void test_bad_counts_and_fds(void **state)
{
    (void)state;
    size_t len;
    struct vmm_launch *m = encoded(&len);
    struct vmm_launch saved = *m;

#define TRY(change, want) do { change; refused(m, len, want); *m = saved; } while (0)
    TRY(m->ncpus = 0, "0 vCPUs");
    TRY(m->ncpus = VMM_MAX_CPUS + 1, "vCPUs");
    TRY(m->ndisks = VMM_MAX_DISKS + 1, "disks (at most");
    TRY(m->ndisks = 1, "disk slot 1 unused but not zero");
    TRY(m->kernel_fd = -1, "bad kernel, initrd or console fd");
    TRY(m->kernel_fd = 1 << 20, "bad kernel, initrd or console fd");
    TRY(m->initrd_fd = -2, "bad kernel, initrd or console fd");
    TRY(m->console_out = -1, "bad kernel, initrd or console fd");
    TRY(m->tap_fd = -1, "bad TAP fd");
    TRY(m->flags &= ~(uint32_t)VMM_LAUNCH_NET, "bad TAP fd"); /* a TAP fd without NET */
    TRY((m->flags &= ~(uint32_t)VMM_LAUNCH_NET, m->tap_fd = -1), "reserved fields"); /* a MAC */
    TRY(m->pad[1] = 1, "reserved fields");
    TRY(m->reserved = 1, "reserved fields");
    TRY(m->disks[0].fd = -1, "disk 0: bad fd or flags");
    TRY(m->disks[0].flags = 2, "disk 0: bad fd or flags");
#undef TRY
    free(m);
}

static void test_encode_limits(void **state)
{
    (void)state;
    struct vmm_config cfg = sample();
    struct osbox_err err = { 0 };
    char *longname = malloc(VMM_LAUNCH_NAME_MAX + 1), *longcmd = malloc(VMM_LAUNCH_CMDLINE_MAX + 2);
    void *msg = NULL;
    size_t len;

    memset(longname, 'd', VMM_LAUNCH_NAME_MAX);
    longname[VMM_LAUNCH_NAME_MAX] = '\0';
    cfg.disks[1].path = longname;
    assert_int_equal(vmm_launch_encode(&cfg, &sample_fds, &msg, &len, &err), -1);
    assert_non_null(strstr(err.msg, "longer than 1023 bytes"));
    cfg = sample();
    memset(longcmd, 'c', VMM_LAUNCH_CMDLINE_MAX + 1);
    longcmd[VMM_LAUNCH_CMDLINE_MAX + 1] = '\0';
    cfg.cmdline = longcmd;
    assert_int_equal(vmm_launch_encode(&cfg, &sample_fds, &msg, &len, &err), -1);
    assert_non_null(strstr(err.msg, "kernel command line is too long"));
    longcmd[VMM_LAUNCH_CMDLINE_MAX] = '\0'; /* the longest that fits */
    assert_int_equal(vmm_launch_encode(&cfg, &sample_fds, &msg, &len, &err), 0);
    struct vmm_config out;
    struct vmm_net net;
    struct vmm_launch_fds fds;
    assert_int_equal(vmm_launch_decode(msg, len, &out, &net, &fds, &err), 0);
    assert_int_equal(strlen(out.cmdline), VMM_LAUNCH_CMDLINE_MAX);
    cfg = sample();
    cfg.ndisks = VMM_MAX_DISKS + 1;
    assert_int_equal(vmm_launch_encode(&cfg, &sample_fds, &msg, &len, &err) < 0 ? 0 : 1, 0);
    free(msg);
    free(longname);
    free(longcmd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_bad_size_magic_version),
        cmocka_unit_test(test_bad_strings),
        cmocka_unit_test(test_bad_counts_and_fds),
        cmocka_unit_test(test_encode_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
