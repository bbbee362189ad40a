/*
 * ward_dev_app.h - the app's end of flow D, in the device library: binding
 * to an IoT device with its PIN, the channels to it, and what the app
 * keeps per paired device (ward_pair_device). The client library saves
 * that record in the app's directory (ward_pair.h); a hub or a phone
 * without that library (no heap, no OS) uses this header alone.
 *
 * Sans-I/O like the device (ward_device.h): each call takes the message
 * the device answered and writes the next one; the caller moves bytes
 * over whatever transport it has (CoAP near-field, wardd far-field), and
 * may switch transports between any two messages. The key schedule and
 * the channel layer under it are the device's own, private to the core.
 *
 * Binding (1.5 round trips of PAKE after the PIN request):
 *
 *     ward_pair p;
 *     ward_pair_start(&p, cp, &rng, udidx, udidx_len, cid, cid_len,
 *                     "lamp app", 8, out, cap, &n);       -> PIN_REQUEST
 *     ward_pair_on_pin(&p, in, in_len, &info);            (device shows the
 *                                                          window's PIN)
 *     ward_pair_pake_init(&p, "123456", 6, out, cap, &n); -> PAKE_INIT
 *     ward_pair_on_pake_init(&p, in, in_len, out, cap, &n);
 *         WARD_ERR_AUTH: wrong PIN (the device counted it)  -> PAKE_FINISH
 *         (the answer already brought the key index and the device's
 *         sealed name and type)
 *     ward_pair_device dev;
 *     ward_pair_on_pake_finish(&p, ack, ack_len, &dev);   bound: key index,
 *                                                          data key
 *         (ack: the device's empty answer, if the transport has one)
 *     ward_pair_wipe(&p);
 *     ward_pair_device_save(app_dir, &dev);               (client library:
 *                                                          devices/<ID>.json)
 *
 * The PIN is the one the device shows for its open pairing window, which
 * a local action on the device opened (ward_device.h); every app binding
 * in that window types the same PIN. Refusals a binding meets:
 * WARD_ERR_LOCKED (PIN_REQUEST, PAKE_INIT): no window open, or its wrong
 * PINs are spent: the person opens a new one on the device;
 * WARD_ERR_BUSY (PIN_REQUEST): every slot is in a PAKE, free within
 * WARD_DEV_PAKE_TTL_MS: ask again later; WARD_ERR_NOTFOUND (PAKE_INIT):
 * another app's PIN_REQUEST took this binding's slot before its
 * PAKE_INIT (the window counted the takeover as an attempt): start
 * again with the same PIN.
 *
 * Giving up at any step (a wrong PIN, a refusal, no answer, the person
 * cancelled): ward_pair_end(&p, out, cap, &n) writes PAKE_END, so the
 * device frees the binding slot now instead of at its expiry. It works
 * after a failed or refused step too: that wipes every secret of the
 * binding but keeps the CliID, which (with the transport address) names
 * the slot.
 *
 * udidx is the app's per-process device id (seed 003's UDIDx) and cid its
 * CliID (1..WARD_CLIENT_ID_MAX bytes, or none: cid_len 0 is an older app).
 *
 * Refusals. A ward_pair and a ward_pair_channel remember the request they
 * have in flight (PIN_REQUEST, PAKE_INIT, PAKE_FINISH; CHANNEL_OPEN, the
 * last COMMAND). A device's error answer ends that exchange only if it
 * refuses that request: it keeps its type and echoes its key index, seq
 * and CliID. Error answers are not authenticated, and a relay (wardd far-
 * field, or anything on the path near-field) can queue an old one again
 * or replay one of another request; such a refusal must not break the
 * next command. So every on_* call of a binding or a channel that meets
 * an error answer returns the code it carries, and:
 *   - if it refuses the request in flight, the exchange is over:
 *     ward_pair_waiting() / ward_pair_channel_waiting() turn false;
 *   - otherwise the call changed nothing and the *_waiting() call stays
 *     true: drop the message and keep waiting for the answer.
 * Likewise any other message that is not the answer (bad bytes, a reply
 * that does not verify, a notification) leaves the request in flight
 * (but ward_pair_on_pake_init, which takes its answer once), so a
 * receive loop reads:
 *
 *     err = ward_pair_on_reply(&dev, cp, &ch, in, in_len, ...);
 *     if (!ward_pair_channel_waiting(&ch))  done: err is the result
 *     else                                  keep waiting (err says why
 *                                           this message was not it)
 *
 * A refusal never changes a stored record. (A relay that sees the request
 * can still forge a refusal of it: an error answer carries no tag, so a
 * forged one looks like the device's. CHANNEL_OPEN always has seq 0, so
 * an older open's refusal with the same key index and CliID fits it too.)
 *
 * Channels, with a paired device:
 *
 *     ward_pair_channel ch;
 *     ward_pair_channel_open(&dev, cp, &rng, channel_id, &ch, out, cap, &n);
 *     ward_pair_on_channel_open(&dev, cp, &ch, in, in_len);
 *     ward_pair_command(&dev, cp, &ch, cmd, cmd_len, out, cap, &n);
 *     ward_pair_on_reply(&dev, cp, &ch, in, in_len, buf, sizeof buf, &len,
 *                        &is_reply);   // is_reply false: a notification
 *
 * Opening a channel id the device already has open does not reset it: the
 * device answers with the channel's original nonces and its counters, so
 * an app that lost its channel state (a new process of the CLI) resumes
 * it with the same keys, sending above everything the device has seen.
 *
 * No answer to a command. The device answers nothing to a message it
 * cannot verify, and a channel it does not know (it restarted, or evicted
 * the channel) is one: to a stranger, "no such channel" must look like
 * "bad tag". So when a command gets no answer (near-field CoAP carries
 * the silence as a bare 4.00), open the channel again and ask what
 * became of the command:
 *
 *     ward_pair_channel_reopen(&dev, cp, &rng, &ch, out, cap, &n);
 *     ward_pair_on_channel_open(&dev, cp, &ch, in, in_len);
 *     switch (ward_pair_channel_fate(&ch)) {
 *     case WARD_PAIR_FATE_LOST:      the device had lost the channel (it
 *                                    restarted): the command never ran in
 *                                    the new one, but may have run before
 *                                    the restart (the device keeps no
 *                                    record of commands across power
 *                                    cuts): send it again only if it is
 *                                    idempotent, else report the outcome
 *                                    unknown
 *     case WARD_PAIR_FATE_TAKEN:     the device took it (and ran it): its
 *                                    reply was lost; do not send it again
 *     case WARD_PAIR_FATE_NOT_TAKEN: the device has the channel and did
 *                                    not take it (it did not verify, or
 *                                    never arrived)
 *     }
 *
 * with a bound on the re-opens and a back-off between them (ward app
 * send: 3, from 200 ms doubling). A re-open that gets no answer either
 * may be sent again (ward_pair_channel_reopen keeps what it needs).
 *
 * Far-field: after wardd assigned a cloud device id for this app
 * (POST /v1/devices/attach), tell the device with an ATTACH in an open
 * channel (ward_pair_attach / ward_pair_on_attach), set dev.cloud_id and
 * save; from then on the device accepts this app's messages that wardd
 * delivers under that cloud device id.
 *
 * The app owns every buffer; data keys are wiped by ward_pair_wipe() and
 * ward_pair_device_wipe().
 */
#ifndef WARD_DEV_APP_H
#define WARD_DEV_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward_device.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The app's record of one paired device, a binding's result (the client
 * library keeps it as devices/<ID>.json, ward_pair.h). */
typedef struct ward_pair_device {
    char id[WARD_DEV_ID_MAX + 1];
    char name[WARD_DEV_NAME_MAX + 1];
    char type[WARD_DEV_TYPE_MAX + 1];
    uint8_t key_index;
    uint8_t data_key[WARD_DEV_DATA_KEY_LEN];
    uint8_t udidx[WARD_DEV_UDIDX_MAX];
    size_t udidx_len;
    uint8_t client_id[WARD_CLIENT_ID_MAX];
    size_t client_id_len;
    char cloud_id[WARD_DEV_CLOUD_ID_MAX + 1];   /* "" until attached */
} ward_pair_device;

/* A binding in progress (opaque: core/proto/dev_app_inner.h). After a
 * failed step only its state and the CliID are left (for PAKE_END);
 * ward_pair_wipe() clears those too. Its size follows WARD_CLIENT_ID_MAX;
 * each term bounds a field of the private struct, 32 bytes cover the
 * padding, and a build-time check in the core proves it fits. */
#define WARD_PAIR_CTX_SIZE                                                   \
    (sizeof(void *) + sizeof(ward_random) + sizeof(ward_dev_info) +          \
     sizeof(ward_spake2p) + 3 * sizeof(size_t) + WARD_DEV_UDIDX_MAX +        \
     WARD_CLIENT_ID_MAX + WARD_DEV_APP_NAME_MAX + WARD_DEV_SALT_LEN +        \
     WARD_DEV_DATA_KEY_LEN + WARD_DEV_END_TOKEN_LEN + 32)
typedef struct ward_pair {
    WARD_OPAQUE(WARD_PAIR_CTX_SIZE);
} ward_pair;

/* An app's end of a channel (opaque: core/proto/dev_app_inner.h). Plain
 * data with no pointer, so the caller may copy it by assignment (to try a
 * message and keep the old state). Its size is exact on every ABI: the
 * channel's two nonces, its two keys, 40 bytes of counters and flags. */
#define WARD_PAIR_CHANNEL_CTX_SIZE                                           \
    (2 * WARD_DEV_OPEN_NONCE_LEN + 2 * WARD_AEAD_KEY_LEN + 40)
typedef struct ward_pair_channel {
    WARD_OPAQUE(WARD_PAIR_CHANNEL_CTX_SIZE);
} ward_pair_channel;

/* What became of a command that got no answer (ward_pair_channel_fate). */
typedef enum ward_pair_fate {
    WARD_PAIR_FATE_NONE = 0,     /* no re-open answered yet */
    WARD_PAIR_FATE_LOST,         /* the device lost the channel: ran? unknown */
    WARD_PAIR_FATE_TAKEN,        /* the device took the command */
    WARD_PAIR_FATE_NOT_TAKEN     /* the device has the channel, not it */
} ward_pair_fate;

/* ---- binding ---- */

/* Starts a binding: writes PIN_REQUEST. udidx 1..WARD_DEV_UDIDX_MAX,
 * client_id 0..WARD_CLIENT_ID_MAX, app_name 1..WARD_DEV_APP_NAME_MAX
 * bytes (WARD_ERR_PARAM otherwise). */
WARD_MUST_CHECK
ward_err ward_pair_start(ward_pair *p, const ward_crypto *cp,
                         const ward_random *rng, const uint8_t *udidx,
                         size_t udidx_len, const uint8_t *client_id,
                         size_t client_id_len, const uint8_t *app_name,
                         size_t app_name_len, uint8_t *out, size_t cap,
                         size_t *out_len);

/* Reads the PIN_REQUEST answer: the device's id, name and type (info may
 * be NULL). WARD_ERR_FORMAT for bad bytes, or an error answer's code (the
 * binding is over if it refuses this PIN_REQUEST, see "Refusals"). */
WARD_MUST_CHECK
ward_err ward_pair_on_pin(ward_pair *p, const uint8_t *in, size_t in_len,
                          ward_dev_info *info);

/* The PIN the device shows (WARD_DEV_PIN_LEN digits): writes PAKE_INIT. */
WARD_MUST_CHECK
ward_err ward_pair_pake_init(ward_pair *p, const uint8_t *pin, size_t pin_len,
                             uint8_t *out, size_t cap, size_t *out_len);

/* Reads the answer to PAKE_INIT (shareV, confirmV, and the device's name
 * and type sealed under the new data key, with the key index in its
 * header); writes PAKE_FINISH (confirmP alone, named by that key index).
 * WARD_ERR_AUTH: the PIN was wrong, or the answer forged or altered (the
 * app name the device heard included); the binding is over, start
 * again (after ward_pair_end: the device still holds the slot). The
 * answer is taken once: anything but a refusal of another request ends
 * the binding on failure. */
WARD_MUST_CHECK
ward_err ward_pair_on_pake_init(ward_pair *p, const uint8_t *in,
                                size_t in_len, uint8_t *out, size_t cap,
                                size_t *out_len);

/* After PAKE_FINISH went out: fills d (key index, data key, the device's
 * name and type, the app's ids) and destroys the binding's state. in is
 * the device's answer if the transport carries one: an empty
 * acknowledgement (WARD_OK) or an error answer (its code, e.g.
 * WARD_ERR_AUTH: confirmP did not verify and the device stored nothing).
 * in_len 0 (in may be NULL) when the transport has no answer: the
 * device is bound once it verified confirmP. */
WARD_MUST_CHECK
ward_err ward_pair_on_pake_finish(ward_pair *p, const uint8_t *in,
                                  size_t in_len, ward_pair_device *d);

/* Abandons a binding: writes PAKE_END so the device frees its slot, and
 * wipes p. Works in every state from ward_pair_start() on, a failed step
 * included (the PAKE_END names the slot by the CliID and carries the end
 * token whose commitment the PIN_REQUEST sent, the one secret a failed
 * step keeps: the device frees the slot for nobody else). WARD_ERR_STATE if p holds no binding (never started, bound, or
 * wiped): there is no slot to free. out may be NULL (then only wipes). */
WARD_MUST_CHECK
ward_err ward_pair_end(ward_pair *p, uint8_t *out, size_t cap,
                       size_t *out_len);

void ward_pair_wipe(ward_pair *p);

/* True while p has a request in flight (PIN_REQUEST, PAKE_INIT or
 * PAKE_FINISH sent, its answer not taken, no refusal of it seen). */
bool ward_pair_waiting(const ward_pair *p);

/* ---- channels and commands ---- */

/* Writes CHANNEL_OPEN for channel_id (any value the app chooses). */
WARD_MUST_CHECK
ward_err ward_pair_channel_open(const ward_pair_device *d,
                                const ward_crypto *cp, const ward_random *rng,
                                uint32_t channel_id, ward_pair_channel *c,
                                uint8_t *out, size_t cap, size_t *out_len);

/* Reads the answer; the channel is open (or resumed) on WARD_OK. An
 * error answer: see "Refusals" (c is unchanged but for the request in
 * flight). */
WARD_MUST_CHECK
ward_err ward_pair_on_channel_open(const ward_pair_device *d,
                                   const ward_crypto *cp,
                                   ward_pair_channel *c, const uint8_t *in,
                                   size_t in_len);

/* Writes a COMMAND carrying data (at most WARD_DEV_DATA_MAX bytes); it
 * becomes c's request in flight (one at a time: a new command replaces
 * the one whose answer the app no longer waits for). */
WARD_MUST_CHECK
ward_err ward_pair_command(const ward_pair_device *d, const ward_crypto *cp,
                           ward_pair_channel *c, const uint8_t *data,
                           size_t len, uint8_t *out, size_t cap,
                           size_t *out_len);

/* Reads a REPLY: data receives the device's bytes; *is_reply says whether
 * it answers a command (false: a notification, and the command is still
 * in flight). WARD_ERR_AUTH for a replay or anything that does not
 * verify (c unchanged); an error answer: see "Refusals". */
WARD_MUST_CHECK
ward_err ward_pair_on_reply(const ward_pair_device *d, const ward_crypto *cp,
                            ward_pair_channel *c, const uint8_t *in,
                            size_t in_len, uint8_t *data, size_t cap,
                            size_t *data_len, bool *is_reply);

/* True while c has a request in flight (CHANNEL_OPEN or a COMMAND sent,
 * its answer not taken, no refusal of it seen). */
bool ward_pair_channel_waiting(const ward_pair_channel *c);

/* After a COMMAND got no answer (c still waiting for it): writes
 * CHANNEL_OPEN for c's channel id, remembering the channel and the
 * command's seq; again after a re-open that got no answer either.
 * WARD_ERR_STATE otherwise. ward_pair_on_channel_open() takes the answer
 * as for ward_pair_channel_open(), then ward_pair_channel_fate() says
 * what became of the command (see "No answer to a command"). */
WARD_MUST_CHECK
ward_err ward_pair_channel_reopen(const ward_pair_device *d,
                                  const ward_crypto *cp,
                                  const ward_random *rng,
                                  ward_pair_channel *c, uint8_t *out,
                                  size_t cap, size_t *out_len);
ward_pair_fate ward_pair_channel_fate(const ward_pair_channel *c);

/* Writes ATTACH: the cloud device id (1..WARD_DEV_CLOUD_ID_MAX bytes)
 * wardd gave this app for the device, in the open channel c under its
 * counter (so the device refuses the same ATTACH sent again: a replay
 * cannot move the node back to a cloud id it left). It becomes c's
 * request in flight. WARD_ERR_STATE if c is not open. */
WARD_MUST_CHECK
ward_err ward_pair_attach(const ward_pair_device *d, const ward_crypto *cp,
                          ward_pair_channel *c, const uint8_t *cloud_id,
                          size_t cloud_id_len, uint8_t *out, size_t cap,
                          size_t *out_len);
/* Reads the answer to the ATTACH of cloud_id in flight in c (WARD_OK:
 * recorded; the caller sets d->cloud_id): it must verify in c, be new to
 * its replay window and echo cloud_id. An error answer: see "Refusals"
 * (c unchanged but for the request in flight). */
WARD_MUST_CHECK
ward_err ward_pair_on_attach(const ward_pair_device *d, const ward_crypto *cp,
                             ward_pair_channel *c, const uint8_t *cloud_id,
                             size_t cloud_id_len, const uint8_t *in,
                             size_t in_len);

/* The code of an error answer (WARD_FLAG_ERROR) in msg, or WARD_OK if msg
 * is no error answer. It says nothing of which request the answer
 * refuses: to end an exchange on it, use the on_* calls and
 * ward_pair_waiting() / ward_pair_channel_waiting(). */
WARD_MUST_CHECK
ward_err ward_pair_error_of(const uint8_t *msg, size_t len);

/* Wipes a paired device's record (its data key) when the app is done
 * with it. */
void ward_pair_device_wipe(ward_pair_device *d);

#ifdef __cplusplus
}
#endif

#endif /* WARD_DEV_APP_H */
