/*
 * peer_net.h - the transports of `ward peer` (cli/cmd_peer.c): the same
 * handshake and records over CoAP/UDP (coap_ward.h's POST /ward) or over a
 * byte stream (a Unix socket standing in for a UART). The core is the same
 * on both; only how the messages are framed and carried differs.
 *
 * Framing, both transports: each message is a frame, a 2-byte big-endian
 * length then the message. On the stream frames follow each other; a
 * CoAP payload carries one or more frames (M3 and the first record go in
 * one POST, so the request/response pattern keeps 1.5 round trips).
 */
#ifndef WARD_CLI_PEER_NET_H
#define WARD_CLI_PEER_NET_H

#include <stddef.h>
#include <stdint.h>

#include "ward/ward_err.h"

/* Frames of a CoAP payload, or read at once from the stream. */
#define PNET_PAYLOAD_MAX 1024
#define PNET_FRAME_MAX (PNET_PAYLOAD_MAX - 2)

/* Appends a frame of msg to buf[*off..cap): WARD_ERR_NOSPACE if it does not fit. */
ward_err pnet_frame_put(uint8_t *buf, size_t cap, size_t *off, const uint8_t *msg, size_t len);
/* The next frame of buf[*off..len) into *msg (pointing into buf): WARD_ERR_NOTFOUND at
 * the end, WARD_ERR_FORMAT for a frame cut short or empty. */
ward_err pnet_frame_next(const uint8_t *buf, size_t len, size_t *off, const uint8_t **msg,
                         size_t *mlen);

/* "unix:PATH": its path (NULL for anything else, a HOST:PORT for CoAP). */
const char *pnet_unix_path(const char *addr);

/* A listening Unix stream socket on path (an old socket file there is
 * replaced): the fd, or -1 with errno set. */
int pnet_unix_listen(const char *path);
/* Waits up to timeout_ms for a connection: its fd, -1 none (errno 0 on a
 * timeout). */
int pnet_unix_accept(int lfd, unsigned timeout_ms);
/* Connects to path: the fd, or -1 with errno set. */
int pnet_unix_connect(const char *path);
/* Writes every byte: WARD_ERR_IO if the peer went away. */
ward_err pnet_write_all(int fd, const uint8_t *buf, size_t len);
/* Reads one frame's message into buf within timeout_ms: WARD_ERR_NOTFOUND
 * the peer closed before a frame began, WARD_ERR_IO a timeout or a frame
 * cut, WARD_ERR_NOSPACE longer than cap. */
ward_err pnet_read_frame(int fd, uint8_t *buf, size_t cap, size_t *len, unsigned timeout_ms);

#endif /* WARD_CLI_PEER_NET_H */
