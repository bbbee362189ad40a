/*
 * examples_c.h - the fixture flow C's worked examples share: a factory key,
 * a device's identity key and the ACTIVATION that binds them, and the
 * documented packet nonce.
 */
#ifndef WARD_EXAMPLES_C_H
#define WARD_EXAMPLES_C_H

#include "examples.h"

#include "ward/ward_gw_cloud.h"
#include "ward/ward_keystore.h"

/* The activated device (a gateway or a sub-device). Its random sources are
 * deterministic streams (ex_rng) named by the caller, so each example keeps
 * its bytes; it must live in static storage (the sources point into it). */
typedef struct ex_c_dev {
    ex_rng fr, dr;
    ward_random frng, drng;
    ward_keystore_soft fsoft, dsoft;
    ward_keystore factory, dev;
    uint8_t factory_pub[WARD_P256_POINT_LEN], dev_pub[WARD_P256_POINT_LEN];
    uint8_t act[WARD_ACTIVATION_MAX];
    size_t act_len;
} ex_c_dev;

/* Draws the factory key from stream factory_seed, the device's identity
 * key (WARD_KEY_DEVICE_IDENTITY) from dev_seed, and has the factory sign
 * the ACTIVATION {sn = id in lowercase hex, pub}. The signature is made by
 * mbedTLS (RFC 6979, deterministic) on every backend: the messages carry
 * these bytes, and a document can show only one signature, which a
 * randomized backend could not reproduce. */
void ex_c_dev_init(ex_set *s, ex_c_dev *d, const char *factory_seed, const char *dev_seed,
                   const uint8_t id[16]);
void ex_c_dev_wipe(ex_c_dev *d);

/* Fresh credentials as wardd draws them: tid, password, accesskey,
 * localkey from rng, in that order; generation 1, expiry one year after
 * the example clock. */
void ex_c_draw_creds(ex_set *s, const ward_random *rng, ward_gw_creds *c);

/* The packet nonce as the document writes it: dir || 8 zero bytes || seq
 * (4, big-endian); computed here, not by the core, so the example checks
 * the core against the text. */
void ex_c_nonce(uint8_t dir, uint32_t seq, uint8_t n[WARD_AEAD_NONCE_LEN]);

#endif /* WARD_EXAMPLES_C_H */
