/* The activated device, credentials and packet nonce flow C's examples share (examples_c.h). */
#include "examples_c.h"

#include <string.h>

#include "ward/ward_bind.h"
#include "ward/ward_port_mbedtls.h"

void ex_c_dev_init(ex_set *s, ex_c_dev *d, const char *factory_seed, const char *dev_seed,
                   const uint8_t id[16])
{
    static const char digits[] = "0123456789abcdef";
    char id_hex[32];
    for (size_t i = 0; i < 16; i++) {
        id_hex[2 * i] = digits[id[i] >> 4];
        id_hex[2 * i + 1] = digits[id[i] & 0x0Fu];
    }
    d->frng = ex_rng_init(&d->fr, s->cp, factory_seed);
    d->drng = ex_rng_init(&d->dr, s->cp, dev_seed);
    /* The factory signs through mbedTLS whatever the backend under test
     * (see the header); the device uses the backend under test. */
    ward_keystore_soft_init(&d->fsoft, ward_crypto_mbedtls(), &d->frng, &d->factory);
    ward_keystore_soft_init(&d->dsoft, s->cp, &d->drng, &d->dev);
    EX_OK(s, d->factory.generate(d->factory.ctx, WARD_KEY_FACTORY, d->factory_pub));
    EX_OK(s, d->dev.generate(d->dev.ctx, WARD_KEY_DEVICE_IDENTITY, d->dev_pub));
    ward_activation a = { (const uint8_t *)id_hex, sizeof id_hex, d->dev_pub };
    EX_OK(s, ward_activation_sign_by(ward_crypto_mbedtls(), &d->factory, WARD_KEY_FACTORY, &a,
                                     d->act, sizeof d->act, &d->act_len));
}

void ex_c_dev_wipe(ex_c_dev *d)
{
    ward_keystore_soft_wipe(&d->fsoft);
    ward_keystore_soft_wipe(&d->dsoft);
}

void ex_c_draw_creds(ex_set *s, const ward_random *rng, ward_gw_creds *c)
{
    memset(c, 0, sizeof *c);
    EX_OK(s, rng->fill(rng->ctx, c->tid, sizeof c->tid));
    EX_OK(s, rng->fill(rng->ctx, c->password, sizeof c->password));
    EX_OK(s, rng->fill(rng->ctx, c->accesskey, sizeof c->accesskey));
    EX_OK(s, rng->fill(rng->ctx, c->localkey, sizeof c->localkey));
    c->generation = 1;
    c->expiry_ms = EX_T0 + 365ull * 86400000ull;
}

void ex_c_nonce(uint8_t dir, uint32_t seq, uint8_t n[WARD_AEAD_NONCE_LEN])
{
    memset(n, 0, WARD_AEAD_NONCE_LEN);
    n[0] = dir;
    n[WARD_AEAD_NONCE_LEN - 4] = (uint8_t)(seq >> 24);
    n[WARD_AEAD_NONCE_LEN - 3] = (uint8_t)(seq >> 16);
    n[WARD_AEAD_NONCE_LEN - 2] = (uint8_t)(seq >> 8);
    n[WARD_AEAD_NONCE_LEN - 1] = (uint8_t)seq;
}
