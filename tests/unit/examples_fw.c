/* Worked example of a firmware manifest: a release key signs release 1.4.2 of a lock class (examples.h). */
#include "examples.h"

#include <string.h>

#include "ward/ward_cert.h"
#include "ward/ward_fw.h"

void ex_gen_fw(ex_set *s)
{
    static ex_rng rr;
    static ward_keystore_soft soft;
    ward_random rrng = ex_rng_init(&rr, s->cp, "fw release");
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
    m.class_len = 9;
    memcpy(m.dev_class, "lock-k100", 9);
    m.version_len = 5;
    memcpy(m.version, "1.4.2", 5);
    m.counter = 7;
    m.min_counter = 3;
    m.size = sizeof image;
    ward_iov part = { image, sizeof image };
    EX_OK(s, s->cp->sha256(&part, 1, m.digest));
    EX_OK(s, ward_fw_manifest_sign_by(s->cp, &ks, WARD_KEY_RELEASE, &m, out, sizeof out, &len));
    ward_fw_manifest back;
    EX_OK(s, ward_fw_manifest_verify(s->cp, pub, out, len, &back));

    ex_begin(s, "fw-manifest",
             "### Firmware manifest\n"
             "\n"
             "A release key signs the manifest of release \"1.4.2\" of class\n"
             "\"lock-k100\": security counter 7, installable over counter 3 or above,\n"
             "a 64-byte image (the bytes 0x00..0x3f).");
    ex_hex(s, "release_priv", priv, sizeof priv);
    ex_hex(s, "release_pub", pub, sizeof pub);
    ex_note(s, "key id = the first 8 bytes of SHA-256(compressed release_pub)");
    ex_hex(s, "key_id", kid, sizeof kid);
    ex_hex(s, "image", image, sizeof image);
    ex_hex(s, "image_sha256", m.digest, sizeof m.digest);
    ex_note(s, "manifest: 0x01, 0x09 \"lock-k100\", 0x05 \"1.4.2\", counter 7, minimum 3,");
    ex_note(s, "size 64 (4 bytes each, big-endian), SHA-256 of the image, key id, then");
    ex_note(s, "ECDSA P-256 r || s over SHA-256(\"ward/1 sign fw manifest\" || 0x00 || the rest)");
    ex_sig(s, "manifest", out, len, false, len - WARD_P256_SIG_LEN, WARD_LABEL_FW_MANIFEST, pub,
           out, len - WARD_P256_SIG_LEN);
    ward_wipe(priv, sizeof priv);
    ward_keystore_soft_wipe(&soft);
}
