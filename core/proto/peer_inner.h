/*
 * peer_inner.h - the peer authentication context's insides (ward_peer.h),
 * shared by the handshake (peer.c) and the channel (peer_chan.c). Not
 * installed.
 */
#ifndef WARD_PEER_INNER_H
#define WARD_PEER_INNER_H

#include <stdbool.h>
#include <stdint.h>

#include "ward/ward_peer.h"

typedef enum peer_state {
    PEER_IDLE = 0,      /* initialised */
    PEER_SENT_M1,       /* initiator, waiting for M2 */
    PEER_SENT_M2,       /* responder, waiting for M3 */
    PEER_UP,            /* established: records */
    PEER_FAILED         /* a refusal ended it */
} peer_state;

/* One direction of the channel: AES-128 key and the 13-byte base nonce. */
typedef struct peer_dir {
    uint8_t key[WARD_AEAD_KEY_LEN];
    uint8_t iv[WARD_AEAD_NONCE_LEN];
} peer_dir;

typedef struct peer_ctx {
    ward_peer_config cfg;
    uint8_t state;
    bool initiator;
    uint8_t why;        /* ward_peer_why */
    uint8_t cert_why;   /* ward_cert_why */
    uint8_t x[WARD_P256_SCALAR_LEN];          /* the ephemeral private key */
    uint8_t z[WARD_P256_SHARED_LEN];          /* the ECDH result */
    uint8_t th[WARD_SHA256_LEN];              /* the transcript hash so far */
    ward_cert peer;                           /* the peer, once its chain verified */
    peer_dir send, recv;
    uint32_t send_seq;                        /* next to send */
    bool sent_all;                            /* 2^32 records sent */
    bool got_any;
    uint32_t recv_top;                        /* highest seq taken */
    uint64_t recv_window;                     /* bit i: recv_top - i taken */
} peer_ctx;

typedef char peer_ctx_fits[sizeof(peer_ctx) <= WARD_PEER_CTX_SIZE ? 1 : -1];

#define PEER(p) ((peer_ctx *)(void *)(p)->opaque.bytes)
#define CPEER(p) ((const peer_ctx *)(const void *)(p)->opaque.bytes)

/* The channel keys from the final transcript (peer_chan.c). */
ward_err peer_chan_keys(peer_ctx *c);

#endif /* WARD_PEER_INNER_H */
