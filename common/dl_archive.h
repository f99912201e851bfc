/* libarchive (tar read/write: image load, import, save; layer extraction),
 * opened on first use: see dl_lazy.h. */
#ifndef OSBOX_DL_ARCHIVE_H
#define OSBOX_DL_ARCHIVE_H

#include <archive.h>
#include <archive_entry.h>

#include "dl_lazy.h"

/* Every libarchive.so.13 entry point osbox calls. */
#define OSBOX_ARCHIVE_SYMS(X) \
    X(archive_entry_filetype) \
    X(archive_entry_free) \
    X(archive_entry_gid) \
    X(archive_entry_hardlink) \
    X(archive_entry_mode) \
    X(archive_entry_mtime) \
    X(archive_entry_mtime_nsec) \
    X(archive_entry_new) \
    X(archive_entry_pathname) \
    X(archive_entry_rdev) \
    X(archive_entry_set_filetype) \
    X(archive_entry_set_hardlink) \
    X(archive_entry_set_mtime) \
    X(archive_entry_set_pathname) \
    X(archive_entry_set_perm) \
    X(archive_entry_set_size) \
    X(archive_write_open) \
    X(archive_entry_xattr_add_entry) \
    X(archive_entry_set_symlink) \
    X(archive_entry_set_gid) \
    X(archive_entry_set_uid) \
    X(archive_entry_size) \
    X(archive_entry_size_is_set) \
    X(archive_entry_sourcepath) \
    X(archive_entry_symlink) \
    X(archive_entry_uid) \
    X(archive_entry_xattr_next) \
    X(archive_entry_xattr_reset) \
    X(archive_error_string) \
    X(archive_filter_bytes) \
    X(archive_read_data_block) \
    X(archive_read_disk_descend) \
    X(archive_read_disk_new) \
    X(archive_read_disk_open) \
    X(archive_read_disk_set_behavior) \
    X(archive_read_disk_set_standard_lookup) \
    X(archive_read_disk_set_symlink_hybrid) \
    X(archive_read_free) \
    X(archive_read_new) \
    X(archive_read_next_header) \
    X(archive_read_next_header2) \
    X(archive_read_open) \
    X(archive_read_open_fd) \
    X(archive_read_open_filename) \
    X(archive_read_support_filter_bzip2) \
    X(archive_read_support_filter_gzip) \
    X(archive_read_support_filter_xz) \
    X(archive_read_support_filter_zstd) \
    X(archive_read_support_format_empty) \
    X(archive_read_support_format_raw) \
    X(archive_read_support_format_tar) \
    X(archive_write_close) \
    X(archive_write_data) \
    X(archive_write_data_block) \
    X(archive_write_disk_new) \
    X(archive_write_disk_set_options) \
    X(archive_write_finish_entry) \
    X(archive_write_free) \
    X(archive_write_header) \
    X(archive_write_new) \
    X(archive_write_open_fd) \
    X(archive_write_open_filename) \
    X(archive_write_set_format_pax_restricted)

struct osbox_archive_api {
    OSBOX_ARCHIVE_SYMS(OSBOX_DL_MEMBER)
};
extern struct osbox_archive_api osbox_archive;

/* Load libarchive.so.13 (once); call before the first use of anything below.
 * 0, or -1 with "libarchive.so.13 not found: install libarchive13". */
int lazy_archive_load(struct osbox_err *err);

/* Call sites keep the library's own names. */
#ifndef OSBOX_DL_IMPL
#define archive_entry_filetype (*osbox_archive.archive_entry_filetype)
#define archive_entry_free (*osbox_archive.archive_entry_free)
#define archive_entry_gid (*osbox_archive.archive_entry_gid)
#define archive_entry_hardlink (*osbox_archive.archive_entry_hardlink)
#define archive_entry_mode (*osbox_archive.archive_entry_mode)
#define archive_entry_mtime (*osbox_archive.archive_entry_mtime)
#define archive_entry_mtime_nsec (*osbox_archive.archive_entry_mtime_nsec)
#define archive_entry_new (*osbox_archive.archive_entry_new)
#define archive_entry_pathname (*osbox_archive.archive_entry_pathname)
#define archive_entry_rdev (*osbox_archive.archive_entry_rdev)
#define archive_entry_set_filetype (*osbox_archive.archive_entry_set_filetype)
#define archive_entry_set_hardlink (*osbox_archive.archive_entry_set_hardlink)
#define archive_entry_set_mtime (*osbox_archive.archive_entry_set_mtime)
#define archive_entry_set_pathname (*osbox_archive.archive_entry_set_pathname)
#define archive_entry_set_perm (*osbox_archive.archive_entry_set_perm)
#define archive_entry_set_size (*osbox_archive.archive_entry_set_size)
#define archive_write_open (*osbox_archive.archive_write_open)
#define archive_entry_xattr_add_entry (*osbox_archive.archive_entry_xattr_add_entry)
#define archive_entry_set_symlink (*osbox_archive.archive_entry_set_symlink)
#define archive_entry_set_gid (*osbox_archive.archive_entry_set_gid)
#define archive_entry_set_uid (*osbox_archive.archive_entry_set_uid)
#define archive_entry_size (*osbox_archive.archive_entry_size)
#define archive_entry_size_is_set (*osbox_archive.archive_entry_size_is_set)
#define archive_entry_sourcepath (*osbox_archive.archive_entry_sourcepath)
#define archive_entry_symlink (*osbox_archive.archive_entry_symlink)
#define archive_entry_uid (*osbox_archive.archive_entry_uid)
#define archive_entry_xattr_next (*osbox_archive.archive_entry_xattr_next)
#define archive_entry_xattr_reset (*osbox_archive.archive_entry_xattr_reset)
#define archive_error_string (*osbox_archive.archive_error_string)
#define archive_filter_bytes (*osbox_archive.archive_filter_bytes)
#define archive_read_data_block (*osbox_archive.archive_read_data_block)
#define archive_read_disk_descend (*osbox_archive.archive_read_disk_descend)
#define archive_read_disk_new (*osbox_archive.archive_read_disk_new)
#define archive_read_disk_open (*osbox_archive.archive_read_disk_open)
#define archive_read_disk_set_behavior (*osbox_archive.archive_read_disk_set_behavior)
#define archive_read_disk_set_standard_lookup (*osbox_archive.archive_read_disk_set_standard_lookup)
#define archive_read_disk_set_symlink_hybrid (*osbox_archive.archive_read_disk_set_symlink_hybrid)
#define archive_read_free (*osbox_archive.archive_read_free)
#define archive_read_new (*osbox_archive.archive_read_new)
#define archive_read_next_header (*osbox_archive.archive_read_next_header)
#define archive_read_next_header2 (*osbox_archive.archive_read_next_header2)
#define archive_read_open (*osbox_archive.archive_read_open)
#define archive_read_open_fd (*osbox_archive.archive_read_open_fd)
#define archive_read_open_filename (*osbox_archive.archive_read_open_filename)
#define archive_read_support_filter_bzip2 (*osbox_archive.archive_read_support_filter_bzip2)
#define archive_read_support_filter_gzip (*osbox_archive.archive_read_support_filter_gzip)
#define archive_read_support_filter_xz (*osbox_archive.archive_read_support_filter_xz)
#define archive_read_support_filter_zstd (*osbox_archive.archive_read_support_filter_zstd)
#define archive_read_support_format_empty (*osbox_archive.archive_read_support_format_empty)
#define archive_read_support_format_raw (*osbox_archive.archive_read_support_format_raw)
#define archive_read_support_format_tar (*osbox_archive.archive_read_support_format_tar)
#define archive_write_close (*osbox_archive.archive_write_close)
#define archive_write_data (*osbox_archive.archive_write_data)
#define archive_write_data_block (*osbox_archive.archive_write_data_block)
#define archive_write_disk_new (*osbox_archive.archive_write_disk_new)
#define archive_write_disk_set_options (*osbox_archive.archive_write_disk_set_options)
#define archive_write_finish_entry (*osbox_archive.archive_write_finish_entry)
#define archive_write_free (*osbox_archive.archive_write_free)
#define archive_write_header (*osbox_archive.archive_write_header)
#define archive_write_new (*osbox_archive.archive_write_new)
#define archive_write_open_fd (*osbox_archive.archive_write_open_fd)
#define archive_write_open_filename (*osbox_archive.archive_write_open_filename)
#define archive_write_set_format_pax_restricted (*osbox_archive.archive_write_set_format_pax_restricted)
#endif

#endif
