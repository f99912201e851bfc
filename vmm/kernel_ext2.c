/* Read one file (the guest kernel) out of an ext2 disk image with libext2fs,
 * opened read-only so the image is never modified. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dl_ext2fs.h"
#include "vmm.h"

#define KERNEL_MAX_BYTES (256u << 20)

/* libext2fs error text lives in libcom_err, which the build does not link:
 * name the common codes ourselves. */
static const char *ext2_msg(errcode_t e)
{
    static __thread char buf[48];

    if (e > 0 && e < 4096)
        return strerror((int)e);
    switch (e) {
    case EXT2_ET_BAD_MAGIC: return "bad ext2 superblock magic";
    case EXT2_ET_SHORT_READ: return "short read";
    case EXT2_ET_FILE_NOT_FOUND: return "file not found";
    case EXT2_ET_NO_DIRECTORY: return "not a directory";
    case EXT2_ET_UNSUPP_FEATURE: return "unsupported filesystem feature";
    case EXT2_ET_CORRUPT_SUPERBLOCK: return "corrupt superblock";
    default:
        snprintf(buf, sizeof buf, "ext2fs error %ld", (long)e);
        return buf;
    }
}

int vmm_read_ext2_file(const char *image, const char *path, void **buf, size_t *len,
                       struct osbox_err *err)
{
    ext2_filsys fs = NULL;
    ext2_file_t file = NULL;
    ext2_ino_t ino;
    errcode_t e;
    __u64 size;
    unsigned int got;
    char *data = NULL;
    int ret = -1;

    if (lazy_ext2fs_load(err) < 0)
        return -1;
    e = ext2fs_open(image, 0 /* read-only */, 0, 0, unix_io_manager, &fs);
    if (e) {
        osbox_error(err, 0, "%s is not an ext2 disk image (%s)", image, ext2_msg(e));
        return -1;
    }
    e = ext2fs_namei(fs, EXT2_ROOT_INO, EXT2_ROOT_INO, path, &ino);
    if (e) {
        osbox_error(err, 0, "%s: no %s in the image (%s)", image, path, ext2_msg(e));
        goto out;
    }
    e = ext2fs_file_open(fs, ino, 0, &file);
    if (e) {
        osbox_error(err, 0, "%s: open %s: %s", image, path, ext2_msg(e));
        goto out;
    }
    size = ext2fs_file_get_size(file);
    if (size == 0 || size > KERNEL_MAX_BYTES) {
        osbox_error(err, 0, "%s: %s has an implausible size (%llu bytes)", image, path,
                    (unsigned long long)size);
        goto out;
    }
    data = malloc(size);
    if (!data) {
        osbox_error(err, ENOMEM, "read %s", path);
        goto out;
    }
    for (__u64 off = 0; off < size; off += got) {
        e = ext2fs_file_read(file, data + off, (unsigned int)(size - off), &got);
        if (e || got == 0) {
            osbox_error(err, 0, "%s: read %s: %s", image, path, e ? ext2_msg(e) : "short read");
            goto out;
        }
    }
    *buf = data;
    *len = size;
    data = NULL;
    ret = 0;
out:
    free(data);
    if (file)
        ext2fs_file_close(file);
    ext2fs_close_free(&fs);
    return ret;
}
