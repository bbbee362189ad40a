/*
 * gw_net.h - what `ward gateway` and `ward app provision` share: entering a
 * network namespace, the 2-byte length framing of the LAN link's TCP
 * messages, and MAC parsing.
 */
#ifndef WARD_CLI_GW_NET_H
#define WARD_CLI_GW_NET_H

#include <stddef.h>
#include <stdint.h>

/* Moves this process into the network namespace NAME (/run/netns/NAME, as
 * `ip netns` makes it). 0, or an exit code after printing why. */
int gw_enter_netns(const char *name);
/* Writes len (2 bytes, big-endian) then msg; 0 or -1. */
int gw_send_frame(int fd, const uint8_t *msg, size_t len);
/* Reads one frame into out within timeout_ms: its length, 0 when the peer
 * closed, -1 on an error, a timeout or a frame over cap. */
long gw_recv_frame(int fd, uint8_t *out, size_t cap, int timeout_ms);
/* "02:11:22:a3:b4:c5" or "021122a3b4c5" (either case); 0 or -1. */
int gw_parse_mac(const char *text, uint8_t mac[6]);

#endif /* WARD_CLI_GW_NET_H */
