/* Heavy shared libraries opened on first use instead of at exec.
 *
 * libarchive (-> libxml2 -> ICU -> libstdc++), libnftables, libext2fs and
 * libcrypto cost every osbox process milliseconds of dynamic loading and
 * megabytes of mapped pages, yet only a few commands use them. Each has a
 * common/dl_NAME.h: a table of the entry points osbox calls, typed from the
 * library's own header (typeof(&fn)), filled by lazy_NAME_load(err), and
 * macros that map the library's names to the table so call sites read as
 * ordinary library calls. build/osbox does not link these libraries at all,
 * so a call that bypasses the table fails at link time, not at run time. */
#ifndef OSBOX_DL_LAZY_H
#define OSBOX_DL_LAZY_H

#include <stddef.h>

#include "osbox_err.h"

struct osbox_dl_sym {
    const char *name;
    void **slot;
};

struct osbox_dl_lib {
    const char *soname;  /* "libarchive.so.13" */
    const char *package; /* Debian package that ships it, for the message */
    const struct osbox_dl_sym *syms;
    size_t nsyms;
    void *handle; /* set once every symbol is resolved */
};

/* dlopen(RTLD_NOW|RTLD_LOCAL) + dlsym of every symbol, once per process
 * (thread-safe). 0, or -1 with "libarchive.so.13 not found: install
 * libarchive13" / "... has no SYMBOL"; err may be NULL. */
int osbox_dl_load(struct osbox_dl_lib *lib, struct osbox_err *err);

/* Helpers for the per-library files. */
#define OSBOX_DL_MEMBER(f) typeof(&f) f;
#define OSBOX_DL_SYM(table, f) { #f, (void **)&(table).f },

#endif
