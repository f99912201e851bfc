/* Ethernet II: a 14-byte header (destination, source, type) in front of
 * an ARP or IPv4 packet.  Frames for other hosts or other types are dropped. */
#include "kernel.h"
#include "net.h"

struct eth_hdr { u8 dst[ETH_ALEN], src[ETH_ALEN]; u16 type; } __attribute__((packed));

static const u8 broadcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

void eth_input(struct netdev *d, u8 *frame, size_t len, bool csum_ok)
{
    if (len < ETH_HLEN || !netif.dev) return;
    struct eth_hdr *h = (struct eth_hdr *)frame;
    if (memcmp(h->dst, d->mac, ETH_ALEN) && memcmp(h->dst, broadcast, ETH_ALEN)) return;
    switch (ntohs(h->type)) {
    case ETH_P_ARP: arp_input(frame + ETH_HLEN, len - ETH_HLEN); break;
    case ETH_P_IP: ip_input(frame + ETH_HLEN, len - ETH_HLEN, csum_ok); break;
    }
}

/* The driver pads runts to the 60-byte minimum where it copies the frame. */
void eth_output(const u8 *dst_mac, u16 type, struct pkt *p)
{
    struct netdev *d = netif.dev;
    if (!d) return;
    if (pkt_len(p) > ETH_MTU && !p->gso_mss) { d->tx_dropped++; return; }
    struct eth_hdr *h = pkt_push(p, ETH_HLEN);
    memcpy(h->dst, dst_mac ? dst_mac : broadcast, ETH_ALEN);
    memcpy(h->src, d->mac, ETH_ALEN);
    h->type = htons(type);
    d->xmit(d, p);
}
