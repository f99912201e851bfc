/* The virtio_net_hdr rules of virtio-net's offloads (virtio 1.x, 5.1.6):
 * what a driver may ask of the device on transmit, what the device may
 * hand a driver on receive, given the features they agreed on. The TAP
 * speaks the same header (IFF_VNET_HDR), so a header that passes here goes
 * to the kernel as is, and the kernel does the checksum and segmentation
 * work the guest would otherwise do instruction by instruction. */
#include <linux/if_tun.h>
#include <string.h>

#include "virtio_net.h"

int virtio_net_check_features(uint64_t f, const char **why)
{
    if ((f & VIRTIO_NET_F_HOST_TSO4) && !(f & VIRTIO_NET_F_CSUM)) {
        *why = "driver accepted HOST_TSO4 without CSUM";
        return -1;
    }
    if ((f & VIRTIO_NET_F_GUEST_TSO4) && !(f & VIRTIO_NET_F_GUEST_CSUM)) {
        *why = "driver accepted GUEST_TSO4 without GUEST_CSUM";
        return -1;
    }
    return 0;
}

unsigned virtio_net_tap_offloads(uint64_t f)
{
    unsigned o = 0;

    if (f & VIRTIO_NET_F_GUEST_CSUM) {
        o |= TUN_F_CSUM;
        if (f & VIRTIO_NET_F_GUEST_TSO4)
            o |= TUN_F_TSO4;
    }
    return o;
}

/* The 16-bit checksum field lies inside the frame. */
static bool csum_fits(const struct virtio_net_hdr *h, uint32_t len)
{
    return (uint32_t)h->csum_start + h->csum_offset + 2 <= len;
}

int virtio_net_tx_header(uint64_t f, struct virtio_net_hdr *h, uint32_t frame_len, const char **why)
{
    bool csum = h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM;

    /* DATA_VALID and the rest are the device's to set, never the driver's. */
    if (h->flags & ~VIRTIO_NET_HDR_F_NEEDS_CSUM) {
        *why = "flags other than NEEDS_CSUM";
        return -1;
    }
    if (csum && !(f & VIRTIO_NET_F_CSUM)) {
        *why = "NEEDS_CSUM without CSUM negotiated";
        return -1;
    }
    if (csum && !csum_fits(h, frame_len)) {
        *why = "checksum field outside the frame";
        return -1;
    }
    switch (h->gso_type) {
    case VIRTIO_NET_HDR_GSO_NONE:
        h->hdr_len = h->gso_size = 0;
        break;
    case VIRTIO_NET_HDR_GSO_TCPV4:
        /* Segmenting means filling in each segment's checksum: the driver
         * must leave that to us too. hdr_len is only a hint. */
        if (!(f & VIRTIO_NET_F_HOST_TSO4)) {
            *why = "GSO TCPV4 without HOST_TSO4 negotiated";
            return -1;
        }
        if (!csum || !h->gso_size || h->hdr_len > frame_len) {
            *why = !csum ? "GSO TCPV4 without NEEDS_CSUM"
                 : !h->gso_size ? "GSO TCPV4 with gso_size 0" : "hdr_len beyond the frame";
            return -1;
        }
        break;
    default: /* ECN, TCPv6, UDP: never offered */
        *why = "gso_type not offered (only NONE and TCPV4)";
        return -1;
    }
    if (!csum)
        h->csum_start = h->csum_offset = 0;
    h->num_buffers = 0;
    return 0;
}

/* Finish a partial checksum as the kernel would (skb_checksum_help): the
 * field already holds the pseudo-header sum; fold in [csum_start, len). */
static void finish_csum(const struct virtio_net_hdr *h, uint8_t *frame, uint32_t len)
{
    uint32_t s = 0, i = h->csum_start;
    uint8_t *field = frame + h->csum_start + h->csum_offset;

    for (; i + 1 < len; i += 2)
        s += (uint32_t)frame[i] << 8 | frame[i + 1];
    if (i < len)
        s += (uint32_t)frame[i] << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    s = ~s & 0xffff;
    field[0] = (uint8_t)(s >> 8);
    field[1] = (uint8_t)s;
}

int virtio_net_rx_header(uint64_t f, struct virtio_net_hdr *h, uint8_t *frame, uint32_t len)
{
    bool csum = h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM;

    if (csum && !csum_fits(h, len))
        return -1;
    switch (h->gso_type) {
    case VIRTIO_NET_HDR_GSO_NONE:
        h->hdr_len = h->gso_size = 0;
        break;
    case VIRTIO_NET_HDR_GSO_TCPV4:
        /* TUNSETOFFLOAD keeps these from a driver without GUEST_TSO4; a
         * frame queued before a renegotiation can still carry one. */
        if (!(f & VIRTIO_NET_F_GUEST_TSO4) || !h->gso_size)
            return -1;
        break;
    default:
        return -1;
    }
    if (!(f & VIRTIO_NET_F_GUEST_CSUM)) {
        /* The spec: flags must be 0, so the frame must be complete. */
        if (csum)
            finish_csum(h, frame, len);
        memset(h, 0, sizeof *h);
        return 0;
    }
    h->flags &= VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID;
    if (!csum)
        h->csum_start = h->csum_offset = 0;
    return 0;
}
