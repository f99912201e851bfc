/* libcrypto (sha256 of image blobs, OCI runtime ids, base64 of registry
 * credentials), opened on first use: see dl_lazy.h. */
#ifndef OSBOX_DL_CRYPTO_H
#define OSBOX_DL_CRYPTO_H

#include <openssl/evp.h>

#include "dl_lazy.h"

/* Every libcrypto.so.3 entry point osbox calls. */
#define OSBOX_CRYPTO_SYMS(X) \
    X(EVP_DecodeBlock) \
    X(EVP_Digest) \
    X(EVP_DigestFinal_ex) \
    X(EVP_DigestInit_ex) \
    X(EVP_DigestUpdate) \
    X(EVP_EncodeBlock) \
    X(EVP_MD_CTX_free) \
    X(EVP_MD_CTX_new) \
    X(EVP_sha256)

struct osbox_crypto_api {
    OSBOX_CRYPTO_SYMS(OSBOX_DL_MEMBER)
};
extern struct osbox_crypto_api osbox_crypto;

/* Load libcrypto.so.3 (once); call before the first use of anything below.
 * 0, or -1 with "libcrypto.so.3 not found: install libssl3". */
int lazy_crypto_load(struct osbox_err *err);

/* Call sites keep the library's own names. */
#ifndef OSBOX_DL_IMPL
#define EVP_DecodeBlock (*osbox_crypto.EVP_DecodeBlock)
#define EVP_Digest (*osbox_crypto.EVP_Digest)
#define EVP_DigestFinal_ex (*osbox_crypto.EVP_DigestFinal_ex)
#define EVP_DigestInit_ex (*osbox_crypto.EVP_DigestInit_ex)
#define EVP_DigestUpdate (*osbox_crypto.EVP_DigestUpdate)
#define EVP_EncodeBlock (*osbox_crypto.EVP_EncodeBlock)
#define EVP_MD_CTX_free (*osbox_crypto.EVP_MD_CTX_free)
#define EVP_MD_CTX_new (*osbox_crypto.EVP_MD_CTX_new)
#define EVP_sha256 (*osbox_crypto.EVP_sha256)
#endif

#endif
