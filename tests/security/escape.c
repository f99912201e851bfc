/* The escape suite's probe: runs each escape attempt inside a container and
 * prints one line "ATTEMPT RESULT" (RESULT: ok[:detail], or the errno name).
 * Every attempt is harmless even when nothing stops it: system calls that
 * could change the host (kexec, modules, reboot, swapon, bpf, the clock) get
 * deliberately invalid arguments, so "reached the kernel" shows up as
 * EINVAL/EFAULT instead of EPERM; device nodes and /proc/sysrq-trigger are
 * only opened or read, never written; release_agent is opened, never written.
 *
 * Usage: escape all HOST_PID BLK_MAJ:MIN HOST_MARKER
 *        escape remount    (make a --read-only root writable again)
 *        escape euid       (print the effective uid: the setuid test)
 * Built static with musl (tests/security/build.mk). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const struct { int e; const char *n; } names[] = {
    { EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { ESRCH, "ESRCH" }, { EBADF, "EBADF" },
    { EACCES, "EACCES" }, { EFAULT, "EFAULT" }, { EROFS, "EROFS" }, { EINVAL, "EINVAL" },
    { ENOSYS, "ENOSYS" }, { ETXTBSY, "ETXTBSY" }, { ENOEXEC, "ENOEXEC" },
    { EOPNOTSUPP, "EOPNOTSUPP" }, { EAFNOSUPPORT, "EAFNOSUPPORT" }, { EBUSY, "EBUSY" },
    { ENODEV, "ENODEV" }, { ENOTDIR, "ENOTDIR" }, { EEXIST, "EEXIST" }, { ENXIO, "ENXIO" },
    { EIO, "EIO" }, { ENOMEM, "ENOMEM" }, { E2BIG, "E2BIG" }, { ENOKEY, "ENOKEY" },
};

static void report(const char *what, long rc, const char *detail)
{
    if (rc >= 0) {
        printf("%s ok%s%s\n", what, detail ? ":" : "", detail ? detail : "");
        return;
    }
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].e == errno) {
            printf("%s %s\n", what, names[i].n);
            return;
        }
    printf("%s errno%d\n", what, errno);
}

/* Read a file: "empty" when masked by /dev/null. */
static void read_masked(const char *what, const char *path)
{
    char buf[4096], d[32];
    int fd = open(path, O_RDONLY);
    ssize_t n;

    if (fd < 0)
        return report(what, -1, NULL);
    n = read(fd, buf, sizeof buf);
    close(fd);
    if (n < 0)
        return report(what, -1, NULL);
    if (n == 0)
        return (void)printf("%s empty\n", what);
    snprintf(d, sizeof d, "%zd bytes", n);
    report(what, 0, d);
}

static void list_dir(const char *what, const char *path, bool names_out)
{
    char out[256] = "";
    int n = 0;
    DIR *d = opendir(path);
    struct dirent *e;

    if (!d)
        return report(what, -1, NULL);
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        n++;
        if (names_out && strlen(out) + strlen(e->d_name) + 2 < sizeof out)
            strcat(strcat(out, *out ? "," : ""), e->d_name);
    }
    closedir(d);
    if (!n)
        return (void)printf("%s empty\n", what);
    if (!names_out)
        snprintf(out, sizeof out, "%d entries", n);
    report(what, 0, out);
}

static void mount_tmpfs(void)
{
    long rc = mount("tmpfs", "/mnt", "tmpfs", 0, "size=1m");
    if (rc == 0)
        umount2("/mnt", MNT_DETACH);
    report("mount_tmpfs", rc, NULL);
}

static void remount_root_rw(void)
{
    long rc = mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND, NULL);
    int fd;

    if (rc == 0) {
        fd = open("/.osbox_rw_probe", O_WRONLY | O_CREAT, 0600);
        if (fd >= 0) {
            close(fd);
            unlink("/.osbox_rw_probe");
            return report("remount_root_rw", 0, "writable");
        }
        return report("remount_root_rw", -1, NULL);
    }
    report("remount_root_rw", rc, NULL);
}

/* A user namespace, root in it, then a mount there (in a child: the
 * attempts after this one must still run in the container's namespaces). */
static void userns_mount_child(void);
static void userns_mount(void)
{
    pid_t pid = fork();
    int st;

    if (pid == 0) {
        userns_mount_child();
        _exit(0);
    }
    if (pid < 0 || waitpid(pid, &st, 0) < 0)
        report("userns_mount", -1, NULL);
}

static void userns_mount_child(void)
{
    char map[64];
    uid_t uid = getuid();
    int fd;

    if (unshare(CLONE_NEWUSER) < 0)
        return report("userns_mount", -1, NULL);
    snprintf(map, sizeof map, "0 %u 1", (unsigned)uid);
    fd = open("/proc/self/uid_map", O_WRONLY);
    if (fd < 0 || write(fd, map, strlen(map)) < 0)
        return report("userns_mount", -1, NULL);
    close(fd);
    if (unshare(CLONE_NEWNS) < 0 || mount("tmpfs", "/mnt", "tmpfs", 0, NULL) < 0)
        return report("userns_mount", -1, NULL);
    report("userns_mount", 0, "mounted as root of a user namespace");
}

static void mknod_blk(const char *majmin)
{
    unsigned ma = 0, mi = 0;
    char buf[512];
    int fd;
    ssize_t n;

    if (sscanf(majmin, "%u:%u", &ma, &mi) != 2 || ma == 0)
        return (void)printf("mknod_blk_read skipped\n");
    unlink("/tmp/.osbox_blk");
    if (mknod("/tmp/.osbox_blk", S_IFBLK | 0400, makedev(ma, mi)) < 0)
        return report("mknod_blk_read", -1, NULL);
    fd = open("/tmp/.osbox_blk", O_RDONLY);
    unlink("/tmp/.osbox_blk");
    if (fd < 0)
        return report("mknod_blk_read", -1, NULL);
    n = read(fd, buf, sizeof buf); /* read only: the host disk is never written */
    close(fd);
    snprintf(buf, sizeof buf, "opened the host's device, read %zd bytes", n);
    report("mknod_blk_read", 0, buf);
}

static void mknod_dev(void)
{
    long rc = mknod("/dev/.osbox_null", S_IFCHR | 0600, makedev(1, 3));
    if (rc == 0)
        unlink("/dev/.osbox_null");
    report("mknod_in_dev", rc, NULL);
}

static void open_wronly(const char *what, const char *path)
{
    int fd = open(path, O_WRONLY); /* never written */
    if (fd >= 0)
        close(fd);
    report(what, fd, NULL);
}

static void cgroup_release_agent(void)
{
    int fd;

    if (mount("cgroup", "/mnt", "cgroup", 0, "memory") < 0)
        return report("cgroup_release_agent", -1, NULL);
    fd = open("/mnt/release_agent", O_WRONLY); /* never written */
    if (fd >= 0)
        close(fd);
    umount2("/mnt", MNT_DETACH);
    report("cgroup_release_agent", fd, fd >= 0 ? "writable release_agent" : NULL);
}

/* Classic chroot escape: keep an fd to /, chroot deeper, fchdir back out,
 * climb, chroot("."). Succeeds only if the host's marker becomes visible. */
static void chroot_escape(const char *marker)
{
    int fd = open("/", O_RDONLY | O_DIRECTORY);
    struct stat st;

    mkdir("/tmp/.osbox_jail", 0700);
    if (chroot("/tmp/.osbox_jail") < 0)
        return report("chroot_escape", -1, NULL);
    if (fchdir(fd) < 0)
        return report("chroot_escape", -1, NULL);
    for (int i = 0; i < 64; i++)
        if (chdir("..") < 0)
            break;
    if (chroot(".") < 0)
        return report("chroot_escape", -1, NULL);
    if (stat(marker, &st) == 0)
        return (void)printf("chroot_escape ESCAPED\n");
    printf("chroot_escape contained\n");
}

static void proc1_exe(void)
{
    char buf[512];
    ssize_t n = readlink("/proc/1/exe", buf, sizeof buf - 1);
    if (n >= 0)
        buf[n] = '\0';
    report("proc1_exe_readlink", n, n >= 0 ? buf : NULL);
    open_wronly("proc1_exe_write", "/proc/1/exe");
}

/* Any other process (not ours) whose binary is visible: the osbox parent would be one. */
static void foreign_processes(const char *host_pid)
{
    int n = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;

    while (d && (e = readdir(d)))
        if (e->d_name[0] >= '1' && e->d_name[0] <= '9')
            n++;
    if (d)
        closedir(d);
    printf("pid_namespace %d processes\n", n);
    report("ptrace_outside", ptrace(PTRACE_SEIZE, atoi(host_pid), 0, 0), NULL);
    report("ptrace_init", ptrace(PTRACE_SEIZE, 1, 0, 0), NULL);
}

static void clock_set(void)
{
    struct timespec bad = { .tv_sec = 0, .tv_nsec = -1 }; /* invalid: the clock never changes */
    report("clock_settime", syscall(SYS_clock_settime, CLOCK_REALTIME, &bad), NULL);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "euid")) {
        printf("%u\n", (unsigned)geteuid());
        return 0;
    }
    if (argc > 1 && !strcmp(argv[1], "remount")) {
        remount_root_rw();
        return 0;
    }
    if (argc < 5 || strcmp(argv[1], "all")) {
        fprintf(stderr, "usage: escape all HOST_PID MAJ:MIN HOST_MARKER | escape euid\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    mount_tmpfs();
    report("mount_badptr", mount("x", (char *)1, "tmpfs", 0, NULL), NULL);
    report("pivot_root", syscall(SYS_pivot_root, NULL, NULL), NULL);
    report("kexec_load", syscall(SYS_kexec_load, 0UL, 1000UL, NULL, 0UL), NULL);
    report("init_module", syscall(SYS_init_module, NULL, 0UL, ""), NULL);
    report("finit_module", syscall(SYS_finit_module, -1, "", 0), NULL);
    report("bpf", syscall(SYS_bpf, 9999, NULL, 0), NULL);
    report("perf_event_open", syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0), NULL);
    report("keyctl", syscall(SYS_keyctl, 9999, 0, 0, 0, 0), NULL);
    report("add_key", syscall(SYS_add_key, NULL, NULL, NULL, 0, 0), NULL);
    report("open_by_handle_at", syscall(SYS_open_by_handle_at, AT_FDCWD, NULL, O_RDONLY), NULL);
    report("reboot", syscall(SYS_reboot, 0, 0, 0, NULL), NULL); /* bad magic */
    report("swapon", syscall(SYS_swapon, NULL, 0), NULL);
    {
        long fd = syscall(SYS_userfaultfd, 0);
        if (fd >= 0)
            close((int)fd);
        report("userfaultfd", fd, NULL);
    }
    report("clone3", syscall(SYS_clone3, NULL, 0), NULL);
    userns_mount();
    open_wronly("sysrq_trigger", "/proc/sysrq-trigger");
    read_masked("proc_kcore", "/proc/kcore");
    read_masked("proc_keys", "/proc/keys");
    read_masked("proc_timer_list", "/proc/timer_list");
    list_dir("sys_firmware", "/sys/firmware", false);
    open_wronly("proc_sys_write", "/proc/sys/kernel/hostname");
    mknod_blk(argv[3]);
    mknod_dev();
    cgroup_release_agent();
    open_wronly("cgroup_move_to_root", "/sys/fs/cgroup/cgroup.procs");
    {
        int s = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
        report("raw_socket", s, NULL);
        if (s >= 0)
            close(s);
        s = socket(40 /* AF_VSOCK */, SOCK_STREAM, 0);
        report("vsock_socket", s, NULL);
        if (s >= 0)
            close(s);
    }
    chroot_escape(argv[4]);
    proc1_exe();
    foreign_processes(argv[2]);
    report("sethostname", sethostname("osbox-escape", 12), NULL);
    clock_set();
    list_dir("net_interfaces", "/sys/class/net", true);
    return 0;
}
