/* Rootless osbox (see runtime/userns/userns.h). The user namespace is made first and
 * osbox becomes its root; everything else (mount, pid, net... namespaces,
 * overlayfs with userxattr) is then made inside it by the usual runtime.
 *
 * The map: the caller's uid/gid is 0 inside and, when /etc/subuid and
 * /etc/subgid give the user a range and the setuid newuidmap/newgidmap
 * (package uidmap) accept it, ids 1..COUNT are that range. Otherwise one
 * id only, with a note saying why. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/userns/userns.h"
#include "util.h"

static bool active;
static char note[512]; /* why the map is a single id, for the caller to say */
/* exec: the container's own user namespace is joined (runtime/exec_into.c),
 * a new one would have no rights over it. */
static bool join_later;

bool rootless_active(void)
{
    return active;
}

const char *rootless_note(void)
{
    return note[0] ? note : NULL;
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

/* The user's name (for /etc/subuid), or its number. */
static const char *user_name(uid_t uid, char *num, size_t n)
{
    struct passwd *pw = getpwuid(uid);

    snprintf(num, n, "%u", (unsigned)uid);
    return pw ? pw->pw_name : num;
}

/* Run one of the setuid map helpers on pid: "0 ID 1 1 START COUNT".
 * They are the only way a user may map its subordinate ids (writing
 * more than its own id needs CAP_SETUID outside). */
static bool run_map_helper(const char *helper, pid_t pid, unsigned id,
                           const struct osbox_idrange *r)
{
    char a[5][24];
    pid_t c;
    int st;

    snprintf(a[0], sizeof a[0], "%d", (int)pid);
    snprintf(a[1], sizeof a[1], "%u", id);
    snprintf(a[2], sizeof a[2], "%lu", r->start);
    snprintf(a[3], sizeof a[3], "%lu", r->count);
    c = fork();
    if (c == 0) {
        int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (null >= 0)
            dup2(null, 2); /* its complaints: we say it in one line */
        execlp(helper, helper, a[0], "0", a[1], "1", "1", a[2], a[3], (char *)NULL);
        _exit(127);
    }
    return c > 0 && waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* A helper child waits until we have unshared, then maps us with
 * newuidmap/newgidmap. Returns the child's pid (-1: no ranges, *why says). */
static pid_t start_subid_mapper(uid_t uid, gid_t gid, int *go, char *why, size_t n)
{
    struct osbox_idrange ur, gr;
    struct osbox_err ignored;
    char num[16];
    const char *name = user_name(uid, num, sizeof num);
    int p[2];
    pid_t parent = getpid(), c;

    if (osbox_subid_lookup("/etc/subuid", name, uid, &ur, &ignored) != 1 ||
        osbox_subid_lookup("/etc/subgid", name, uid, &gr, &ignored) != 1) {
        snprintf(why, n, "no /etc/subuid or /etc/subgid entry for %s", name);
        return -1;
    }
    if (pipe2(p, O_CLOEXEC) < 0) {
        snprintf(why, n, "pipe: %s", strerror(errno));
        return -1;
    }
    c = fork();
    if (c == 0) {
        char b;
        close(p[1]);
        if (read(p[0], &b, 1) != 1)
            _exit(2);
        _exit(run_map_helper("newuidmap", parent, (unsigned)uid, &ur) &&
                      run_map_helper("newgidmap", parent, (unsigned)gid, &gr)
                  ? 0
                  : 1);
    }
    close(p[0]);
    if (c < 0) {
        close(p[1]);
        snprintf(why, n, "fork: %s", strerror(errno));
        return -1;
    }
    *go = p[1];
    snprintf(why, n, "newuidmap/newgidmap (package uidmap) failed or are missing for %s's "
             "/etc/subuid range %lu:%lu", name, ur.start, ur.count);
    return c;
}

int rootless_enter(bool *entered, struct osbox_err *err)
{
    uid_t uid = getuid();
    gid_t gid = getgid();
    char why[512], rel[128] = "", map[64];
    _cleanup_free_ char *cur = NULL; /* before any goto */

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
    char nomap[256] = "";
    int go = -1, st = 0;
    pid_t mapper = start_subid_mapper(uid, gid, &go, nomap, sizeof nomap);
    if (unshare(CLONE_NEWUSER) < 0) {
        int e = errno;
        if (mapper > 0) {
            close(go);
            waitpid(mapper, NULL, 0);
        }
        userns_blockers(why, sizeof why);
        return osbox_error(err, e, "rootless osbox (uid %u): cannot create a user namespace%s",
                           (unsigned)uid, why);
    }
    if (mapper > 0) {
        bool mapped = write(go, "g", 1) == 1 && waitpid(mapper, &st, 0) == mapper &&
                      WIFEXITED(st) && WEXITSTATUS(st) == 0;
        close(go);
        if (mapped)
            goto become_root;
    }
    /* One id only: the user is root inside, nothing else exists. (If only
     * newgidmap failed, uid_map is already the full one: keep it.) */
    snprintf(note, sizeof note, "%s: using a single-uid mapping (uid %u is root inside, "
             "no other ids)", nomap, (unsigned)uid);
    struct osbox_err ignored;
    bool uid_mapped = osbox_read_file("/proc/self/uid_map", &cur, NULL, &ignored) == 0 && *cur;
    snprintf(map, sizeof map, "0 %u 1\n", (unsigned)uid);
    if ((!uid_mapped && write_proc("/proc/self/uid_map", map, err) < 0) ||
        write_proc("/proc/self/setgroups", "deny", err) < 0)
        return -1;
    snprintf(map, sizeof map, "0 %u 1\n", (unsigned)gid);
    if (write_proc("/proc/self/gid_map", map, err) < 0)
        return -1;
become_root:
    if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
        return osbox_error(err, errno, "become root of the user namespace");
    active = *entered = true;
    return 0;
}

void rootless_for_command(const char *name)
{
    static const char *const store[] = { "rm", "gc", "ps", "images", "rmi", "tag", "inspect",
                                         "logs", "stop", "kill", "start", "restart", "wait",
                                         "import", "save", "volume", "port", "push" };
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
            rootless_enter(&entered, &ignored);
            note[0] = '\0'; /* store commands: no note */
            return;
        }
}
