/* sha256 digests through libcrypto, in the "sha256:<hex>" form OCI uses. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dl_crypto.h"
#include "internal.h"
#include "util.h"

int images_hash_init(struct images_hash *h, struct osbox_err *err)
{
    h->bytes = 0;
    h->ctx = NULL;
    if (lazy_crypto_load(err) < 0)
        return -1;
    h->ctx = EVP_MD_CTX_new();
    if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(h->ctx);
        h->ctx = NULL;
        return osbox_error(err, ENOMEM, "sha256 init");
    }
    return 0;
}

void images_hash_update(struct images_hash *h, const void *buf, size_t len)
{
    EVP_DigestUpdate(h->ctx, buf, len);
    h->bytes += len;
}

void images_hash_final(struct images_hash *h, char out[72])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    EVP_DigestFinal_ex(h->ctx, md, &n);
    memcpy(out, "sha256:", 7);
    for (unsigned int i = 0; i < n && i < 32; i++)
        sprintf(out + 7 + 2 * i, "%02x", md[i]);
    out[71] = '\0';
    images_hash_free(h);
}

void images_hash_free(struct images_hash *h)
{
    if (h->ctx) /* else libcrypto may not even be loaded */
        EVP_MD_CTX_free(h->ctx);
    h->ctx = NULL;
}

void images_sha256_buf(const void *buf, size_t len, char out[72])
{
    struct images_hash h;
    struct osbox_err err;

    if (images_hash_init(&h, &err) < 0) {
        out[0] = '\0';
        return;
    }
    images_hash_update(&h, buf, len);
    images_hash_final(&h, out);
}

bool images_digest_valid(const char *d)
{
    return d && strncmp(d, "sha256:", 7) == 0 && osbox_is_hex(d + 7, IMAGES_SHA256_HEX);
}
