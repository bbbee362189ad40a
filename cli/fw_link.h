/*
 * fw_link.h - the framing of a firmware release over a byte stream (a
 * Unix socket standing in for a UART): `ward fw serve --link PATH` serves
 * one release, `ward ROLE update --link PATH` fetches it
 * (fw_source_link.c). docs/protocol.md "Signed firmware update", section
 * "Over a byte stream", is the specification:
 *
 *   frame = type (1) | length (2, big-endian) | body (length <= 4096)
 *   0x01 MANIFEST  request: the device class (1..32 bytes)
 *   0x02 READ      request: counter (4) | offset (4) | want (2, 1..4096)
 *   0x81 MANIFEST  answer: the manifest's bytes (121..183)
 *   0x82 DATA      answer: image bytes from offset, at most want; fewer
 *                  only at the image's end (none past it)
 *   0xE0 ERROR     answer: one byte, FW_LINK_E_*
 *
 * Nothing here is trusted: the manifest is verified by the device's core
 * and the image by its digest; the framing only bounds what is read.
 */
#ifndef WARD_CLI_FW_LINK_H
#define WARD_CLI_FW_LINK_H

#include <stddef.h>
#include <stdint.h>

#define FW_LINK_BODY_MAX 4096u
#define FW_LINK_HDR_LEN 3u
#define FW_LINK_REQ_MANIFEST 0x01u
#define FW_LINK_REQ_READ 0x02u
#define FW_LINK_ANS_MANIFEST 0x81u
#define FW_LINK_ANS_DATA 0x82u
#define FW_LINK_ANS_ERROR 0xE0u
#define FW_LINK_E_NO_RELEASE 1u  /* none for that class */
#define FW_LINK_E_NO_COUNTER 2u  /* READ names another release */
#define FW_LINK_E_BAD 3u         /* a request that is not one */
/* A peer silent this long mid-frame or mid-answer is gone. */
#define FW_LINK_TIMEOUT_MS 10000

/* Sends one frame. 0, or -1 with errno. */
int fw_link_send(int fd, uint8_t type, const uint8_t *body, size_t len);
/* Reads one frame into body (cap bytes). 0; -1 on an I/O error, end of
 * stream or timeout (errno; 0 at a clean end of stream before a frame);
 * -2 for a length above cap or FW_LINK_BODY_MAX (the stream is then out
 * of step: close it). */
int fw_link_recv(int fd, uint8_t *type, uint8_t *body, size_t cap, size_t *len);

#endif /* WARD_CLI_FW_LINK_H */
