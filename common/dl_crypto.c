#define OSBOX_DL_IMPL
#include "dl_crypto.h"

struct osbox_crypto_api osbox_crypto;

#define SYM(f) OSBOX_DL_SYM(osbox_crypto, f)
static const struct osbox_dl_sym syms[] = { OSBOX_CRYPTO_SYMS(SYM) };

static struct osbox_dl_lib lib = {
    .soname = "libcrypto.so.3",
    .package = "libssl3",
    .syms = syms,
    .nsyms = sizeof syms / sizeof syms[0],
};

int lazy_crypto_load(struct osbox_err *err)
{
    return osbox_dl_load(&lib, err);
}
