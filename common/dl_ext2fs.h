/* libext2fs (the vm run disk builder, the kernel inside guest.img), opened
 * on first use: see dl_lazy.h. */
#ifndef OSBOX_DL_EXT2FS_H
#define OSBOX_DL_EXT2FS_H

#include <ext2fs/ext2_fs.h>
#include <ext2fs/ext2fs.h>

#include "dl_lazy.h"

/* Every libext2fs.so.2 entry point osbox calls. */
#define OSBOX_EXT2FS_SYMS(X) \
    X(ext2fs_allocate_tables) \
    X(ext2fs_blocks_count_set) \
    X(ext2fs_close_free) \
    X(ext2fs_expand_dir) \
    X(ext2fs_file_close) \
    X(ext2fs_file_get_size) \
    X(ext2fs_file_open) \
    X(ext2fs_file_read) \
    X(ext2fs_file_set_size2) \
    X(ext2fs_file_write) \
    X(ext2fs_free) \
    X(ext2fs_initialize) \
    X(ext2fs_inode_alloc_stats2) \
    X(ext2fs_inode_table_loc) \
    X(ext2fs_link) \
    X(ext2fs_lookup) \
    X(ext2fs_mark_ib_dirty) \
    X(ext2fs_mark_inode_bitmap2) \
    X(ext2fs_mkdir) \
    X(ext2fs_namei) \
    X(ext2fs_new_inode) \
    X(ext2fs_open) \
    X(ext2fs_read_inode) \
    X(ext2fs_symlink) \
    X(ext2fs_update_bb_inode) \
    X(ext2fs_write_inode) \
    X(ext2fs_write_new_inode) \
    X(ext2fs_zero_blocks2) \
    X(unix_io_manager)

struct osbox_ext2fs_api {
    OSBOX_EXT2FS_SYMS(OSBOX_DL_MEMBER)
};
extern struct osbox_ext2fs_api osbox_ext2fs;

/* Load libext2fs.so.2 (once); call before the first use of anything below.
 * 0, or -1 with "libext2fs.so.2 not found: install libext2fs2". */
int lazy_ext2fs_load(struct osbox_err *err);

/* Call sites keep the library's own names. */
#ifndef OSBOX_DL_IMPL
#define ext2fs_allocate_tables (*osbox_ext2fs.ext2fs_allocate_tables)
#define ext2fs_blocks_count_set (*osbox_ext2fs.ext2fs_blocks_count_set)
#define ext2fs_close_free (*osbox_ext2fs.ext2fs_close_free)
#define ext2fs_expand_dir (*osbox_ext2fs.ext2fs_expand_dir)
#define ext2fs_file_close (*osbox_ext2fs.ext2fs_file_close)
#define ext2fs_file_get_size (*osbox_ext2fs.ext2fs_file_get_size)
#define ext2fs_file_open (*osbox_ext2fs.ext2fs_file_open)
#define ext2fs_file_read (*osbox_ext2fs.ext2fs_file_read)
#define ext2fs_file_set_size2 (*osbox_ext2fs.ext2fs_file_set_size2)
#define ext2fs_file_write (*osbox_ext2fs.ext2fs_file_write)
#define ext2fs_free (*osbox_ext2fs.ext2fs_free)
#define ext2fs_initialize (*osbox_ext2fs.ext2fs_initialize)
#define ext2fs_inode_alloc_stats2 (*osbox_ext2fs.ext2fs_inode_alloc_stats2)
#define ext2fs_inode_table_loc (*osbox_ext2fs.ext2fs_inode_table_loc)
#define ext2fs_link (*osbox_ext2fs.ext2fs_link)
#define ext2fs_lookup (*osbox_ext2fs.ext2fs_lookup)
#define ext2fs_mark_ib_dirty (*osbox_ext2fs.ext2fs_mark_ib_dirty)
#define ext2fs_mark_inode_bitmap2 (*osbox_ext2fs.ext2fs_mark_inode_bitmap2)
#define ext2fs_mkdir (*osbox_ext2fs.ext2fs_mkdir)
#define ext2fs_namei (*osbox_ext2fs.ext2fs_namei)
#define ext2fs_new_inode (*osbox_ext2fs.ext2fs_new_inode)
#define ext2fs_open (*osbox_ext2fs.ext2fs_open)
#define ext2fs_read_inode (*osbox_ext2fs.ext2fs_read_inode)
#define ext2fs_symlink (*osbox_ext2fs.ext2fs_symlink)
#define ext2fs_update_bb_inode (*osbox_ext2fs.ext2fs_update_bb_inode)
#define ext2fs_write_inode (*osbox_ext2fs.ext2fs_write_inode)
#define ext2fs_write_new_inode (*osbox_ext2fs.ext2fs_write_new_inode)
#define ext2fs_zero_blocks2 (*osbox_ext2fs.ext2fs_zero_blocks2)
#define unix_io_manager (*osbox_ext2fs.unix_io_manager)
#endif

#endif
