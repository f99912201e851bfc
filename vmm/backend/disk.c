/* vm run: the guest writes to its root disk, but the image's disk is a
 * cache shared by every run (images_ext2_disk()). So each run boots a
 * private copy: reflinked where the filesystem shares extents (btrfs, xfs),
 * else a sparse copy of the data extents only (the disk is mostly free
 * space, so this copies a few MiB). The copy is an O_TMPFILE: it has no name,
 * and the kernel frees it when the last fd closes — a killed osbox leaves
 * nothing behind. The monitor opens it as /proc/self/fd/N. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "internal.h"
#include "util.h"

static int tmpfile_in(const char *dir)
{
    return open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
}

/* Copy [0, size) of in to out, skipping holes. */
static int sparse_copy(int in, int out, off_t size, const char *path, struct osbox_err *err)
{
    if (ftruncate(out, size) < 0)
        return osbox_error(err, errno, "size the copy of %s", path);
    for (off_t pos = 0; pos < size;) {
        off_t data = lseek(in, pos, SEEK_DATA), hole;
        if (data < 0) {
            if (errno == ENXIO) /* only a hole is left */
                break;
            return osbox_error(err, errno, "seek in %s", path);
        }
        hole = lseek(in, data, SEEK_HOLE);
        if (hole < 0)
            return osbox_error(err, errno, "seek in %s", path);
        for (off_t off_in = data, off_out = data; off_in < hole;) {
            ssize_t n = copy_file_range(in, &off_in, out, &off_out, (size_t)(hole - off_in), 0);
            if (n <= 0)
                return osbox_error(err, n < 0 ? errno : EIO, "copy %s", path);
        }
        pos = hole;
    }
    return 0;
}

int vm_disk_copy(const char *path, const char **how, struct osbox_err *err)
{
    _cleanup_close_ int in = open(path, O_RDONLY | O_CLOEXEC);
    _cleanup_free_ char *dir = osbox_xstrdup(path);
    char *slash = strrchr(dir, '/');
    struct stat st;
    int out;

    if (in < 0 || fstat(in, &st) < 0)
        return osbox_error(err, errno, "open %s", path);
    if (slash)
        *slash = '\0';
    /* Next to the cached disk first: the same filesystem, so a reflink can work. */
    out = tmpfile_in(slash ? dir : ".");
    if (out < 0) {
        if (osbox_mkdir_p(osbox_run_dir(), 0700, err) < 0)
            return -1;
        out = tmpfile_in(osbox_run_dir());
        if (out < 0)
            return osbox_error(err, errno, "create a disk copy in %s", osbox_run_dir());
    }
    if (ioctl(out, FICLONE, in) == 0) {
        *how = "reflink";
        return out;
    }
    if (sparse_copy(in, out, st.st_size, path, err) < 0) {
        close(out);
        return -1;
    }
    *how = "sparse copy";
    return out;
}

char *vm_default_kernel(void)
{
    static const char *const rel[] = { "guest/osbox-kernel", "../lib/osbox/osbox-kernel" };
    char exe[PATH_MAX], *slash;
    ssize_t n;

    if (getenv("OSBOX_GUEST_KERNEL") && *getenv("OSBOX_GUEST_KERNEL"))
        return osbox_xstrdup(getenv("OSBOX_GUEST_KERNEL"));
    n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        if ((slash = strrchr(exe, '/'))) {
            *slash = '\0';
            for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
                char *p = osbox_strdup_printf("%s/%s", exe, rel[i]);
                if (access(p, R_OK) == 0)
                    return p;
                free(p);
            }
        }
    }
    return osbox_xstrdup("/usr/local/lib/osbox/osbox-kernel");
}
