/*
 * ward_se.h - a secure element bound to its host without key issuance
 * (flow E, seed 004). docs/protocol.md ("Secure element binding") gives
 * every byte.
 *
 * A secure element (SE: a SIM, an eSIM, a secure TF card, a crypto chip
 * on the board) is worth stealing: in another device it would lend that
 * device its identity. The seed makes a stolen SE useless without any
 * key issued by a third party. At the first power-up the SE and its host
 * share a random credential R1 over the hardware link, made by either
 * side; the host then sends BIND_LOCK, after which the SE never accepts
 * another R1. At every later power-up the SE sends a fresh challenge R2
 * and starts its services only if the host answers f(R1, R2). Before the
 * lock, a new BIND simply replaces R1, so a binding that failed half-way
 * at the factory does not scrap the SE.
 *
 * What we add, and why (the protocol chapter says more): a failure
 * counter kept in the SE's store and raised before each comparison, with
 * a back-off that doubles after each wrong answer; and a session key
 * from R1, R2 and a host nonce, so every command after the check carries
 * a tag and a counter: a device on the bus cannot inject or replay one
 * once the check has passed. The asymmetric variant is made sound: the
 * host keeps its own P-256 key pair, the SE locks in the public key at
 * binding and checks a signature over each challenge.
 *
 * Two roles, both sans-I/O: each consumes one frame and produces the next.
 * The link is a byte pipe of small frames (length, type, payload, CRC-16):
 * the caller moves them over its bus, I2C, SPI, UART or, in the CLI, a
 * Unix socket.
 *
 * The secure element (each power-up):
 *     ward_se_elem se;
 *     ward_se_elem_open(&se, cp, &rng, &clock, &port);
 *     for each frame received:
 *         ward_se_elem_input(&se, in, n, &ev, out, sizeof out, &m);
 *         if ev.kind == WARD_SE_EV_COMMAND: act on ev.data, then
 *             ward_se_elem_reply(&se, answer, alen, out, sizeof out, &m);
 *         send out[0..m) when m > 0
 *     ward_se_elem_end_session(&se);     // the link went down
 *
 * The host, binding at the factory:
 *     ward_se_host h;
 *     ward_se_host_open(&h, cp, &rng, &port);
 *     ward_se_host_bind(&h, WARD_SE_R1_BY_SE, WARD_SE_VARIANT_SYM,
 *                       WARD_SE_F_HMAC_SHA256, out, cap, &m);  // send
 *     ward_se_host_input(&h, in, n, &ev, out, cap, &m);        // BOUND
 *     ward_se_host_lock(&h, out, cap, &m);                     // send
 *     ward_se_host_input(&h, in, n, &ev, out, cap, &m);        // LOCKED
 * and at every power-up:
 *     ward_se_host_hello(&h, out, cap, &m);                    // send
 *     ward_se_host_input(&h, in, n, &ev, out, cap, &m);  // CHALLENGE:
 *         out holds the answer: send it
 *     ward_se_host_input(&h, in, n, &ev, out, cap, &m);  // VERIFIED
 *     ward_se_host_command(&h, data, len, out, cap, &m); // send, then
 *     ward_se_host_input(&h, in, n, &ev, out, cap, &m);  // RESPONSE
 *
 * Both contexts are opaque (WARD_SE_ELEM_CTX_SIZE, WARD_SE_HOST_CTX_SIZE
 * bytes); ward_se_elem_get_info() and ward_se_host_get_info() tell the
 * id, state and binding. They hold copies of the ports and no pointer
 * into themselves.
 * Between calls they keep in RAM only what the protocol needs (the
 * outstanding challenge, the session key); R1 and the host's private key
 * are read from the store when used and wiped at once. Call the close
 * functions to wipe the rest. Each role needs its own store region of at
 * least 2 * WARD_SE_STORE_BANK_MIN bytes.
 */
#ifndef WARD_SE_H
#define WARD_SE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward_clock.h"
#include "ward_config.h"
#include "ward_crypto.h"
#include "ward_keystore.h"
#include "ward_err.h"
#include "ward_random.h"
#include "ward_store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A frame: len (1) | type (1) | payload (len) | CRC-16 (2). */
#define WARD_SE_PAYLOAD_MAX 128
#define WARD_SE_FRAME_OVERHEAD 4
#define WARD_SE_FRAME_HDR_LEN 2
#define WARD_SE_FRAME_MAX (WARD_SE_PAYLOAD_MAX + WARD_SE_FRAME_OVERHEAD)

/* Frame types: host -> SE below 0x80, SE -> host from 0x80. */
#define WARD_SE_HELLO 0x01u
#define WARD_SE_BIND 0x02u
#define WARD_SE_BIND_LOCK 0x03u
#define WARD_SE_ANSWER 0x04u
#define WARD_SE_CMD 0x05u
#define WARD_SE_CHALLENGE 0x81u
#define WARD_SE_BOUND 0x82u
#define WARD_SE_LOCKED 0x83u
#define WARD_SE_VERIFIED 0x84u
#define WARD_SE_RESP 0x85u
#define WARD_SE_ERROR 0xFFu

#define WARD_SE_ID_LEN 16
#define WARD_SE_R1_LEN 32
#define WARD_SE_R2_LEN 32
#define WARD_SE_NONCE_LEN 16
#define WARD_SE_TAG_LEN 16
#define WARD_SE_CTR_LEN 4

/* Who makes R1: the SE (the seed's first embodiment) or the host (its
 * second). The asymmetric variant has no R1: the host's key pair. */
#define WARD_SE_R1_BY_SE 1u
#define WARD_SE_R1_BY_HOST 2u

#define WARD_SE_VARIANT_SYM 1u
#define WARD_SE_VARIANT_ASYM 2u

/* f(R1, R2) of the symmetric variant. */
#define WARD_SE_F_HMAC_SHA256 1u
#define WARD_SE_F_AES_CMAC 2u
#define WARD_SE_F_HMAC_SM3 3u
#define WARD_SE_F_SM4_CMAC 4u
#define WARD_SE_F_MAX 4u

/* Where the SE stands. */
#define WARD_SE_STATE_UNBOUND 0u
#define WARD_SE_STATE_BOUND 1u   /* R1 stored, rewritable */
#define WARD_SE_STATE_LOCKED 2u  /* bind-locked: R1 is for ever */

/* Bytes of one store bank either role needs. */
#define WARD_SE_STORE_BANK_MIN                                               \
    (WARD_STORE_BANK_HDR_LEN + 3 * WARD_STORE_RECORD_HDR_LEN + 256)

typedef enum ward_se_event_kind {
    WARD_SE_EV_NONE = 0,
    WARD_SE_EV_BOUND,      /* a binding (R1 or the host key) is stored */
    WARD_SE_EV_LOCKED,     /* the binding is bind-locked */
    WARD_SE_EV_CHALLENGE,  /* SE: a challenge went out; host: out holds
                              the answer to it */
    WARD_SE_EV_VERIFIED,   /* the check passed: a session is open */
    WARD_SE_EV_COMMAND,    /* SE: data holds an authenticated command */
    WARD_SE_EV_RESPONSE,   /* host: data holds the SE's authenticated answer */
    WARD_SE_EV_REFUSED     /* err says why; wait_ms how long a back-off lasts */
} ward_se_event_kind;

typedef struct ward_se_event {
    ward_se_event_kind kind;
    ward_err err;          /* WARD_OK unless REFUSED */
    uint8_t se_state;      /* host, from a CHALLENGE: WARD_SE_STATE_* */
    uint32_t wait_ms;      /* REFUSED with WARD_ERR_BUSY: retry after this */
    size_t len;
    uint8_t data[WARD_SE_CMD_MAX];
} ward_se_event;

/* ---- Frames ---- */

/* CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF): it catches a bus's bit
 * errors, nothing more; the tags protect against an adversary. */
uint16_t ward_se_crc16(const uint8_t *p, size_t len);

/* out receives len + WARD_SE_FRAME_OVERHEAD bytes; len is at most
 * WARD_SE_PAYLOAD_MAX (WARD_ERR_PARAM), payload may be NULL when len is 0. */
WARD_MUST_CHECK
ward_err ward_se_frame_encode(uint8_t type, const uint8_t *payload,
                              size_t len, uint8_t *out, size_t cap,
                              size_t *out_len);

/* in must be exactly one frame: its length byte, then a CRC that
 * matches. WARD_ERR_FORMAT otherwise. *payload points into in. */
WARD_MUST_CHECK
ward_err ward_se_frame_parse(const uint8_t *in, size_t in_len, uint8_t *type,
                             const uint8_t **payload, size_t *len);

/* For a stream reader: how many bytes the frame whose first
 * WARD_SE_FRAME_HDR_LEN bytes are hdr has in all; 0 if its length byte is
 * over WARD_SE_PAYLOAD_MAX (the link is out of step: resynchronise). */
size_t ward_se_frame_total(const uint8_t hdr[WARD_SE_FRAME_HDR_LEN]);

/* ---- The secure element ---- */

/* Opaque: the ports, the store, the SE's id and stored state, the
 * outstanding challenge and the session are the core's
 * (core/proto/se_inner.h). Each term bounds what the private struct
 * keeps, with room for its padding; a build-time check in the core
 * proves it fits. */
#define WARD_SE_ELEM_CTX_SIZE                                                \
    (sizeof(void *) + sizeof(ward_random) + sizeof(ward_clock) +             \
     WARD_STORE_CTX_SIZE + WARD_SE_ID_LEN + WARD_SE_R2_LEN +                 \
     WARD_P256_SCALAR_LEN + WARD_P256_POINT_LEN + 32 + 56)
typedef struct ward_se_elem {
    WARD_OPAQUE(WARD_SE_ELEM_CTX_SIZE);
} ward_se_elem;

/* Opens the SE's store; makes its random id on the very first power-up.
 * Counts this power-up's back-off from now. WARD_ERR_IO if the port fails. */
WARD_MUST_CHECK
ward_err ward_se_elem_open(ward_se_elem *se, const ward_crypto *cp,
                           const ward_random *rng, const ward_clock *clock,
                           const ward_store_port *port);

/* Handles one frame from the host and writes the reply frame into out
 * (*out_len 0 only for an accepted command, which waits for
 * ward_se_elem_reply()). Every refusal is an ERROR frame and
 * ev->kind == WARD_SE_EV_REFUSED; the return value is WARD_OK unless the
 * caller's buffer is too small or a port failed in a way the SE could not
 * even report. cap must be at least WARD_SE_FRAME_MAX. */
WARD_MUST_CHECK
ward_err ward_se_elem_input(ward_se_elem *se, const uint8_t *in,
                            size_t in_len, ward_se_event *ev, uint8_t *out,
                            size_t cap, size_t *out_len);

/* The authenticated answer to the command just accepted (len at most
 * WARD_SE_CMD_MAX). WARD_ERR_STATE if none is waiting. */
WARD_MUST_CHECK
ward_err ward_se_elem_reply(ward_se_elem *se, const uint8_t *data,
                            size_t len, uint8_t *out, size_t cap,
                            size_t *out_len);

/* The link went down: forget the challenge and the session. */
void ward_se_elem_end_session(ward_se_elem *se);

/* How long until the SE gives a challenge again (0: now). */
WARD_MUST_CHECK
ward_err ward_se_elem_wait(const ward_se_elem *se, uint32_t *wait_ms);

/* What an SE tells of itself (ward_se_elem_get_info). */
typedef struct ward_se_elem_info {
    uint8_t id[WARD_SE_ID_LEN];
    uint8_t state;           /* WARD_SE_STATE_* */
    uint8_t variant, f;      /* the binding's; 0 when unbound */
    uint32_t fails;          /* failed checks since the last passed one */
    bool verified;           /* a session is open */
} ward_se_elem_info;

void ward_se_elem_get_info(const ward_se_elem *se, ward_se_elem_info *info);

/* Wipes every secret the context holds. */
void ward_se_elem_close(ward_se_elem *se);

/* ---- The host ---- */

/* Opaque: the ports, the store, the stored binding without its secret,
 * a binding under way and the session are the core's
 * (core/proto/se_inner.h), bounded as WARD_SE_ELEM_CTX_SIZE is. */
#define WARD_SE_HOST_CTX_SIZE                                                \
    (2 * sizeof(void *) + sizeof(ward_random) + WARD_STORE_CTX_SIZE +       \
     WARD_SE_ID_LEN + WARD_P256_SCALAR_LEN + WARD_P256_POINT_LEN + 32 + 24)
typedef struct ward_se_host {
    WARD_OPAQUE(WARD_SE_HOST_CTX_SIZE);
} ward_se_host;

/* Opens the host's store. WARD_ERR_IO if the port fails. */
WARD_MUST_CHECK
ward_err ward_se_host_open(ward_se_host *h, const ward_crypto *cp,
                           const ward_random *rng,
                           const ward_store_port *port);

/* Keeps the asymmetric variant's host key in ks (ward_keystore.h, id
 * WARD_KEY_SE) for bindings made from now on: ward_se_host_bind() makes it
 * there (or takes the one already there: a rebinding keeps the key) and
 * the binding record holds 32 zero bytes in place of the private key.
 * Call after every ward_se_host_open() (it clears the context); ks must
 * outlive the host. A record with its key in it ignores ks. */
void ward_se_host_use_keystore(ward_se_host *h, const ward_keystore *ks);

/* A BIND frame. r1_by is WARD_SE_R1_BY_SE or _BY_HOST for the symmetric
 * variant (f one of WARD_SE_F_*); the asymmetric variant makes the host's
 * key pair and ignores r1_by and f. WARD_ERR_LOCKED if this host is
 * already bind-locked to an SE; WARD_ERR_UNSUPPORTED for an f the backend
 * lacks; WARD_ERR_PARAM for unknown values. */
WARD_MUST_CHECK
ward_err ward_se_host_bind(ward_se_host *h, uint8_t r1_by, uint8_t variant,
                           uint8_t f, uint8_t *out, size_t cap,
                           size_t *out_len);

/* A BIND_LOCK frame proving the host holds the binding. WARD_ERR_STATE
 * before a binding. Again after LOCKED is fine: the SE answers LOCKED. */
WARD_MUST_CHECK
ward_err ward_se_host_lock(ward_se_host *h, uint8_t *out, size_t cap,
                           size_t *out_len);

/* A HELLO frame: asks the SE for its challenge. */
WARD_MUST_CHECK
ward_err ward_se_host_hello(ward_se_host *h, uint8_t *out, size_t cap,
                            size_t *out_len);

/* An authenticated command (len 0..WARD_SE_CMD_MAX) after VERIFIED;
 * WARD_ERR_STATE before. */
WARD_MUST_CHECK
ward_err ward_se_host_command(ward_se_host *h, const uint8_t *data,
                              size_t len, uint8_t *out, size_t cap,
                              size_t *out_len);

/* Handles one frame from the SE. For a CHALLENGE of a locked SE it writes
 * the answer into out; otherwise *out_len is 0. Returns WARD_OK with the
 * event, or the reason: the SE's own refusal (ev->kind REFUSED, wait_ms
 * for a back-off), WARD_ERR_STATE for a frame not awaited or a challenge
 * from an SE that is not bind-locked (ev->se_state says which),
 * WARD_ERR_AUTH for a VERIFIED or RESP whose tag is wrong, WARD_ERR_FORMAT
 * for bytes that do not parse. */
WARD_MUST_CHECK
ward_err ward_se_host_input(ward_se_host *h, const uint8_t *in,
                            size_t in_len, ward_se_event *ev, uint8_t *out,
                            size_t cap, size_t *out_len);

/* What a host tells of its binding (ward_se_host_get_info). */
typedef struct ward_se_host_info {
    bool bound, locked;
    uint8_t se_id[WARD_SE_ID_LEN];  /* the SE it is bound to (when bound) */
    uint8_t variant, f;
    bool verified;                  /* a session is open */
} ward_se_host_info;

void ward_se_host_get_info(const ward_se_host *h, ward_se_host_info *info);

/* Forgets the session (the host powers down). */
void ward_se_host_end_session(ward_se_host *h);

void ward_se_host_close(ward_se_host *h);

#ifdef __cplusplus
}
#endif

#endif /* WARD_SE_H */
