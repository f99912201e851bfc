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

/* A network device: the driver fills this in and calls netdev_register. */
struct netdev {
    u8 mac[ETH_ALEN];
    /* queue one whole Ethernet frame; may drop it when the ring is full */
    void (*xmit)(struct netdev *d, const void *frame, size_t len);
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

/* eth.c / arp.c */
void eth_input(struct netdev *d, u8 *frame, size_t len);
void eth_output(const u8 *dst_mac, u16 type, const void *payload, size_t len);
void arp_input(const u8 *pkt, size_t len);
/* send an IP packet to next_hop; parks it while ARP resolves */
void arp_send_ip(u32 next_hop, const void *ip_pkt, size_t len);

/* ipv4.c */
void ip_input(const u8 *pkt, size_t len);
/* payload already built; ip_output prepends the header */
int ip_output(u32 dst, u8 proto, const void *payload, size_t len);
void icmp_input(u32 src, const u8 *data, size_t len);

/* loopback.c: 127.0.0.0/8 and our own address */
bool ip_is_local(u32 dst);
u32 ip_source_for(u32 dst);
int loopback_output(u32 dst, u8 proto, const void *payload, size_t len);
int net_loopback_flush(void);
int net_sleep(void *chan, u64 deadline_ns);     /* flush loopback; sleep_on_timeout if it was empty */

/* udp.c / tcp.c */
void udp_input(u32 src, u32 dst, const u8 *seg, size_t len);
void tcp_input(u32 src, u32 dst, const u8 *seg, size_t len);
void tcp_timer(void);   /* every TCP_TICK_MS: retransmission, TIME_WAIT */
#define TCP_TICK_MS 20

/* Anything waiting in poll/epoll/select re-checks its files. */
void net_notify(void);
void net_start_timer(void);
#endif
