/* struct osbox_security: Docker's defaults, --privileged, and the steps the
 * command's process takes around setuid (see runtime/security/security.h for the order). */
#include <errno.h>
#include <sys/prctl.h>

#include "runtime/security/security.h"
#include "util.h"

static const char *const masked_default[] = {
    "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
    "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
    "/sys/firmware", "/sys/devices/virtual/powercap", NULL,
};
static const char *const readonly_default[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

void osbox_security_init(struct osbox_security *s)
{
    *s = (struct osbox_security){
        .caps = caps_docker_default(),
        .no_new_privs = true,
        .seccomp_mode = OSBOX_SECCOMP_DEFAULT,
        .masked_paths = osbox_strv_dup((char **)masked_default),
        .readonly_paths = osbox_strv_dup((char **)readonly_default),
    };
}

void osbox_security_free(struct osbox_security *s)
{
    syscall_filter_free(s->seccomp);
    json_decref(s->seccomp_profile);
    osbox_strv_free(s->masked_paths);
    osbox_strv_free(s->readonly_paths);
    devices_host_free(s);
    *s = (struct osbox_security){ 0 };
}

void osbox_security_set_privileged(struct osbox_security *s)
{
    s->privileged = true;
    s->caps = caps_all();
    s->seccomp_mode = OSBOX_SECCOMP_UNCONFINED;
    syscall_filter_free(s->seccomp);
    s->seccomp = NULL;
    json_decref(s->seccomp_profile);
    s->seccomp_profile = NULL;
    osbox_strv_free(s->masked_paths);
    osbox_strv_free(s->readonly_paths);
    s->masked_paths = s->readonly_paths = NULL;
    devices_host_free(s);
    devices_host_scan(s);
}

int osbox_security_prepare(struct osbox_security *s, struct osbox_err *err)
{
    if (s->seccomp_mode != OSBOX_SECCOMP_DEFAULT || s->seccomp)
        return 0;
    return syscall_filter_default_cached(s->caps, &s->seccomp, err);
}

/* The filter this process will load: compiled by osbox, or here when it was not. */
static const struct osbox_seccomp *filter_of(const struct osbox_security *s,
                                              struct osbox_err *err, int *rc)
{
    static struct osbox_seccomp *late;

    *rc = 0;
    if (s->privileged || s->seccomp_mode == OSBOX_SECCOMP_UNCONFINED)
        return NULL;
    if (s->seccomp)
        return s->seccomp;
    if (s->seccomp_mode == OSBOX_SECCOMP_CUSTOM) {
        *rc = osbox_error(err, EINVAL, "seccomp profile not compiled");
        return NULL;
    }
    if (!late)
        *rc = syscall_filter_build_default(s->caps, &late, err); /* no cache: we are past pivot_root */
    return late;
}

int security_before_credentials(const struct osbox_security *s, struct osbox_err *err)
{
    int rc;

    if (filter_of(s, err, &rc), rc < 0)
        return -1;
    if (caps_drop_bounding(s->caps, err) < 0)
        return -1;
    /* setuid to a non-root user would clear the permitted set we still need
     * for capset (and CAP_SYS_ADMIN for seccomp without no_new_privs). */
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        return osbox_error(err, errno, "PR_SET_KEEPCAPS");
    if (s->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return osbox_error(err, errno, "set no_new_privs");
    return 0;
}

int security_before_exec(const struct osbox_security *s, struct osbox_err *err)
{
    int rc;
    const struct osbox_seccomp *f = filter_of(s, err, &rc);

    if (rc < 0)
        return -1;
    if (f && !s->no_new_privs) {
        /* Only CAP_SYS_ADMIN may load a filter without no_new_privs. */
        startup_trace_begin(TRACE_SECCOMP);
        if (caps_raise_sys_admin(err) < 0 || syscall_filter_install(f, err) < 0)
            return -1;
        startup_trace_end(TRACE_SECCOMP);
        f = NULL;
    }
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
        return osbox_error(err, errno, "PR_SET_KEEPCAPS");
    startup_trace_begin(TRACE_CAPS);
    if (caps_set_final(s, err) < 0)
        return -1;
    startup_trace_end(TRACE_CAPS);
    /* Last: nothing of ours runs under the filter but execve. */
    if (f) {
        startup_trace_begin(TRACE_SECCOMP);
        if (syscall_filter_install(f, err) < 0)
            return -1;
        startup_trace_end(TRACE_SECCOMP);
    }
    return 0;
}
