/* Worked example of a firmware manifest signed by a release key (examples.h). */
#include "examples.h"

#include <string.h>

#include "ward/ward_cert.h"
#include "ward/ward_fw.h"

void ex_gen_fw(ex_set *s)
{
    static ex_rng rr;
    static ward_keystore_soft soft;
    ward_random rrng = ex_rng_init(&rr, s->cp, "release key");
    ward_keystore ks;
    uint8_t priv[WARD_P256_SCALAR_LEN], pub[WARD_P256_POINT_LEN], kid[WARD_CERT_KEY_ID_LEN];
    uint8_t image[64], out[WARD_FW_MANIFEST_MAX];
    size_t len = 0;

    ward_keystore_soft_init(&soft, s->cp, &rrng, &ks);
    EX_OK(s, ks.generate(ks.ctx, WARD_KEY_RELEASE, pub));
    EX_OK(s, ward_keystore_soft_export(&soft, WARD_KEY_RELEASE, priv));
    EX_OK(s, ward_cert_key_id(s->cp, pub, kid));
    for (size_t i = 0; i < sizeof image; i++) {
        image[i] = (uint8_t)i;
    }
    ward_fw_manifest m;
    memset(&m, 0, sizeof m);
    m.class_len = 7;
    memcpy(m.dev_class, "lock-k1", 7);
    m.version_len = 3;
    memcpy(m.version, "1.1", 3);
    m.counter = 2;
    m.min_counter = 1;
    m.size = sizeof image;
    ward_iov one = { image, sizeof image };
    EX_OK(s, s->cp->sha256(&one, 1, m.digest));
    EX_OK(s, ward_fw_manifest_sign_by(s->cp, &ks, WARD_KEY_RELEASE, &m, out, sizeof out, &len));
    ward_fw_manifest got;
    EX_OK(s, ward_fw_manifest_verify(s->cp, pub, out, len, &got));
    if (len != WARD_FW_MANIFEST_FIXED_LEN + 7 + 3 || memcmp(out + len - WARD_P256_SIG_LEN - 8,
                                                           kid, sizeof kid) != 0) {
        ex_fail(s, "the documented manifest layout differs from the code's");
    }

    ex_begin(s, "fw",
             "### Firmware manifest\n"
             "\n"
             "Release 1.1 (security counter 2, installable on a device that has\n"
             "confirmed counter 1 or more) of class lock-k1: a 64-byte image, the bytes\n"
             "0x00..0x3f, signed by the release key (label \"fw manifest\").");
    ex_hex(s, "release_priv", priv, sizeof priv);
    ex_hex(s, "release_pub", pub, sizeof pub);
    ex_note(s, "key id = the first 8 bytes of SHA-256(compressed release_pub)");
    ex_hex(s, "key_id", kid, sizeof kid);
    ex_hex(s, "image_sha256", m.digest, sizeof m.digest);
    ex_note(s, "signed: 0x01, class length and class, version length and version, counter,");
    ex_note(s, "minimum counter, size (4 bytes each), SHA-256, key id");
    ex_hex(s, "signed", out, len - WARD_P256_SIG_LEN);
    ex_note(s, "manifest = signed || ECDSA P-256 r || s over SHA-256(\"ward/1 sign fw manifest\" ||");
    ex_note(s, "0x00 || signed)");
    ex_sig(s, "manifest", out, len, false, len - WARD_P256_SIG_LEN, WARD_LABEL_FW_MANIFEST, pub,
           out, len - WARD_P256_SIG_LEN);
    ward_wipe(priv, sizeof priv);
    ward_keystore_soft_wipe(&soft);
}
