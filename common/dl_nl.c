#define OSBOX_DL_IMPL
#include "dl_nl.h"

struct osbox_nl_api osbox_nl;

#define SYM(f) OSBOX_DL_SYM(osbox_nl, f)
static const struct osbox_dl_sym syms[] = { OSBOX_NL_SYMS(SYM) };

static struct osbox_dl_lib lib = {
    .soname = "libnl-route-3.so.200",
    .package = "libnl-route-3-200",
    .syms = syms,
    .nsyms = sizeof syms / sizeof syms[0],
};

int lazy_nl_load(struct osbox_err *err)
{
    return osbox_dl_load(&lib, err);
}
