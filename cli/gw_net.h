/*
 * gw_net.h - what `ward gateway`, `ward subdevice` and `ward app provision`
 * share: entering a network namespace, the 2-byte length framing of the
 * LAN links' TCP messages (a blocking reader for one link, an incremental
 * one for a poll loop of many), dialling HOST:PORT, and MAC parsing.
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
/* The longest frame body either framer carries. */
#define GW_FRAME_MAX 1024

/* What gw_read_frame saw. */
typedef enum gw_frame_rc {
    GW_FRAME_OK = 1,        /* a whole frame in out */
    GW_FRAME_TIMEOUT = 0,   /* nothing at all arrived in first_ms: the link may be fine */
    GW_FRAME_CLOSED = -1,   /* the peer closed (or reset) the link */
    GW_FRAME_STOP = -2,     /* cli_stopping was set (SIGTERM, SIGINT) */
    GW_FRAME_BAD = -3       /* a frame over cap or empty, a frame cut short for rest_ms,
                             * or a socket error: the link is no longer usable */
} gw_frame_rc;
/* Reads one frame into out: waits up to first_ms for it to start, then up
 * to rest_ms for the rest of it. */
gw_frame_rc gw_read_frame(int fd, uint8_t *out, size_t cap, size_t *len, int first_ms,
                          int rest_ms);
/* Reads one frame into out within timeout_ms: its length, 0 when the peer
 * closed, -1 on an error, a timeout or a frame over cap. */
long gw_recv_frame(int fd, uint8_t *out, size_t cap, int timeout_ms);

/* The incremental reader: bytes as poll(2) finds them, frames out. */
typedef struct gw_framer {
    uint8_t buf[2 + GW_FRAME_MAX];
    size_t have;
} gw_framer;
/* One recv into the framer: 1 bytes came, 0 the peer closed, -1 an error
 * (EINTR and EAGAIN: 1, nothing new). */
int gw_framer_fill(gw_framer *f, int fd);
/* The next whole frame, copied to out: 1 one came, 0 more bytes needed,
 * -1 not our framing (empty, or over cap): drop the link. */
int gw_framer_next(gw_framer *f, uint8_t *out, size_t cap, size_t *len);

/* A TCP socket listening on every address at port (SO_REUSEADDR, backlog
 * as given): the socket, or -1 (errno says why). */
int gw_listen_tcp(unsigned port, int backlog);
/* Connects to "HOST:PORT" over TCP: the socket, -2 not HOST:PORT, -1 not
 * reached (errno says why). */
int gw_dial(const char *hostport);
/* "02:11:22:a3:b4:c5" or "021122a3b4c5" (either case); 0 or -1. */
int gw_parse_mac(const char *text, uint8_t mac[6]);

#endif /* WARD_CLI_GW_NET_H */
