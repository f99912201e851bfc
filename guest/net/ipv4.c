/* IPv4 (RFC 791) without fragmentation: fragments are counted and dropped,
 * options are skipped, packets for other addresses are ignored.  Output
 * picks the next hop: the destination itself on our subnet, else the gateway. */
#include "kernel.h"
#include "net.h"

#define IP_MF 0x2000
#define IP_OFFSET 0x1fff

u64 ip_frags_dropped, ip_bad_dropped;

void ip_input(const u8 *pkt, size_t len, bool csum_ok)
{
    struct ip_hdr h;
    if (len < sizeof h) { ip_bad_dropped++; return; }
    memcpy(&h, pkt, sizeof h);
    size_t hlen = (h.ver_ihl & 0xf) * 4, total = ntohs(h.total_len);
    if ((h.ver_ihl >> 4) != 4 || hlen < sizeof h || total < hlen || total > len) { ip_bad_dropped++; return; }
    if (csum_fold(csum_add(0, pkt, hlen)) != 0) { ip_bad_dropped++; return; }
    if (ntohs(h.frag) & (IP_MF | IP_OFFSET)) { ip_frags_dropped++; return; }
    u32 src = ntohl(h.src), dst = ntohl(h.dst);
    u32 bcast = netif.addr | ~netif.mask;
    if (dst != netif.addr && dst != 0xffffffff && dst != bcast) return;
    const u8 *data = pkt + hlen;
    size_t dlen = total - hlen;
    switch (h.proto) {
    case IPPROTO_ICMP: if (dst == netif.addr) icmp_input(src, dst, data, dlen); break;
    case IPPROTO_UDP: udp_input(src, dst, data, dlen, csum_ok); break;
    case IPPROTO_TCP: if (dst == netif.addr) tcp_input(src, dst, data, dlen, csum_ok); break;
    }
}

int ip_output(u32 dst, u8 proto, struct pkt *p)
{
    static u16 next_id;
    u32 len = pkt_len(p);
    if (len > IP_MAX_PAYLOAD) return -EMSGSIZE;
    if (ip_is_local(dst)) return loopback_output(dst, proto, p);
    if (!netif.dev || !netif.addr) return -ENETUNREACH;
    u32 next_hop = dst;
    if ((dst & netif.mask) != (netif.addr & netif.mask)) {
        if (!netif.gateway) return -ENETUNREACH;
        next_hop = netif.gateway;
    }
    struct ip_hdr *h = pkt_push(p, sizeof *h);
    *h = (struct ip_hdr){
        .ver_ihl = 0x45, .total_len = htons((u16)(len + sizeof *h)), .id = htons(next_id),
        .frag = htons(0x4000) /* DF */, .ttl = 64, .proto = proto,
        .src = htonl(netif.addr), .dst = htonl(dst),
    };
    h->csum = csum_fold(csum_add(0, h, sizeof *h));
    /* a TSO packet becomes several on the wire, each with the next id */
    next_id += p->gso_mss ? (u16)((len - p->l4_hdr_len + p->gso_mss - 1) / p->gso_mss) : 1;
    if (dst == 0xffffffff || dst == (netif.addr | ~netif.mask)) eth_output(NULL, ETH_P_IP, p);
    else arp_send_ip(next_hop, p);
    return 0;
}
