/* The guest's TCP/IP stack: one network device, one IPv4 address.
 * Frames arrive in the device's interrupt handler (kernel lock held,
 * interrupts off) and go up the layers synchronously:
 *   virtio_net -> eth_input -> arp_input | ip_input -> icmp/udp/tcp_input.
 * Sending goes down the same way: tcp/udp -> ip_output -> arp -> eth -> netdev. */
#ifndef GUEST_NET_H
#define GUEST_NET_H
#include "types.h"

/* errno values the socket calls need (Linux numbers) */
#define ENOTSOCK 88
#define EDESTADDRREQ 89
#define EMSGSIZE 90
#define EPROTOTYPE 91
#define ENOPROTOOPT 92
#define EPROTONOSUPPORT 93
#define ESOCKTNOSUPPORT 94
#define EOPNOTSUPP 95
#define EAFNOSUPPORT 97
#define EADDRINUSE 98
#define EADDRNOTAVAIL 99
#define ENETUNREACH 101
#define ECONNABORTED 103
#define ECONNRESET 104
#define EISCONN 106
#define ENOTCONN 107
#define ECONNREFUSED 111
#define EHOSTUNREACH 113
#define EALREADY 114
#define EINPROGRESS 115

static inline u16 htons(u16 v) { return (u16)(v << 8 | v >> 8); }
static inline u16 ntohs(u16 v) { return htons(v); }
static inline u32 htonl(u32 v) { return __builtin_bswap32(v); }
static inline u32 ntohl(u32 v) { return __builtin_bswap32(v); }

#define ETH_ALEN 6
#define ETH_HLEN 14
#define ETH_MTU 1500
#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806
#define IPPROTO_ICMP 1
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

/* An outgoing packet on its way down (tcp/udp -> ip -> arp -> eth -> device).
 * Each layer prepends its header into hdr[], back to front, so no layer
 * copies another's bytes; the payload is referenced where it lies, in up to
 * PKT_FRAGS pieces (a ring buffer wraps).  A `stable` payload (a TCP send
 * ring, which is released through net_free_after_tx) is handed to the device
 * in place; anything else is copied when the frame is queued.
 * Offloads: the transport layer leaves its checksum "partial" (the field
 * holds only the pseudo-header sum); the device completes it, or
 * pkt_csum_finish does where no device will.  gso_mss asks the device to cut
 * one big TCP segment into gso_mss-byte ones (TSO). */
#define PKT_HEADROOM 96             /* Ethernet 14 + IPv4 20 + TCP up to 60 */
#define PKT_FRAGS 3
struct pkt {
    u32 head;                       /* the headers are hdr[head .. PKT_HEADROOM) */
    u8 hdr[PKT_HEADROOM];
    u32 nfrags;
    struct { const u8 *data; u32 len; } frag[PKT_FRAGS];
    bool stable;
    bool csum_partial;
    u16 csum_off;                   /* where the checksum field is, from the L4 header */
    u32 l4_len;                     /* L4 header + payload: where L4 starts, counted from the end */
    u16 l4_hdr_len;                 /* the TCP/UDP header alone */
    u8 l4_proto;
    u16 gso_mss;                    /* 0: no segmentation */
};
void pkt_init(struct pkt *p);
void *pkt_push(struct pkt *p, u32 n);                   /* room for a header in front */
void pkt_add(struct pkt *p, const void *data, u32 len); /* payload behind */
u32 pkt_len(const struct pkt *p);
u32 pkt_flatten(const struct pkt *p, u8 *dst);          /* all of it, in order; returns pkt_len */
struct pkt *pkt_clone(const struct pkt *p);             /* flat, stable copy (kmalloc) */
/* The transport header was just pushed: start its checksum (offloaded). */
void pkt_l4_checksum(struct pkt *p, u32 src, u32 dst, u8 proto, u16 csum_off);
void pkt_csum_finish(struct pkt *p);                    /* compute a partial checksum here */

/* A network device: the driver fills this in and calls netdev_register. */
#define NETDEV_TX_CSUM 1            /* completes partial checksums */
#define NETDEV_TSO 2                /* segments gso_mss packets (TCP over IPv4) */
struct netdev {
    u8 mac[ETH_ALEN];
    u32 offloads;                   /* NETDEV_* */
    /* queue one whole Ethernet frame; may drop it when the ring is full */
    void (*xmit)(struct netdev *d, struct pkt *p);
    /* free memory a queued frame may still point at, once the device is done */
    void (*free_after_tx)(struct netdev *d, void *mem);
    void *priv;
    u64 rx_frames, tx_frames, rx_dropped, tx_dropped;
};
void netdev_register(struct netdev *d);

/* Interface configuration (host byte order), from ip=ADDR/PREFIX::GATEWAY */
struct netif {
    struct netdev *dev;
    u32 addr, mask, gateway;
};
extern struct netif netif;

/* checksum.c: the Internet checksum (RFC 1071) */
u32 csum_add(u32 sum, const void *data, size_t len);
u16 csum_fold(u32 sum);
u32 csum_pseudo(u32 src, u32 dst, u8 proto, u16 len);

/* eth.c / arp.c.  On input, csum_ok says the device vouched for the
 * transport checksum (or left it partial: the sender is on this host). */
void eth_input(struct netdev *d, u8 *frame, size_t len, bool csum_ok);
void eth_output(const u8 *dst_mac, u16 type, struct pkt *p);
void arp_input(const u8 *pkt, size_t len);
/* send an IP packet to next_hop; parks a copy while ARP resolves */
void arp_send_ip(u32 next_hop, struct pkt *p);

/* ipv4.c */
/* the IPv4 header (RFC 791), network order */
struct ip_hdr {
    u8 ver_ihl, tos;
    u16 total_len, id, frag;
    u8 ttl, proto;
    u16 csum;
    u32 src, dst;
} __attribute__((packed));
void ip_input(const u8 *pkt, size_t len, bool csum_ok);
/* the transport header and payload are in p; ip_output prepends IPv4's */
int ip_output(u32 dst, u8 proto, struct pkt *p);
#define IP_MAX_PAYLOAD 65515                /* 65535 minus the IPv4 header */
void icmp_input(u32 src, u32 dst, const u8 *data, size_t len);

/* loopback.c: 127.0.0.0/8 and our own address */
bool ip_is_local(u32 dst);
u32 ip_source_for(u32 dst);
int loopback_output(u32 dst, u8 proto, const struct pkt *p);
int net_loopback_flush(void);
int net_sleep(void *chan, u64 deadline_ns);     /* flush loopback; sleep_on_timeout if it was empty */

/* udp.c / tcp.c */
void udp_input(u32 src, u32 dst, const u8 *seg, size_t len, bool csum_ok);
void tcp_input(u32 src, u32 dst, const u8 *seg, size_t len, bool csum_ok);
void tcp_timer(void);   /* every TCP_TICK_MS: retransmission, TIME_WAIT */
/* the driver brackets the frames of one interrupt: one ACK per connection */
void tcp_rx_batch_begin(void);
void tcp_rx_batch_end(void);
#define TCP_TICK_MS 20

/* netif.c.  Anything waiting in poll/epoll/select re-checks its files. */
void net_notify(void);
/* The largest TCP payload one segment to dst may carry when the device
 * segments it (TSO), or 0: send MSS-sized segments. */
u32 net_gso_max(u32 dst);
/* kfree, once no queued frame can still point into mem */
void net_free_after_tx(void *mem);
extern u64 net_tx_tso;
void net_report(void);      /* counters, when the cmdline asks (osbox.netstats=1) */
void net_start_timer(void);
/* drop and retry counters of net_report() */
extern u64 tcp_retransmits, tcp_bad_segments, tcp_syn_dropped, ip_frags_dropped, ip_bad_dropped, udp_dropped;
#endif
