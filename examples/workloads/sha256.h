/* A small SHA-256 (FIPS 180-4) for the cpu workload: musl has none, and the
 * workloads must stay static and self-contained. */
#ifndef WL_SHA256_H
#define WL_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
    uint32_t h[8];
    uint64_t len;      /* bytes hashed so far */
    uint8_t buf[64];
    size_t used;       /* bytes waiting in buf */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t out[32]);

#endif
