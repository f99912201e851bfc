/* virtio-net (virtio_net.c) and its header rules (virtio_net_hdr.c). */
#ifndef OSBOX_VMM_VIRTIO_NET_H
#define OSBOX_VMM_VIRTIO_NET_H

#include "virtio.h"

/* tap_fd is the caller's: non-blocking,
 * opened with IFF_VNET_HDR and a 12-byte vnet header (vmm_tap_open), so
 * every frame read from or written to it is preceded by a virtio_net_hdr. */
#define VIRTIO_NET_F_CSUM       (1ULL << 0)  /* driver hands us partial checksums */
#define VIRTIO_NET_F_GUEST_CSUM (1ULL << 1)  /* we hand the driver partial checksums */
#define VIRTIO_NET_F_MAC        (1ULL << 5)
#define VIRTIO_NET_F_GUEST_TSO4 (1ULL << 7)  /* needs GUEST_CSUM */
#define VIRTIO_NET_F_HOST_TSO4  (1ULL << 11) /* needs CSUM */
#define VIRTIO_NET_F_MRG_RXBUF  (1ULL << 15)
#define VIRTIO_NET_F_STATUS     (1ULL << 16)

#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_GSO_NONE     0
#define VIRTIO_NET_HDR_GSO_TCPV4    1
#define VIRTIO_NET_HDR_GSO_ECN      0x80

/* Little-endian fields (VERSION_1; the host is little-endian too). */
struct virtio_net_hdr {
    uint8_t flags, gso_type;
    uint16_t hdr_len, gso_size, csum_start, csum_offset, num_buffers;
};

#define VIRTIO_NET_HDR_LEN 12        /* virtio_net_hdr with num_buffers (VERSION_1) */
#define VIRTIO_NET_FRAME_MAX 65550   /* largest frame either way */
#define VIRTIO_NET_MIN_RXBUF 1514    /* receive buffers hold a full frame (no MRG_RXBUF) */
_Static_assert(sizeof(struct virtio_net_hdr) == VIRTIO_NET_HDR_LEN, "virtio_net_hdr layout");

struct virtio_net_stats {
    uint64_t rx_frames, rx_dropped, tx_frames, tx_dropped;
    uint64_t tx_bad_header;          /* also counted in tx_dropped */
    unsigned tap_offloads;           /* TUN_F_* last given to TUNSETOFFLOAD */
};
struct virtio_dev *virtio_net_new(int tap_fd, const uint8_t mac[6], struct osbox_err *err);
/* The queue logic, exposed for unit tests: drain the transmit queue to the
 * TAP; move frames from the TAP into receive buffers. <0 (with *why) when
 * the driver broke the protocol. */
int virtio_net_tx(struct virtio_dev *dev, const char **why);
int virtio_net_rx(struct virtio_dev *dev, const char **why);
const struct virtio_net_stats *virtio_net_stats(struct virtio_dev *dev);

/* Header rules (virtio_net_hdr.c), given the negotiated features f.
 * Feature dependencies (spec 5.1.3.1): 0 or <0 with *why. */
int virtio_net_check_features(uint64_t f, const char **why);
/* TUN_F_* flags for TUNSETOFFLOAD that match what the driver accepts. */
unsigned virtio_net_tap_offloads(uint64_t f);
/* A transmit header from the driver for a frame of frame_len bytes: 0 and
 * *h normalised for the TAP, or <0 (*why) if it asks for what f does not allow. */
int virtio_net_tx_header(uint64_t f, struct virtio_net_hdr *h, uint32_t frame_len, const char **why);
/* A receive header from the TAP, made fit for the driver: checksum finished
 * here for a driver without GUEST_CSUM, flags/gso cleared; <0: drop it. */
int virtio_net_rx_header(uint64_t f, struct virtio_net_hdr *h, uint8_t *frame, uint32_t len);

/* The NIC as the next virtio-mmio device of vm. */
struct vm;
int virtio_net_attach(struct vm *vm, int tap_fd, const uint8_t mac[6], struct osbox_err *err);

#endif
