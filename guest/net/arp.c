/* ARP (RFC 826): who has IP a.b.c.d?  A small cache maps next hops to MAC
 * addresses.  A packet to an unresolved next hop waits in its cache entry
 * (one per entry, the newest wins) and leaves when the reply comes in. */
#include "kernel.h"
#include "mm.h"
#include "proc.h"
#include "net.h"

struct arp_pkt {
    u16 htype, ptype;
    u8 hlen, plen;
    u16 op;
    u8 sha[ETH_ALEN];
    u32 spa;
    u8 tha[ETH_ALEN];
    u32 tpa;
} __attribute__((packed));
#define ARP_REQUEST 1
#define ARP_REPLY 2

#define ARP_ENTRIES 16
#define ARP_RETRY_NS 1000000000UL
#define ARP_STALE_NS 60000000000UL     /* re-ask after a minute: addresses get reused */
static struct arp_entry {
    u32 ip;             /* 0 = free */
    bool resolved;
    u8 mac[ETH_ALEN];
    u64 last_used, requested_at, confirmed_at;
    struct pkt *parked; /* one IP packet waiting for the reply (a pkt_clone) */
} cache[ARP_ENTRIES];

static struct arp_entry *lookup(u32 ip, bool create)
{
    struct arp_entry *lru = &cache[0];
    for (int i = 0; i < ARP_ENTRIES; i++) {
        if (cache[i].ip == ip) return &cache[i];
        if (cache[i].last_used < lru->last_used) lru = &cache[i];
    }
    if (!create) return NULL;
    net_free_after_tx(lru->parked);
    memset(lru, 0, sizeof *lru);
    lru->ip = ip;
    lru->last_used = time_ns();
    return lru;
}

static void send_arp(u16 op, const u8 *tha, u32 tpa)
{
    struct arp_pkt p = {
        .htype = htons(1), .ptype = htons(ETH_P_IP), .hlen = ETH_ALEN, .plen = 4,
        .op = htons(op), .spa = htonl(netif.addr), .tpa = htonl(tpa),
    };
    memcpy(p.sha, netif.dev->mac, ETH_ALEN);
    if (tha) memcpy(p.tha, tha, ETH_ALEN);
    struct pkt pk;
    pkt_init(&pk);
    pkt_add(&pk, &p, sizeof p);
    eth_output(op == ARP_REPLY ? tha : NULL, ETH_P_ARP, &pk);
}

void arp_input(const u8 *pkt, size_t len)
{
    struct arp_pkt p;
    if (len < sizeof p) return;
    memcpy(&p, pkt, sizeof p);
    if (ntohs(p.htype) != 1 || ntohs(p.ptype) != ETH_P_IP || p.hlen != ETH_ALEN || p.plen != 4) return;
    u32 spa = ntohl(p.spa), tpa = ntohl(p.tpa);
    u16 op = ntohs(p.op);
    if (!spa || (spa == netif.addr)) return;
    /* learn the sender if we already track it or it is asking us */
    struct arp_entry *e = lookup(spa, tpa == netif.addr);
    if (e) {
        memcpy(e->mac, p.sha, ETH_ALEN);
        e->resolved = true;
        e->last_used = e->confirmed_at = time_ns();
        if (e->parked) {
            struct pkt *pk = e->parked;
            e->parked = NULL;
            eth_output(e->mac, ETH_P_IP, pk);
            net_free_after_tx(pk);
        }
    }
    if (op == ARP_REQUEST && tpa == netif.addr) send_arp(ARP_REPLY, p.sha, spa);
}

void arp_send_ip(u32 next_hop, struct pkt *p)
{
    struct arp_entry *e = lookup(next_hop, true);
    u64 now = time_ns();
    e->last_used = now;
    if (e->resolved) {
        eth_output(e->mac, ETH_P_IP, p);
        if (now - e->confirmed_at > ARP_STALE_NS && now - e->requested_at >= ARP_RETRY_NS) {
            e->requested_at = now;      /* keep using the old answer meanwhile */
            send_arp(ARP_REQUEST, NULL, next_hop);
        }
        return;
    }
    struct pkt *copy = pkt_clone(p);
    if (copy) {
        net_free_after_tx(e->parked);
        e->parked = copy;
    }
    if (!e->requested_at || now - e->requested_at >= ARP_RETRY_NS / 4) {
        e->requested_at = now;
        send_arp(ARP_REQUEST, NULL, next_hop);
    }
}
