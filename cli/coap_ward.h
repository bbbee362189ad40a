/*
 * coap_ward.h - flow D's near-field transport: CoAP over UDP (RFC 7252)
 * on libcoap3. The ward messages ride as opaque payloads:
 *
 *     POST coap://HOST:PORT/ward        payload: one ward message
 *          2.04 Changed                 payload: the device's answer
 *          4.00 Bad Request             no payload: the device gave none
 *                                       (a message that does not verify)
 *     GET  coap://HOST:PORT/ward/info   2.05 {"id","name","type"} (JSON)
 *     GET  /.well-known/core            both, in link format (libcoap)
 *
 * Device side (coap_device.c): wcoap_dev_start() binds the endpoint,
 * then the caller turns wcoap_dev_step() in its loop; every POST is
 * handed to the caller's function with the peer's transport id (its
 * address and port, as bytes). App side (coap_app.c): one confirmable
 * request, retransmitted by libcoap until its answer or the deadline;
 * wcoap_get() is safe from several threads at once, wcoap_exchange() is
 * not.
 */
#ifndef WARD_CLI_COAP_WARD_H
#define WARD_CLI_COAP_WARD_H

#include <stddef.h>
#include <stdint.h>

#include "ward/ward_err.h"

#define WCOAP_DEFAULT_PORT 5683
#define WCOAP_TID_MAX 18          /* IPv6 address and port */
#define WCOAP_PAYLOAD_MAX 1024

/* Answers one ward message: writes the answer into out (*out_len 0: no
 * answer). Called on the thread that runs wcoap_dev_step(). */
typedef void (*wcoap_msg_fn)(void *ctx, const uint8_t *tid, size_t tid_len,
                             const uint8_t *in, size_t in_len, uint8_t *out,
                             size_t cap, size_t *out_len);

typedef struct wcoap_dev wcoap_dev;

/* Listens on host:port (port 0: any free one; *bound gets the port).
 * info_json is served at /ward/info (copied). WARD_ERR_IO leaves bind(2)'s
 * errno (EADDRINUSE, ...) when that is what failed, else errno 0. */
ward_err wcoap_dev_start(wcoap_dev **d, const char *host, unsigned port,
                         const char *info_json, wcoap_msg_fn fn, void *ctx,
                         unsigned *bound);
/* Handles what arrives within timeout_ms. */
void wcoap_dev_step(wcoap_dev *d, unsigned timeout_ms);
void wcoap_dev_stop(wcoap_dev *d);

/* Splits "HOST:PORT" ("[v6]:PORT" too; no port: WCOAP_DEFAULT_PORT). */
ward_err wcoap_split(const char *hostport, char *host, size_t cap,
                     unsigned *port);

/* POSTs msg to coap://hostport/ward and waits up to timeout_ms for the
 * answer's payload. WARD_ERR_IO: no answer in time (or the host did not
 * resolve); WARD_ERR_AUTH: the device answered 4.xx (it refused the
 * message); WARD_ERR_NOSPACE: the answer is larger than cap. */
ward_err wcoap_exchange(const char *hostport, const uint8_t *msg, size_t len,
                        uint8_t *out, size_t cap, size_t *out_len,
                        unsigned timeout_ms);

/* Closes the session wcoap_exchange() keeps between calls (its messages
 * to one address share one source port: a binding in progress is found
 * by the peer's address). */
void wcoap_app_close(void);
/* After wcoap_exchange() or wcoap_get() failed with WARD_ERR_IO on this
 * thread: why, for a person ("no answer within 2000 ms (timed out)",
 * "cannot resolve HOST: Name or service not known", "the network refused
 * it (ICMP: ...)"). */
const char *wcoap_why(void);

/* GETs coap://hostport/PATH (path without the leading '/', segments
 * split at '/') into out, NUL-terminated. Errors as wcoap_exchange(). */
ward_err wcoap_get(const char *hostport, const char *path, char *out,
                   size_t cap, unsigned timeout_ms);

#endif /* WARD_CLI_COAP_WARD_H */
