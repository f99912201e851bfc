/* Ethernet II: a 14-byte header (destination, source, type) in front of
 * an ARP or IPv4 packet.  Frames for other hosts or other types are dropped. */
#include "kernel.h"
#include "net.h"

struct eth_hdr { u8 dst[ETH_ALEN], src[ETH_ALEN]; u16 type; } __attribute__((packed));

static const u8 broadcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

void eth_input(struct netdev *d, u8 *frame, size_t len)
{
    if (len < ETH_HLEN || !netif.dev) return;
    struct eth_hdr *h = (struct eth_hdr *)frame;
    if (memcmp(h->dst, d->mac, ETH_ALEN) && memcmp(h->dst, broadcast, ETH_ALEN)) return;
    switch (ntohs(h->type)) {
    case ETH_P_ARP: arp_input(frame + ETH_HLEN, len - ETH_HLEN); break;
    case ETH_P_IP: ip_input(frame + ETH_HLEN, len - ETH_HLEN); break;
    }
}

void eth_output(const u8 *dst_mac, u16 type, const void *payload, size_t len)
{
    static u8 frame[ETH_HLEN + ETH_MTU];    /* one at a time: the kernel lock */
    struct netdev *d = netif.dev;
    if (!d || len > ETH_MTU) return;
    struct eth_hdr *h = (struct eth_hdr *)frame;
    memcpy(h->dst, dst_mac ? dst_mac : broadcast, ETH_ALEN);
    memcpy(h->src, d->mac, ETH_ALEN);
    h->type = htons(type);
    memcpy(frame + ETH_HLEN, payload, len);
    /* pad runts to the 60-byte minimum (without the FCS) */
    size_t n = ETH_HLEN + len;
    if (n < 60) { memset(frame + n, 0, 60 - n); n = 60; }
    d->xmit(d, frame, n);
}
