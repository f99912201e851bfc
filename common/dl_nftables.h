/* libnftables (NAT and published ports of bridge networking), opened on
 * first use: see dl_lazy.h. */
#ifndef OSBOX_DL_NFTABLES_H
#define OSBOX_DL_NFTABLES_H

#include <nftables/libnftables.h>

#include "dl_lazy.h"

/* Every libnftables.so.1 entry point osbox calls. */
#define OSBOX_NFTABLES_SYMS(X) \
    X(nft_ctx_buffer_error) \
    X(nft_ctx_buffer_output) \
    X(nft_ctx_free) \
    X(nft_ctx_get_error_buffer) \
    X(nft_ctx_get_output_buffer) \
    X(nft_ctx_new) \
    X(nft_ctx_output_set_flags) \
    X(nft_run_cmd_from_buffer)

struct osbox_nftables_api {
    OSBOX_NFTABLES_SYMS(OSBOX_DL_MEMBER)
};
extern struct osbox_nftables_api osbox_nftables;

/* Load libnftables.so.1 (once); call before the first use of anything below.
 * 0, or -1 with "libnftables.so.1 not found: install libnftables1". */
int lazy_nftables_load(struct osbox_err *err);

/* Call sites keep the library's own names. */
#ifndef OSBOX_DL_IMPL
#define nft_ctx_buffer_error (*osbox_nftables.nft_ctx_buffer_error)
#define nft_ctx_buffer_output (*osbox_nftables.nft_ctx_buffer_output)
#define nft_ctx_free (*osbox_nftables.nft_ctx_free)
#define nft_ctx_get_error_buffer (*osbox_nftables.nft_ctx_get_error_buffer)
#define nft_ctx_get_output_buffer (*osbox_nftables.nft_ctx_get_output_buffer)
#define nft_ctx_new (*osbox_nftables.nft_ctx_new)
#define nft_ctx_output_set_flags (*osbox_nftables.nft_ctx_output_set_flags)
#define nft_run_cmd_from_buffer (*osbox_nftables.nft_run_cmd_from_buffer)
#endif

#endif
