#define OSBOX_DL_IMPL
#include "dl_nftables.h"

struct osbox_nftables_api osbox_nftables;

#define SYM(f) OSBOX_DL_SYM(osbox_nftables, f)
static const struct osbox_dl_sym syms[] = { OSBOX_NFTABLES_SYMS(SYM) };

static struct osbox_dl_lib lib = {
    .soname = "libnftables.so.1",
    .package = "libnftables1",
    .syms = syms,
    .nsyms = sizeof syms / sizeof syms[0],
};

int lazy_nftables_load(struct osbox_err *err)
{
    return osbox_dl_load(&lib, err);
}
