#define OSBOX_DL_IMPL
#include "dl_archive.h"

struct osbox_archive_api osbox_archive;

#define SYM(f) OSBOX_DL_SYM(osbox_archive, f)
static const struct osbox_dl_sym syms[] = { OSBOX_ARCHIVE_SYMS(SYM) };

static struct osbox_dl_lib lib = {
    .soname = "libarchive.so.13",
    .package = "libarchive13",
    .syms = syms,
    .nsyms = sizeof syms / sizeof syms[0],
};

int lazy_archive_load(struct osbox_err *err)
{
    return osbox_dl_load(&lib, err);
}
