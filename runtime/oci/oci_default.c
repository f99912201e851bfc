/* The config.json `osbox-oci spec` writes: a shell in ./rootfs with the
 * usual namespaces and mounts, a small capability set, and the /proc and
 * /sys paths engines mask. Edit process.args to run something else. */
#include "runtime/oci/oci.h"

json_t *oci_default_config(void)
{
    const char *caps = "[\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"]";
    json_t *c = json_loads(caps, 0, NULL);
    json_t *o = json_pack(
        "{s:s, s:{s:b, s:{s:i, s:i}, s:[s], s:[s,s], s:s, s:{s:O, s:O, s:O}, "
        "s:[{s:s, s:i, s:i}], s:b}, s:{s:s, s:b}, s:s, "
        "s:[{s:s, s:s, s:s, s:[s,s,s]}, {s:s, s:s, s:s, s:[s,s,s,s]}, "
        "{s:s, s:s, s:s, s:[s,s,s,s,s,s]}, {s:s, s:s, s:s, s:[s,s,s,s,s]}, "
        "{s:s, s:s, s:s, s:[s,s,s]}, {s:s, s:s, s:s, s:[s,s,s,s]}], "
        "s:{s:[{s:s}, {s:s}, {s:s}, {s:s}, {s:s}, {s:s}], s:[s,s,s,s,s,s,s,s,s,s], "
        "s:[s,s,s,s,s]}}",
        "ociVersion", OCI_VERSION,
        "process", "terminal", 0, "user", "uid", 0, "gid", 0, "args", "sh", "env",
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", "cwd", "/",
        "capabilities", "bounding", c, "effective", c, "permitted", c, "rlimits", "type",
        "RLIMIT_NOFILE", "hard", 1024, "soft", 1024, "noNewPrivileges", 1,
        "root", "path", "rootfs", "readonly", 1,
        "hostname", "osbox",
        "mounts",
        "destination", "/proc", "type", "proc", "source", "proc", "options", "nosuid", "noexec", "nodev",
        "destination", "/dev", "type", "tmpfs", "source", "tmpfs", "options", "nosuid", "strictatime",
        "mode=755", "size=65536k",
        "destination", "/dev/pts", "type", "devpts", "source", "devpts", "options", "nosuid", "noexec",
        "newinstance", "ptmxmode=0666", "mode=0620", "gid=5",
        "destination", "/dev/shm", "type", "tmpfs", "source", "shm", "options", "nosuid", "noexec",
        "nodev", "mode=1777", "size=65536k",
        "destination", "/dev/mqueue", "type", "mqueue", "source", "mqueue", "options", "nosuid",
        "noexec", "nodev",
        "destination", "/sys", "type", "sysfs", "source", "sysfs", "options", "nosuid", "noexec",
        "nodev", "ro",
        "linux", "namespaces", "type", "pid", "type", "network", "type", "ipc", "type", "uts", "type",
        "mount", "type", "cgroup",
        "maskedPaths", "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
        "readonlyPaths", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");

    json_decref(c);
    return o;
}
