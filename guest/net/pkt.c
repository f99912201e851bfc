/* Outgoing packets: headers prepended in place, payload referenced where
 * it lies (see struct pkt in net.h).  Copying costs the most here: under a
 * hypervisor that emulates the guest kernel every byte moved is counted, so
 * a TCP segment's payload is read once, by the device, straight from the
 * socket's send ring. */
#include "kernel.h"
#include "mm.h"
#include "net.h"

void pkt_init(struct pkt *p)
{
    p->head = PKT_HEADROOM;
    p->nfrags = 0;
    p->stable = false;
    p->csum_partial = false;
    p->gso_mss = 0;
    p->l4_len = p->l4_hdr_len = p->csum_off = 0;
    p->l4_proto = 0;
}

void *pkt_push(struct pkt *p, u32 n)
{
    if (n > p->head) panic("pkt_push: %u bytes of headroom left, %u wanted", p->head, n);
    p->head -= n;
    return p->hdr + p->head;
}

void pkt_add(struct pkt *p, const void *data, u32 len)
{
    if (!len) return;
    if (p->nfrags == PKT_FRAGS) panic("pkt_add: more than %d payload pieces", PKT_FRAGS);
    p->frag[p->nfrags].data = data;
    p->frag[p->nfrags].len = len;
    p->nfrags++;
}

u32 pkt_len(const struct pkt *p)
{
    u32 n = PKT_HEADROOM - p->head;
    for (u32 i = 0; i < p->nfrags; i++) n += p->frag[i].len;
    return n;
}

u32 pkt_flatten(const struct pkt *p, u8 *dst)
{
    u32 n = PKT_HEADROOM - p->head;
    memcpy(dst, p->hdr + p->head, n);
    for (u32 i = 0; i < p->nfrags; i++) {
        memcpy(dst + n, p->frag[i].data, p->frag[i].len);
        n += p->frag[i].len;
    }
    return n;
}

struct pkt *pkt_clone(const struct pkt *p)
{
    u32 len = pkt_len(p);
    struct pkt *c = kmalloc(sizeof *c + len);
    if (!c) return NULL;
    *c = *p;
    u8 *data = (u8 *)(c + 1);
    pkt_flatten(p, data);
    c->head = PKT_HEADROOM;
    c->nfrags = 0;
    pkt_add(c, data, len);
    c->stable = true;       /* its bytes live until net_free_after_tx */
    return c;
}

void pkt_l4_checksum(struct pkt *p, u32 src, u32 dst, u8 proto, u16 csum_off)
{
    p->l4_len = pkt_len(p);
    p->l4_hdr_len = (u16)(PKT_HEADROOM - p->head);
    p->l4_proto = proto;
    p->csum_off = csum_off;
    p->csum_partial = true;
    /* the field holds the pseudo-header sum, folded but not inverted: the
     * one's-complement sum over the whole segment then yields the checksum */
    u32 s = csum_pseudo(src, dst, proto, (u16)p->l4_len);
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    u16 seed = htons((u16)s);
    memcpy(p->hdr + p->head + csum_off, &seed, 2);
}

/* A piece of the summed range that starts at an odd offset pairs its bytes
 * the other way round: sum it as if aligned, then swap the result's bytes
 * (RFC 1071, "byte order independence"). */
static u32 csum_add_piece(u32 sum, const u8 *d, u32 len, bool odd)
{
    if (!odd) return csum_add(sum, d, len);
    u32 s = csum_add(0, d, len);
    s = (u16)(s << 8 | s >> 8);
    u64 t = (u64)sum + s;
    while (t >> 32) t = (t & 0xffffffff) + (t >> 32);
    return (u32)t;
}

void pkt_csum_finish(struct pkt *p)
{
    if (!p->csum_partial) return;
    u32 total = pkt_len(p), start = total - p->l4_len;
    u32 hdr_bytes = PKT_HEADROOM - p->head, pos = 0, sum = 0;
    u8 *field = NULL;
    /* the L4 header is in hdr[] (pushed last, before IP and Ethernet), or
     * in the first piece of a clone */
    if (start < hdr_bytes) {
        field = p->hdr + p->head + start + p->csum_off;
        sum = csum_add_piece(sum, p->hdr + p->head + start, hdr_bytes - start, false);
        pos = hdr_bytes - start;
    }
    u32 skip = start > hdr_bytes ? start - hdr_bytes : 0;
    for (u32 i = 0; i < p->nfrags; i++) {
        const u8 *d = p->frag[i].data;
        u32 len = p->frag[i].len;
        if (skip >= len) { skip -= len; continue; }
        d += skip, len -= skip;
        if (!field) field = (u8 *)d + p->csum_off;
        skip = 0;
        sum = csum_add_piece(sum, d, len, pos & 1);
        pos += len;
    }
    if (!field) return;
    u16 c = csum_fold(sum);
    if (!c && p->l4_proto == IPPROTO_UDP) c = 0xffff;    /* 0 means "no checksum" in UDP */
    memcpy(field, &c, 2);
    p->csum_partial = false;
}
