/* Private to the runtime: how a container's security settings are built
 * (in osbox, before clone) and applied (in the container's processes).
 *
 * Order in the command's process (exec.c):
 *   security_before_credentials  bounding set, keep-caps across setuid, no_new_privs
 *   (setgroups/setgid/setuid, chdir, PATH lookup)
 *   security_before_exec         permitted/effective/inheritable/ambient, then
 *                                the seccomp filter as the very last step
 *   execve
 * Without no_new_privs the kernel only lets a process with CAP_SYS_ADMIN load
 * a filter, so then the filter goes in just before the final capset. */
#ifndef OSBOX_RUNTIME_SECURITY_H
#define OSBOX_RUNTIME_SECURITY_H

#include <jansson.h>
#include <linux/filter.h>
#include <seccomp.h>

#include "runtime/core/runtime.h"

/* A seccomp filter compiled to classic BPF in osbox, so the container only
 * has to hand it to the kernel. */
struct osbox_seccomp {
    struct sock_fprog prog; /* prog.filter malloc'd */
};

#define CAP_BIT(c) (UINT64_C(1) << (c))

/* Capabilities (caps.c). */
int caps_last(void);              /* highest capability the running kernel knows */
uint64_t caps_all(void);
uint64_t caps_docker_default(void);
int caps_from_name(const char *name, int *cap); /* 0, or -1 unknown */
char *caps_name(int cap); /* "CAP_NET_ADMIN" (malloc'd); a number the kernel has no name for */
int caps_drop_bounding(uint64_t keep, struct osbox_err *err);
/* permitted/effective/inheritable/ambient: s->cap_sets when given, else
 * Docker's (permitted = effective = s->caps, inheritable and ambient empty).
 * After setuid (keep-caps held the permitted set across it). */
int caps_set_final(const struct osbox_security *s, struct osbox_err *err);
/* The capabilities of wanted this process cannot hand on (not in its
 * bounding set, or unknown to the kernel). */
uint64_t caps_unavailable(uint64_t wanted);
/* Raise CAP_SYS_ADMIN in the effective set (it must be permitted). */
int caps_raise_sys_admin(struct osbox_err *err);
/* effective = permitted (after setfsuid dropped the file capabilities). */
int caps_raise_all(struct osbox_err *err);

/* seccomp (seccomp.c, seccomp_default.c, seccomp_json.c). */
/* The arches a profile covers by default: native, plus x86 and x32 on x86-64. */
int syscall_filter_add_default_arches(scmp_filter_ctx ctx, struct osbox_err *err);
/* Export ctx to BPF; frees ctx. */
int syscall_filter_compile(scmp_filter_ctx ctx, struct osbox_seccomp **out, struct osbox_err *err);
int syscall_filter_build_default(uint64_t caps, struct osbox_seccomp **out, struct osbox_err *err);
/* The same, from $OSBOX_RUN/seccomp/ when built before (seccomp_cache.c). */
int syscall_filter_default_cached(uint64_t caps, struct osbox_seccomp **out, struct osbox_err *err);
uint64_t syscall_filter_default_fingerprint(uint64_t caps);
int syscall_filter_build_json(json_t *profile, uint64_t caps, struct osbox_seccomp **out,
                       char ***warnings, struct osbox_err *err);
int syscall_filter_install(const struct osbox_seccomp *s, struct osbox_err *err);
void syscall_filter_free(struct osbox_seccomp *s);

/* --privileged: the host's device nodes (devices_host.c). */
void devices_host_scan(struct osbox_security *s);
void devices_host_free(struct osbox_security *s);
int devices_host_create(const struct osbox_security *s, struct osbox_err *err);

/* --userns=auto (userns_run.c): before the rootfs, make the namespace and
 * idmap the layers, upper and work dirs; after setup, join it. */
int security_userns_prepare(const struct osbox_spec *spec, const char *upper, const char *work,
                            struct osbox_err *err);
int security_userns_enter(struct osbox_err *err);

/* In the container's init, after the rootfs: masked and read-only paths,
 * device nodes usable only in /dev (which becomes read-only). */
int security_setup_mounts(const struct osbox_spec *spec, struct osbox_err *err);
/* In the command's process, around set_credentials (see the top). */
int security_before_credentials(const struct osbox_security *s, struct osbox_err *err);
int security_before_exec(const struct osbox_security *s, struct osbox_err *err);

#endif
