/* The Internet checksum (RFC 1071): the ones'-complement sum of 16-bit
 * big-endian words, carried around, then inverted. */
#include "kernel.h"
#include "net.h"

u32 csum_add(u32 sum, const void *data, size_t len)
{
    /* Sum little-endian words 8 bytes at a time: the ones'-complement sum
     * is the same in either byte order once its two bytes are swapped. */
    const u8 *p = data;
    u64 s = 0;
    for (; len >= 8; len -= 8, p += 8) {
        u64 v;
        memcpy(&v, p, 8);
        s += (v & 0xffffffff) + (v >> 32);
    }
    for (; len >= 2; len -= 2, p += 2) s += (u32)p[0] | (u32)p[1] << 8;
    if (len) s += p[0];
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    u64 t = (u64)sum + (u16)(s << 8 | s >> 8);
    while (t >> 32) t = (t & 0xffffffff) + (t >> 32);
    return (u32)t;
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
