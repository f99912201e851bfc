/* Rootless osbox (see rootless.h). The user namespace is made first and
 * osbox becomes its root; everything else (mount, pid, net... namespaces,
 * overlayfs with userxattr) is then made inside it by the usual runtime.
 *
 * The map is one id: the caller's uid/gid is 0 inside, other ids do not
 * exist. A full /etc/subuid range needs the setuid newuidmap/newgidmap
 * (package uidmap), which osbox does not use yet: it says so. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli/rootless.h"
#include "runtime/userns.h"
#include "util.h"

static bool active;
static bool quiet; /* no note for store commands */
/* exec: the container's own user namespace is joined (runtime/exec_into.c),
 * a new one would have no rights over it. */
static bool join_later;

bool rootless_active(void)
{
    return active;
}

static long read_knob(const char *path)
{
    _cleanup_free_ char *v = NULL;
    struct osbox_err ignored;

    if (osbox_read_file(path, &v, NULL, &ignored) < 0)
        return -1; /* absent: the kernel has no such switch */
    return atol(v);
}

/* What stops unprivileged user namespaces here, "" when nothing known does. */
static void userns_blockers(char *out, size_t n)
{
    out[0] = '\0';
    if (read_knob("/proc/sys/user/max_user_namespaces") == 0)
        snprintf(out + strlen(out), n - strlen(out),
                 "; user namespaces are disabled (user.max_user_namespaces=0)");
    if (read_knob("/proc/sys/kernel/unprivileged_userns_clone") == 0)
        snprintf(out + strlen(out), n - strlen(out),
                 "; unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone=0)");
    if (read_knob("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == 1)
        snprintf(out + strlen(out), n - strlen(out),
                 "; AppArmor restricts unprivileged user namespaces "
                 "(kernel.apparmor_restrict_unprivileged_userns=1)");
}

/* Unprivileged overlayfs mounts arrived in Linux 5.11. */
static bool kernel_at_least(int major, int minor, char *rel, size_t n)
{
    struct utsname u;
    int ma = 0, mi = 0;

    if (uname(&u) < 0)
        return true;
    snprintf(rel, n, "%s", u.release);
    if (sscanf(u.release, "%d.%d", &ma, &mi) != 2)
        return true;
    return ma > major || (ma == major && mi >= minor);
}

static int write_proc(const char *file, const char *text, struct osbox_err *err)
{
    int fd = open(file, O_WRONLY | O_CLOEXEC);
    ssize_t len = (ssize_t)strlen(text);

    if (fd < 0)
        return osbox_error(err, errno, "open %s", file);
    if (write(fd, text, (size_t)len) != len) {
        int e = errno;
        close(fd);
        return osbox_error(err, e, "write '%s' to %s", text, file);
    }
    close(fd);
    return 0;
}

static void note_single_mapping(uid_t uid)
{
    struct passwd *pw = getpwuid(uid);
    char num[16];
    struct osbox_idrange r;
    struct osbox_err ignored;

    snprintf(num, sizeof num, "%u", (unsigned)uid);
    if (osbox_subid_lookup("/etc/subuid", pw ? pw->pw_name : num, uid, &r, &ignored) != 1)
        fprintf(stderr, "osbox: note: no /etc/subuid entry for %s: using a single-uid mapping "
                "(uid %u is root inside, no other ids)\n", pw ? pw->pw_name : num, (unsigned)uid);
    else
        fprintf(stderr, "osbox: note: osbox does not use newuidmap for the /etc/subuid range "
                "yet: using a single-uid mapping (uid %u is root inside)\n", (unsigned)uid);
}

int rootless_enter(bool *entered, struct osbox_err *err)
{
    uid_t uid = getuid();
    gid_t gid = getgid();
    char why[512], rel[128] = "", map[64];

    *entered = active || join_later;
    if (*entered || geteuid() == 0)
        return 0;
    if (!kernel_at_least(5, 11, rel, sizeof rel))
        return osbox_error(err, 0, "rootless osbox needs Linux >= 5.11 for overlayfs in a user "
                           "namespace (this kernel is %s): run osbox as root", rel);
    /* Pin the user's dirs now: inside, getuid() is 0. */
    if (setenv("OSBOX_ROOT", osbox_root_dir(), 1) < 0 || setenv("OSBOX_RUN", osbox_run_dir(), 1) < 0)
        return osbox_error(err, errno, "setenv");
    if (osbox_mkdir_p(osbox_root_dir(), 0700, err) < 0 || osbox_mkdir_p(osbox_run_dir(), 0700, err) < 0)
        return osbox_error_prefix(err, "rootless state dir");
    if (unshare(CLONE_NEWUSER) < 0) {
        int e = errno;
        userns_blockers(why, sizeof why);
        return osbox_error(err, e, "rootless osbox (uid %u): cannot create a user namespace%s",
                           (unsigned)uid, why);
    }
    if (!quiet)
        note_single_mapping(uid);
    snprintf(map, sizeof map, "0 %u 1\n", (unsigned)uid);
    if (write_proc("/proc/self/uid_map", map, err) < 0 ||
        write_proc("/proc/self/setgroups", "deny", err) < 0)
        return -1;
    snprintf(map, sizeof map, "0 %u 1\n", (unsigned)gid);
    if (write_proc("/proc/self/gid_map", map, err) < 0)
        return -1;
    if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
        return osbox_error(err, errno, "become root of the user namespace");
    active = *entered = true;
    return 0;
}

void rootless_for_command(const char *name)
{
    static const char *const store[] = { "rm", "gc", "ps", "images", "rmi", "tag", "inspect",
                                         "logs", "stop", "kill", "start", "restart", "wait",
                                         "import", "save" };
    struct osbox_err ignored;
    bool entered;

    if (geteuid() == 0)
        return;
    if (!strcmp(name, "exec")) {
        setenv("OSBOX_ROOT", osbox_root_dir(), 1);
        setenv("OSBOX_RUN", osbox_run_dir(), 1);
        join_later = true;
        return;
    }
    for (size_t i = 0; i < sizeof store / sizeof store[0]; i++)
        if (!strcmp(name, store[i])) {
            osbox_err_clear(&ignored);
            quiet = true;
            rootless_enter(&entered, &ignored);
            quiet = false;
            return;
        }
}
