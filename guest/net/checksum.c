/* The Internet checksum (RFC 1071): the ones'-complement sum of 16-bit
 * big-endian words, carried around, then inverted. */
#include "kernel.h"
#include "net.h"

u32 csum_add(u32 sum, const void *data, size_t len)
{
    const u8 *p = data;
    u64 s = sum;
    for (; len > 1; len -= 2, p += 2) s += (u32)p[0] << 8 | p[1];
    if (len) s += (u32)p[0] << 8;
    while (s >> 32) s = (s & 0xffffffff) + (s >> 32);
    return (u32)s;
}

/* fold to 16 bits and invert; returned in network byte order */
u16 csum_fold(u32 sum)
{
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return htons((u16)~sum);
}

/* the pseudo-header UDP and TCP checksums cover (addresses in host order) */
u32 csum_pseudo(u32 src, u32 dst, u8 proto, u16 len)
{
    u64 s = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + len;
    while (s >> 32) s = (s & 0xffffffff) + (s >> 32);
    return (u32)s;
}
