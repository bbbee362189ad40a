/*
 * se_link.h - the simulated hardware link between a secure element and
 * its host: a Unix stream socket carrying the frames of ward_se.h.
 *
 * The SE side listens (se_link_listen), the host connects
 * (se_link_connect). se_link_read() reassembles one frame from the
 * stream by its length byte; it does not check the CRC (the core does).
 * Timeouts cover a whole frame. Errors: WARD_ERR_EXPIRED the time ran
 * out; WARD_ERR_IO the peer closed or the socket failed;
 * WARD_ERR_FORMAT a length byte over WARD_SE_PAYLOAD_MAX (out of step:
 * close the link).
 */
#ifndef WARD_CLI_SE_LINK_H
#define WARD_CLI_SE_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "ward/ward_se.h"

/* A listening socket at path (an old socket file is replaced), or -1 with
 * errno saying why. */
int se_link_listen(const char *path);
/* A connected socket, or -1 with errno saying why. */
int se_link_connect(const char *path);

ward_err se_link_read(int fd, uint8_t buf[WARD_SE_FRAME_MAX], size_t *len,
                      unsigned timeout_ms);
ward_err se_link_write(int fd, const uint8_t *frame, size_t len);

#endif /* WARD_CLI_SE_LINK_H */
