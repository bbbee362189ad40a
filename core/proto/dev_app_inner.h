/*
 * dev_app_inner.h - helpers shared by the app's half of flow D
 * (dev_app.c binding, dev_app_chan.c channels and attach). Not installed.
 *
 * Refusals: a device's error answer (ward_dev_error_answer) keeps the
 * refused request's type and echoes its key index, seq and CliID. It
 * carries no tag, so these helpers tell an old refusal (re-queued by a
 * relay, or of an earlier request) from one of the request in flight,
 * never the device's from a forgery.
 */
#ifndef WARD_DEV_APP_INNER_H
#define WARD_DEV_APP_INNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ward/ward_dev_app.h"
#include "dev_keys.h"

/* A binding in progress (ward_pair). */
typedef struct ward_pair_state {
    const ward_crypto *cp;
    ward_random rng;
    uint8_t state;
    uint8_t udidx[WARD_DEV_UDIDX_MAX];
    size_t udidx_len;
    uint8_t client_id[WARD_CLIENT_ID_MAX];
    size_t client_id_len;
    uint8_t app_name[WARD_DEV_APP_NAME_MAX];
    size_t app_name_len;
    ward_dev_info info;
    uint8_t salt[WARD_DEV_SALT_LEN];
    uint8_t data_key[WARD_DEV_DATA_KEY_LEN];
    uint8_t key_index;          /* from the PAKE_INIT answer */
    uint8_t end_token[WARD_DEV_END_TOKEN_LEN];  /* opens PIN_REQUEST's 0x03 */
    ward_spake2p pake;
} ward_pair_state;

/* An app's end of a channel (ward_pair_channel): plain data. */
typedef struct ward_pair_channel_state {
    uint32_t channel_id;
    uint8_t state;             /* 0 closed, 1 open sent, 2 open */
    uint8_t na[WARD_DEV_OPEN_NONCE_LEN];
    uint8_t req_type;          /* the request in flight, 0 none: the type */
    uint32_t req_seq;          /* and seq a refusal of it echoes */
    ward_dev_chan chan;
    uint8_t reopen;            /* a re-open after an unanswered command: */
    uint8_t fate;              /* ward_pair_fate once it is answered */
    uint8_t lost_na[WARD_DEV_OPEN_NONCE_LEN];   /* the channel it sent in */
    uint32_t lost_seq;                          /* and the command's seq */
} ward_pair_channel_state;

/* C99 has no _Static_assert: a negative array size fails the build if
 * WARD_PAIR_CTX_SIZE or WARD_PAIR_CHANNEL_CTX_SIZE is too small. */
typedef char ward_pair_state_fits[sizeof(ward_pair_state) <= WARD_PAIR_CTX_SIZE ? 1 : -1];
typedef char ward_pair_channel_state_fits[
    sizeof(ward_pair_channel_state) <= WARD_PAIR_CHANNEL_CTX_SIZE ? 1 : -1];

static inline ward_pair_state *pair_st(ward_pair *p)
{
    return (ward_pair_state *)(void *)p->opaque.bytes;
}

static inline const ward_pair_state *pair_cst(const ward_pair *p)
{
    return (const ward_pair_state *)(const void *)p->opaque.bytes;
}

static inline ward_pair_channel_state *pchan_st(ward_pair_channel *c)
{
    return (ward_pair_channel_state *)(void *)c->opaque.bytes;
}

static inline const ward_pair_channel_state *pchan_cst(const ward_pair_channel *c)
{
    return (const ward_pair_channel_state *)(const void *)c->opaque.bytes;
}

/* A request as its header went out: what the device's refusal of it
 * echoes (type 0: none in flight). */
typedef struct ward_dev_app_request {
    uint8_t type;
    uint8_t key_index;
    uint32_t seq;
    const uint8_t *cid;
    size_t cid_len;
} ward_dev_app_request;

/* What an error answer is to the request in flight. */
enum { WARD_DEV_APP_NO_REFUSAL = 0, WARD_DEV_APP_REFUSES_RQ,
       WARD_DEV_APP_REFUSES_OTHER };

/* A request header of this version: type, flags, key index, the CliID
 * (cid_len 0: none), seq 0. */
void ward_dev_app_hdr(ward_hdr *h, uint8_t type, uint8_t flags, uint8_t ki,
                      const uint8_t *cid, size_t cid_len);

/* Whether the error answer h refuses rq. */
bool ward_dev_app_refuses(const ward_hdr *h, const ward_dev_app_request *rq);

/* An answer of `type` with exactly `flags`, to this app (its CliID). An
 * error answer returns its code, and *refusal says whether it refuses rq
 * (rq NULL: whatever it refuses). */
ward_err ward_dev_app_answer(const uint8_t *in, size_t in_len, uint8_t type,
                             uint8_t flags, const uint8_t *cid, size_t cid_len,
                             const ward_dev_app_request *rq, ward_hdr *h,
                             size_t *hlen, int *refusal);

#endif /* WARD_DEV_APP_INNER_H */
