/* Worked example of secure time: a time server's answer to a device's nonce (examples.h). */
#include "examples.h"

#include <string.h>

#include "ward/ward_time.h"

void ex_gen_time(ex_set *s)
{
    static ex_rng sr, dr;
    static ward_keystore_soft soft;
    ward_random srng = ex_rng_init(&sr, s->cp, "time server");
    ward_random drng = ex_rng_init(&dr, s->cp, "time device");
    ward_keystore ks;
    uint8_t priv[WARD_P256_SCALAR_LEN], pub[WARD_P256_POINT_LEN], id[WARD_TIME_KEY_ID_LEN];
    uint8_t nonce[WARD_TIME_NONCE_LEN], ans[WARD_TIME_ANSWER_LEN];
    size_t len = 0;

    ward_keystore_soft_init(&soft, s->cp, &srng, &ks);
    EX_OK(s, ks.generate(ks.ctx, WARD_KEY_TIME, pub));
    EX_OK(s, ward_keystore_soft_export(&soft, WARD_KEY_TIME, priv));
    EX_OK(s, ward_time_key_id(s->cp, pub, id));

    ward_time t;
    uint8_t keys[1][WARD_P256_POINT_LEN];
    memcpy(keys[0], pub, sizeof pub);
    EX_OK(s, ward_time_init(&t, s->cp, NULL, (const uint8_t(*)[WARD_P256_POINT_LEN])keys, 1, 1,
                            EX_T0 - 86400000ull));
    EX_OK(s, ward_time_begin(&t, &drng, 5000, nonce));
    EX_OK(s, ward_time_answer_make(s->cp, &ks, WARD_KEY_TIME, EX_T0, 1000, nonce, ans, sizeof ans,
                                   &len));
    EX_OK(s, ward_time_add(&t, ans, len, 5040));
    EX_OK(s, ward_time_finish(&t, NULL, 5040));
    ward_time_interval iv;
    EX_OK(s, ward_time_now(&t, 5040, &iv));
    /* The documented interval: [T - R, T + R + round trip], the floor its
     * low end; now() adds the 1 ms of drift allowance on each side. */
    if (ward_time_floor(&t) != EX_T0 - 1000 || iv.lo != EX_T0 - 1000 ||
        iv.hi != EX_T0 + 1000 + 40 + 1) {
        ex_fail(s, "the documented interval differs from the code's");
    }
    uint8_t body[WARD_TIME_BODY_LEN];
    body[0] = WARD_TIME_VERSION;
    memcpy(body + 1, id, sizeof id);
    for (int i = 0; i < 8; i++) {
        body[9 + i] = (uint8_t)(EX_T0 >> (56 - 8 * i));
    }
    body[17] = 0;
    body[18] = 0;
    body[19] = 0x03;
    body[20] = 0xe8;
    memcpy(body + 21, nonce, sizeof nonce);
    EX_SAME(s, body, sizeof body, ans, sizeof body, "time answer body");

    ex_begin(s, "time",
             "### Secure time\n"
             "\n"
             "A time server's answer (`GET /v1/time?nonce=N`): the device drew the\n"
             "nonce N; the server signs version ‖ key id ‖ time ‖ radius ‖ N with its\n"
             "time key (label \"time\"). The server read its clock at 1700000000000 ms\n"
             "and claims it within 1000 ms; the device sent N at its local count 5000\n"
             "and got the answer at 5040, so it believes the true time at count 5040\n"
             "lies in [T - R, T + R + 40] = [1699999999000, 1700000001040], and its\n"
             "floor becomes 1699999999000.");
    ex_hex(s, "server_priv", priv, sizeof priv);
    ex_hex(s, "server_pub", pub, sizeof pub);
    ex_note(s, "key id = the first 8 bytes of SHA-256(server_pub)");
    ex_hex(s, "key_id", id, sizeof id);
    ex_note(s, "drawn by the device");
    ex_hex(s, "nonce", nonce, sizeof nonce);
    ex_note(s, "body: 0x01, key id, time ms (8 bytes), radius ms (4 bytes), nonce");
    ex_hex(s, "body", ans, WARD_TIME_BODY_LEN);
    ex_note(s, "answer = body || ECDSA P-256 r || s over SHA-256(\"ward/1 sign time\" || 0x00 ||");
    ex_note(s, "body); wardd sends it as {\"answer\": base64}");
    ex_sig(s, "answer", ans, len, false, WARD_TIME_BODY_LEN, WARD_LABEL_TIME, pub, ans,
           WARD_TIME_BODY_LEN);
    ward_wipe(priv, sizeof priv);
    ward_keystore_soft_wipe(&soft);
}
