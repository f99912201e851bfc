/* cpu: pure computation, no system calls in the timed part.
 * Hashing and sieving run entirely in user mode; any difference between host,
 * container and VM here comes from the CPU itself (frequency, caches, noisy
 * neighbours, nested paging on TLB misses), not from the kernel. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "wl.h"

static const struct wl_usage usage = {
    "cpu",
    "Usage: cpu [SIZE] [LIMIT]\n"
    "\n"
    "SHA-256 of a SIZE-byte buffer (default 64m) filled with byte i = (i*7+3)&255:\n"
    "throughput sha256_MBps (the digest is printed too); then a sieve of\n"
    "Eratosthenes up to LIMIT (default 10m): sieve_ms, with the prime count.\n",
};

int main(int argc, char **argv)
{
    uint64_t size, limit, t0, t1, primes = 0;
    unsigned char *buf, digest[32];
    struct sha256 s;
    char extra[128];
    int off;

    wl_init(&usage, argc, argv);
    wl_max_args(argc, argv, 2);
    size = wl_arg_size(argc, argv, 1, 64u << 20, 1, 4ULL << 30, "SIZE");
    limit = wl_arg_count(argc, argv, 2, 10000000, 2, 4000000000ULL, "LIMIT");

    buf = malloc(size);
    if (!buf)
        wl_die("malloc %llu", (unsigned long long)size);
    for (uint64_t i = 0; i < size; i++)
        buf[i] = (unsigned char)(i * 7 + 3);
    t0 = wl_now_ns();
    sha256_init(&s);
    sha256_update(&s, buf, size);
    sha256_final(&s, digest);
    t1 = wl_now_ns();
    off = snprintf(extra, sizeof extra, "\"sha256\":\"");
    for (int i = 0; i < 32; i++)
        off += snprintf(extra + off, sizeof extra - (size_t)off, "%02x", digest[i]);
    snprintf(extra + off, sizeof extra - (size_t)off, "\"");
    wl_emit("sha256_MBps", (double)size / 1048576.0 / ((double)(t1 - t0) / 1e9), "MB/s", size,
            extra);
    free(buf);

    /* Sieve over odd numbers only: bit i stands for 2i+1. */
    uint8_t *composite = calloc(limit / 16 + 1, 1);
    if (!composite)
        wl_die("calloc");
    t0 = wl_now_ns();
    primes = limit >= 2;
    for (uint64_t i = 1; 2 * i + 1 <= limit; i++) {
        if (composite[i >> 3] & (1u << (i & 7)))
            continue;
        primes++;
        uint64_t p = 2 * i + 1;
        if (p > limit / p)
            continue;
        for (uint64_t m = p * p; m <= limit; m += 2 * p)
            composite[(m / 2) >> 3] |= (uint8_t)(1u << ((m / 2) & 7));
    }
    t1 = wl_now_ns();
    snprintf(extra, sizeof extra, "\"primes\":%llu", (unsigned long long)primes);
    wl_emit("sieve_ms", (double)(t1 - t0) / 1e6, "ms", limit, extra);
    free(composite);
    return 0;
}
