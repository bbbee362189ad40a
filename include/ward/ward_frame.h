/*
 * ward_frame.h - (client library) one ward message per frame over a stream
 * socket, for the near-field link between a phone and a lock.
 *
 * A frame is a 2-byte big-endian length followed by that many bytes, one
 * ward message of 1 to WARD_MSG_MAX bytes. Both ends use these two
 * functions (the app in ward_app_near(), the CLI's lock side directly):
 *
 *     ward_frame_write(fd, msg, len, 5000);
 *     ward_frame_read(fd, buf, sizeof buf, &len, 5000);
 *
 * The timeout covers the whole frame, not each read: a peer that trickles
 * one byte a second cannot hold the other end for longer. 0 waits forever.
 * Errors: WARD_ERR_EXPIRED the time ran out; WARD_ERR_FORMAT a length of 0
 * or over WARD_MSG_MAX (the frame is refused before its body is read);
 * WARD_ERR_NOSPACE a frame larger than the caller's buffer; WARD_ERR_IO the
 * peer closed the link or the socket failed. After any error the stream
 * is out of step: close it.
 */
#ifndef WARD_FRAME_H
#define WARD_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "ward/ward_config.h"
#include "ward/ward_err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WARD_FRAME_HDR_LEN 2

/* Both return WARD_ERR_EXPIRED when timeout_ms passed, WARD_ERR_IO when
 * the link failed, with errno set: the OS's error, or 0 when the peer
 * closed the link. */
WARD_MUST_CHECK
ward_err ward_frame_write(int fd, const uint8_t *msg, size_t len,
                          unsigned timeout_ms);
WARD_MUST_CHECK
ward_err ward_frame_read(int fd, uint8_t *buf, size_t cap, size_t *len,
                         unsigned timeout_ms);

#ifdef __cplusplus
}
#endif

#endif /* WARD_FRAME_H */
