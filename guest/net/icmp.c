/* ICMP: every message goes to the raw ICMP sockets (ping's, raw.c), and
 * echo requests are answered. */
#include "kernel.h"
#include "net.h"
#include "sock.h"

#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO_REQUEST 8

void icmp_input(u32 src, u32 dst, const u8 *data, size_t len)
{
    u8 reply[ETH_MTU - 20];
    if (len < 8 || len > sizeof reply) return;
    if (csum_fold(csum_add(0, data, len)) != 0) return;
    raw_deliver(src, dst, data, len);
    if (data[0] != ICMP_ECHO_REQUEST || data[1] != 0) return;
    memcpy(reply, data, len);      /* same id, sequence and payload */
    reply[0] = ICMP_ECHO_REPLY;
    reply[2] = reply[3] = 0;
    u16 c = csum_fold(csum_add(0, reply, len));
    memcpy(reply + 2, &c, 2);
    struct pkt p;
    pkt_init(&p);
    pkt_add(&p, reply, (u32)len);
    ip_output(src, IPPROTO_ICMP, &p);
}
