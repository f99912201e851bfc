/* The device cgroup: which device nodes a container may make (m), read (r)
 * and write (w), whatever nodes its mounts hold.
 *
 * Rules are kept in order and the last one matching a device decides; none
 * matching means denied. v1 gets them as devices.deny "a" followed by each
 * rule in devices.allow / devices.deny (the kernel keeps the exception list).
 * v2 has no files for it: a BPF_PROG_TYPE_CGROUP_DEVICE program, assembled
 * here from the rules, is attached to the container's cgroup and answers
 * each open/mknod with 1 (allow) or 0 (deny, the caller gets EPERM). */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/cgroup/cgroup_internal.h"
#include "util.h"

int resources_add_dev_rule(struct osbox_resources *r, char type, int64_t major, int64_t minor,
                           const char *access, bool allow, struct osbox_err *err)
{
    struct osbox_dev_rule rule = { .type = type, .major = major, .minor = minor, .allow = allow };

    if (type != 'a' && type != 'b' && type != 'c')
        return osbox_error(err, 0, "device rule type '%c': must be a, b or c", type);
    if (major < OSBOX_DEV_ANY || major > 0xfff || minor < OSBOX_DEV_ANY || minor > 0xfffff)
        return osbox_error(err, 0, "device rule %c %lld:%lld: not a device number", type,
                           (long long)major, (long long)minor);
    if (!access || !*access)
        access = "rwm";
    for (const char *p = access; *p; p++) {
        if (*p == 'r')
            rule.access |= OSBOX_DEV_READ;
        else if (*p == 'w')
            rule.access |= OSBOX_DEV_WRITE;
        else if (*p == 'm')
            rule.access |= OSBOX_DEV_MKNOD;
        else
            return osbox_error(err, 0, "device rule access '%s': not a mix of r, w and m", access);
    }
    if (type == 'a')
        rule.major = rule.minor = OSBOX_DEV_ANY;
    /* A spec saved by osbox and read back carries the defaults already. */
    for (unsigned i = 0; i < r->n_dev_rules; i++)
        if (!memcmp(&r->dev_rules[i], &rule, sizeof rule))
            return 0;
    if (r->n_dev_rules == OSBOX_MAX_DEV_RULES)
        return osbox_error(err, 0, "more than %d device rules", OSBOX_MAX_DEV_RULES);
    r->dev_rules[r->n_dev_rules++] = rule;
    return 0;
}

void resources_default_dev_rules(struct osbox_resources *r)
{
    static const struct { char type; int64_t major, minor; const char *access; } allowed[] = {
        { 'c', OSBOX_DEV_ANY, OSBOX_DEV_ANY, "m" }, { 'b', OSBOX_DEV_ANY, OSBOX_DEV_ANY, "m" },
        { 'c', 1, 3, "rwm" },   /* null */
        { 'c', 1, 5, "rwm" },   /* zero */
        { 'c', 1, 7, "rwm" },   /* full */
        { 'c', 1, 8, "rwm" },   /* random */
        { 'c', 1, 9, "rwm" },   /* urandom */
        { 'c', 5, 0, "rwm" },   /* tty */
        { 'c', 5, 1, "rwm" },   /* console */
        { 'c', 5, 2, "rwm" },   /* ptmx */
        { 'c', 136, OSBOX_DEV_ANY, "rwm" }, /* pts/N */
    };
    struct osbox_err ignored; /* fixed, valid rules; only a full list could fail */

    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
        resources_add_dev_rule(r, allowed[i].type, allowed[i].major, allowed[i].minor,
                               allowed[i].access, true, &ignored);
}

void resources_dev_rule_text(const struct osbox_dev_rule *rule, char *buf, size_t len)
{
    char maj[16] = "*", min[16] = "*", acc[4];
    size_t n = 0;

    if (rule->type == 'a') {
        snprintf(buf, len, "a");
        return;
    }
    if (rule->major != OSBOX_DEV_ANY)
        snprintf(maj, sizeof maj, "%lld", (long long)rule->major);
    if (rule->minor != OSBOX_DEV_ANY)
        snprintf(min, sizeof min, "%lld", (long long)rule->minor);
    if (rule->access & OSBOX_DEV_READ)
        acc[n++] = 'r';
    if (rule->access & OSBOX_DEV_WRITE)
        acc[n++] = 'w';
    if (rule->access & OSBOX_DEV_MKNOD)
        acc[n++] = 'm';
    acc[n] = '\0';
    snprintf(buf, len, "%c %s:%s %s", rule->type, maj, min, acc);
}

int cg1_apply_devices(const char *dir, const struct osbox_resources *res, struct osbox_err *err)
{
    char text[48];

    if (!res->n_dev_rules)
        return 0;
    if (cg_write(dir, "devices.deny", "a", err) < 0)
        return -1;
    for (unsigned i = 0; i < res->n_dev_rules; i++) {
        const struct osbox_dev_rule *rule = &res->dev_rules[i];
        resources_dev_rule_text(rule, text, sizeof text);
        if (cg_write(dir, rule->allow ? "devices.allow" : "devices.deny", text, err) < 0)
            return -1;
    }
    return 0;
}

/* eBPF instructions, by hand (struct bpf_insn of linux/bpf.h). */
static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
    return (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
}
#define LDX_W(dst, src, off) insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define ALU_K(op, dst, imm) insn(BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define MOV_X(dst, src) insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define JNE_K(dst, imm, off) insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm)
#define EXIT() insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* Registers the program keeps the request in (callee-saved ones). */
enum { R_TYPE = 6, R_ACCESS = 7, R_MAJOR = 8, R_MINOR = 9 };

static unsigned bpf_access(unsigned access)
{
    return (access & OSBOX_DEV_MKNOD ? BPF_DEVCG_ACC_MKNOD : 0) |
           (access & OSBOX_DEV_READ ? BPF_DEVCG_ACC_READ : 0) |
           (access & OSBOX_DEV_WRITE ? BPF_DEVCG_ACC_WRITE : 0);
}

/* One rule: tests that skip to its end when they fail, then "return allow".
 * An allow rule matches when all the access asked for is in it; a deny rule
 * when any of it is. */
static size_t emit_rule(const struct osbox_dev_rule *rule, struct bpf_insn *p)
{
    size_t n = 0;
    unsigned acc = bpf_access(rule->access);

    if (rule->type != 'a')
        p[n++] = JNE_K(R_TYPE, rule->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0);
    if (rule->major != OSBOX_DEV_ANY)
        p[n++] = JNE_K(R_MAJOR, (int32_t)rule->major, 0);
    if (rule->minor != OSBOX_DEV_ANY)
        p[n++] = JNE_K(R_MINOR, (int32_t)rule->minor, 0);
    p[n++] = MOV_X(0, R_ACCESS);
    if (rule->allow) {
        p[n++] = ALU_K(BPF_AND, 0, (int32_t)(~acc & 7u));
        p[n++] = JNE_K(0, 0, 0);
    } else {
        p[n++] = ALU_K(BPF_AND, 0, (int32_t)acc);
        p[n++] = insn(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 0, 0);
    }
    p[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, rule->allow ? 1 : 0);
    p[n++] = EXIT();
    /* Every jump so far lands just past the exit. */
    for (size_t i = 0; i + 2 < n; i++)
        if (BPF_CLASS(p[i].code) == BPF_JMP)
            p[i].off = (int16_t)(n - i - 1);
    return n;
}

static long bpf_call(int cmd, union bpf_attr *attr)
{
    return syscall(__NR_bpf, cmd, attr, sizeof *attr);
}

int cg2_apply_devices(const char *dir, const struct osbox_resources *res, struct osbox_err *err)
{
    /* 6 to read the context, at most 8 per rule, 2 for the final deny. */
    struct bpf_insn prog[6 + 8 * OSBOX_MAX_DEV_RULES + 2];
    size_t n = 0;
    char log[4096] = "";
    union bpf_attr attr;
    _cleanup_close_ int cgfd = -1, progfd = -1;

    if (!res->n_dev_rules)
        return 0;
    prog[n++] = LDX_W(R_TYPE, 1, offsetof(struct bpf_cgroup_dev_ctx, access_type));
    prog[n++] = MOV_X(R_ACCESS, R_TYPE);
    prog[n++] = ALU_K(BPF_AND, R_TYPE, 0xffff);
    prog[n++] = ALU_K(BPF_RSH, R_ACCESS, 16);
    prog[n++] = LDX_W(R_MAJOR, 1, offsetof(struct bpf_cgroup_dev_ctx, major));
    prog[n++] = LDX_W(R_MINOR, 1, offsetof(struct bpf_cgroup_dev_ctx, minor));
    /* Last match wins: test the rules from the last one back. */
    for (unsigned i = res->n_dev_rules; i-- > 0;)
        n += emit_rule(&res->dev_rules[i], prog + n);
    prog[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);
    prog[n++] = EXIT();

    memset(&attr, 0, sizeof attr);
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = (uint64_t)(uintptr_t)prog;
    attr.insn_cnt = (uint32_t)n;
    attr.license = (uint64_t)(uintptr_t)"GPL";
    attr.log_buf = (uint64_t)(uintptr_t)log;
    attr.log_size = sizeof log;
    attr.log_level = 1;
    progfd = (int)bpf_call(BPF_PROG_LOAD, &attr);
    if (progfd < 0) {
        /* The log is only filled when the verifier rejected the program. */
        log[strcspn(log, "\n")] = '\0';
        return osbox_error(err, errno, "load the device cgroup program%s%s", *log ? ": " : "", log);
    }
    cgfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cgfd < 0)
        return osbox_error(err, errno, "open %s", dir);
    memset(&attr, 0, sizeof attr);
    attr.target_fd = (uint32_t)cgfd;
    attr.attach_bpf_fd = (uint32_t)progfd;
    attr.attach_type = BPF_CGROUP_DEVICE;
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    /* The cgroup holds the program from here on, until it is removed. */
    if (bpf_call(BPF_PROG_ATTACH, &attr) < 0)
        return osbox_error(err, errno, "attach the device cgroup program to %s", dir);
    return 0;
}
