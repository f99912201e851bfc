/* osbox cp: files between the host and a running container as a tar stream
 * over a pipe. The container's side runs in a child that has joined the
 * container's mount namespace and chrooted into its init's root, so every
 * path there, symlinks included, resolves inside the container and cannot
 * name a host file. The host's side extracts with libarchive's secure
 * flags: no "..", no absolute names, and nothing written through a symlink,
 * so a tar the container made cannot reach outside the destination either.
 * As Docker: a destination that is a directory receives SRC under its own
 * name, otherwise the copy is named DST; "-" is a tar on stdin/stdout. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dl_archive.h"
#include "runtime/lifecycle/lifecycle.h"
#include "runtime/ops/ops.h"
#include "util.h"

/* Write a tar of path (named by its last component) to fd; one_fs: do not
 * descend into mounts (export: the root filesystem, not /proc, /sys, /dev). */
static int tar_out(const char *path, int fd, bool one_fs, struct osbox_err *err)
{
    _cleanup_free_ char *copy = osbox_xstrdup(path), *copy2 = osbox_xstrdup(path);
    const char *dir = dirname(copy), *base = basename(copy2);
    struct archive *disk = archive_read_disk_new(), *w = archive_write_new();
    struct archive_entry *e;
    struct stat st;
    int rc = 0, r;

    if (!strcmp(base, "/") || !strcmp(base, ".") || !strcmp(base, ".."))
        base = ".";
    if (lstat(path, &st) < 0 && stat(path, &st) < 0)
        rc = osbox_error(err, errno, "%s", path);
    else if (chdir(dir) < 0)
        rc = osbox_error(err, errno, "%s", dir);
    if (rc == 0) {
        archive_read_disk_set_symlink_hybrid(disk); /* follow SRC itself, copy links below it as links */
        if (one_fs)
            archive_read_disk_set_behavior(disk, ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS);
        archive_read_disk_set_standard_lookup(disk);
        archive_write_set_format_pax_restricted(w);
        if (archive_write_open_fd(w, fd) != ARCHIVE_OK || archive_read_disk_open(disk, base) != ARCHIVE_OK)
            rc = osbox_error(err, 0, "tar %s: %s", path, archive_error_string(disk));
    }
    while (rc == 0) {
        e = archive_entry_new();
        r = archive_read_next_header2(disk, e);
        if (r == ARCHIVE_EOF) {
            archive_entry_free(e);
            break;
        }
        if (r < ARCHIVE_WARN) {
            rc = osbox_error(err, 0, "tar %s: %s", path, archive_error_string(disk));
            archive_entry_free(e);
            break;
        }
        archive_read_disk_descend(disk);
        if (archive_write_header(w, e) < ARCHIVE_WARN)
            rc = osbox_error(err, 0, "tar %s: %s", archive_entry_pathname(e), archive_error_string(w));
        if (rc == 0 && archive_entry_filetype(e) == AE_IFREG && archive_entry_size(e) > 0) {
            int in = open(archive_entry_sourcepath(e), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
            char buf[65536];
            ssize_t n;
            if (in < 0)
                rc = osbox_error(err, errno, "%s", archive_entry_sourcepath(e));
            while (rc == 0 && (n = read(in, buf, sizeof buf)) > 0)
                if (archive_write_data(w, buf, (size_t)n) < 0)
                    rc = osbox_error(err, 0, "tar: %s", archive_error_string(w));
            if (in >= 0)
                close(in);
        }
        archive_entry_free(e);
    }
    if (archive_write_close(w) != ARCHIVE_OK && rc == 0)
        rc = osbox_error(err, 0, "tar: %s", archive_error_string(w));
    archive_write_free(w);
    archive_read_free(disk);
    return rc;
}

/* The entry's name with its first component replaced by top (NULL: kept). */
static char *renamed(const char *name, const char *top)
{
    const char *rest;

    if (!top)
        return osbox_xstrdup(name);
    while (name[0] == '.' && name[1] == '/')
        name += 2;
    rest = strchr(name, '/');
    return osbox_strdup_printf("%s%s", top, rest ? rest : "");
}

/* Extract the tar on fd to dst (see the top comment); secure: see there. */
static int tar_in(int fd, const char *dst, bool no_symlinks, struct osbox_err *err)
{
    struct archive *r = archive_read_new(), *w = archive_write_disk_new();
    struct archive_entry *e;
    struct stat st;
    _cleanup_free_ char *copy = osbox_xstrdup(dst), *copy2 = osbox_xstrdup(dst);
    const char *into, *top = NULL;
    int rc = 0, x;

    if (stat(dst, &st) == 0 && S_ISDIR(st.st_mode)) {
        into = dst;
    } else {
        into = dirname(copy);
        top = basename(copy2);
        if (stat(into, &st) < 0 || !S_ISDIR(st.st_mode))
            rc = osbox_error(err, errno ? errno : ENOTDIR, "%s", into);
    }
    if (rc == 0 && chdir(into) < 0)
        rc = osbox_error(err, errno, "%s", into);
    archive_read_support_format_tar(r);
    archive_write_disk_set_options(w, ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_OWNER |
                                          ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                          ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS |
                                          (no_symlinks ? ARCHIVE_EXTRACT_SECURE_SYMLINKS : 0));
    if (rc == 0 && archive_read_open_fd(r, fd, 65536) != ARCHIVE_OK)
        rc = osbox_error(err, 0, "read the tar stream: %s", archive_error_string(r));
    while (rc == 0 && (x = archive_read_next_header(r, &e)) != ARCHIVE_EOF) {
        if (x < ARCHIVE_WARN) {
            rc = osbox_error(err, 0, "read the tar stream: %s", archive_error_string(r));
            break;
        }
        _cleanup_free_ char *name = renamed(archive_entry_pathname(e), top);
        archive_entry_set_pathname(e, name);
        if (archive_entry_hardlink(e)) {
            _cleanup_free_ char *link = renamed(archive_entry_hardlink(e), top);
            archive_entry_set_hardlink(e, link);
        }
        if (archive_write_header(w, e) < ARCHIVE_WARN) {
            rc = osbox_error(err, 0, "%s: %s", name, archive_error_string(w));
            break;
        }
        const void *buf;
        size_t len;
        int64_t off;
        while (rc == 0 && (x = archive_read_data_block(r, &buf, &len, &off)) == ARCHIVE_OK)
            if (archive_write_data_block(w, buf, len, off) < ARCHIVE_WARN)
                rc = osbox_error(err, 0, "%s: %s", name, archive_error_string(w));
        if (rc == 0 && x < ARCHIVE_WARN)
            rc = osbox_error(err, 0, "read the tar stream: %s", archive_error_string(r));
        if (rc == 0 && archive_write_finish_entry(w) < ARCHIVE_WARN)
            rc = osbox_error(err, 0, "%s: %s", name, archive_error_string(w));
    }
    archive_write_close(w);
    archive_write_free(w);
    archive_read_free(r);
    return rc;
}

/* Copy the raw tar between two fds (for "-"). */
static int pump(int in, int out, struct osbox_err *err)
{
    char buf[65536];
    ssize_t n;

    while ((n = read(in, buf, sizeof buf)) > 0)
        if (osbox_write_all(out, buf, (size_t)n) < 0)
            return osbox_error(err, errno, "write the tar stream");
    return n < 0 ? osbox_error(err, errno, "read the tar stream") : 0;
}

/* Fork a child inside the container's mount namespace, chrooted into its
 * root, that runs tar_out(path) or tar_in(path) on fd. Its error comes back
 * as one line on errfd. */
static pid_t container_side(pid_t init, bool out, const char *path, int fd, bool one_fs, int errw)
{
    char p[64];
    pid_t child;

    snprintf(p, sizeof p, "/proc/%d/root", (int)init);
    int root = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    snprintf(p, sizeof p, "/proc/%d/ns/mnt", (int)init);
    int mnt = open(p, O_RDONLY | O_CLOEXEC);
    child = fork();
    if (child == 0) {
        struct osbox_err e;
        osbox_err_clear(&e);
        signal(SIGPIPE, SIG_DFL);
        if (root < 0 || mnt < 0)
            osbox_error(&e, errno, "the container's root");
        else if (setns(mnt, CLONE_NEWNS) < 0 || fchdir(root) < 0 || chroot(".") < 0 || chdir("/") < 0)
            osbox_error(&e, errno, "enter the container's mount namespace");
        else if ((out ? tar_out(path, fd, one_fs, &e) : tar_in(fd, path, false, &e)) == 0)
            _exit(0);
        dprintf(errw, "%s", e.msg);
        _exit(1);
    }
    if (root >= 0)
        close(root);
    if (mnt >= 0)
        close(mnt);
    return child;
}

/* out_fd >= 0: the raw tar from the container goes there (export). */
static int copy(const char *id, bool from_container, const char *ctr_path, const char *host_path, int out_fd,
                bool one_fs, struct osbox_err *err)
{
    struct container_live l;
    int data[2], errp[2], rc = 0, status;
    pid_t child;
    bool dash = !strcmp(host_path, "-");
    char cerr[1024] = "";

    if (!*ctr_path || !*host_path)
        return osbox_error(err, 0, "cp: empty path");
    if (lazy_archive_load(err) < 0) /* before the fork: the child cannot load it from inside */
        return -1;
    container_live_read(id, &l);
    if (!l.running) {
        osbox_error(err, 0, "container %.12s is not running", id);
        err->errnum = ESRCH;
        return -1;
    }
    if (!from_container && !dash && access(host_path, F_OK) < 0)
        return osbox_error(err, errno, "%s", host_path);
    if (pipe2(data, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0)
        return osbox_error(err, errno, "pipe");
    /* A relative container path is from its root, as Docker. */
    _cleanup_free_ char *cpath = ctr_path[0] == '/' ? osbox_xstrdup(ctr_path)
                                                    : osbox_strdup_printf("/%s", ctr_path);
    child = container_side(l.pid, from_container, cpath, from_container ? data[1] : data[0], one_fs, errp[1]);
    close(from_container ? data[1] : data[0]);
    close(errp[1]);
    int mine = from_container ? data[0] : data[1];
    if (child < 0) {
        rc = osbox_error(err, errno, "fork");
    } else {
        /* The host's side in a child of our own as well: it chdirs, and the
         * caller's cwd must stay. */
        int herr[2] = { -1, -1 };
        if (pipe2(herr, O_CLOEXEC) < 0)
            herr[0] = herr[1] = -1;
        pid_t host = fork();
        if (host == 0) {
            struct osbox_err e;
            osbox_err_clear(&e);
            signal(SIGPIPE, SIG_DFL);
            int r = out_fd >= 0 ? pump(mine, out_fd, &e)
                    : dash ? (from_container ? pump(mine, STDOUT_FILENO, &e) : pump(STDIN_FILENO, mine, &e))
                           : (from_container ? tar_in(mine, host_path, true, &e)
                                            : tar_out(host_path, mine, false, &e));
            if (r < 0 && herr[1] >= 0)
                dprintf(herr[1], "%s", e.msg);
            _exit(r < 0 ? 1 : 0);
        }
        close(mine);
        mine = -1;
        if (herr[1] >= 0)
            close(herr[1]);
        char hmsg[1024] = "";
        int hs = 1;
        if (host > 0)
            while (waitpid(host, &hs, 0) < 0 && errno == EINTR)
                ;
        ssize_t n = herr[0] >= 0 ? read(herr[0], hmsg, sizeof hmsg - 1) : 0;
        hmsg[n > 0 ? n : 0] = '\0';
        if (herr[0] >= 0)
            close(herr[0]);
        n = read(errp[0], cerr, sizeof cerr - 1);
        cerr[n > 0 ? n : 0] = '\0';
        while (waitpid(child, &status, 0) < 0 && errno == EINTR)
            ;
        /* The side that failed first names the error (the other one then only
         * sees a broken stream). */
        bool host_failed = host < 0 || !WIFEXITED(hs) || WEXITSTATUS(hs) != 0;
        if (host_failed && WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE)
            rc = osbox_error(err, 0, "%s", *hmsg ? hmsg : "cp failed on the host side");
        else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            rc = osbox_error(err, 0, "%.12s:%s: %s", id, cpath, *cerr ? cerr : "copy failed in the container");
        else if (host_failed)
            rc = osbox_error(err, 0, "%s", *hmsg ? hmsg : "cp failed on the host side");
    }
    if (mine >= 0)
        close(mine);
    close(errp[0]);
    return rc;
}

int container_copy(const char *id, bool from_container, const char *ctr_path, const char *host_path,
                   struct osbox_err *err)
{
    return copy(id, from_container, ctr_path, host_path, -1, false, err);
}

int container_export(const char *id, const char *out, struct osbox_err *err)
{
    bool dash = !out || !strcmp(out, "-");
    _cleanup_free_ char *tmp = dash ? NULL : osbox_strdup_printf("%s.tmp", out);
    int fd = dash ? STDOUT_FILENO : open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc;

    if (fd < 0)
        return osbox_error(err, errno, "%s", tmp);
    rc = copy(id, true, "/", "-", fd, true, err);
    if (!dash) {
        /* The file appears whole or not at all. */
        if (close(fd) < 0 && rc == 0)
            rc = osbox_error(err, errno, "%s", tmp);
        if (rc == 0 && rename(tmp, out) < 0)
            rc = osbox_error(err, errno, "%s", out);
        if (rc < 0)
            unlink(tmp);
    }
    return rc;
}
