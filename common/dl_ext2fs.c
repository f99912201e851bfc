#define OSBOX_DL_IMPL
#include "dl_ext2fs.h"

struct osbox_ext2fs_api osbox_ext2fs;

#define SYM(f) OSBOX_DL_SYM(osbox_ext2fs, f)
static const struct osbox_dl_sym syms[] = { OSBOX_EXT2FS_SYMS(SYM) };

static struct osbox_dl_lib lib = {
    .soname = "libext2fs.so.2",
    .package = "libext2fs2",
    .syms = syms,
    .nsyms = sizeof syms / sizeof syms[0],
};

int lazy_ext2fs_load(struct osbox_err *err)
{
    return osbox_dl_load(&lib, err);
}
