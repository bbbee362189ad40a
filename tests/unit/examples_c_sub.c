/* Worked examples of flow C's sub-devices: CHALLENGE, JOIN, HELLO, sealed packets (examples.h). */
#include "examples_c.h"

#include <string.h>

#include "ward/ward_gw_sub.h"
#include "ward/ward_port_sim.h"

/* The identity key ex_c_dev_init made. */
#define SUB_KEY WARD_KEY_DEVICE_IDENTITY

typedef struct es {
    ex_c_dev d;   /* the sub-device */
    ex_rng gr;
    ward_random grng;
    uint8_t join[WARD_GW_SUB_FRAME_MAX], jreply[WARD_GW_SUB_FRAME_MAX];
    uint8_t ask[WARD_GW_SUB_FRAME_MAX], chal[WARD_GW_SUB_FRAME_MAX];
    uint8_t hello[WARD_GW_SUB_FRAME_MAX], hreply[WARD_GW_SUB_FRAME_MAX];
    uint8_t up[WARD_GW_SUB_FRAME_MAX], down[WARD_GW_SUB_FRAME_MAX];
    uint8_t mem[4096];
    ward_sim_flash sf;
    ward_store_port port;
    ward_store st;
    ward_gw_sub_gw gw;
    ward_gw_sub_dev dev;
    ward_gw_sub_event ev;
} es;

void ex_gen_flow_c_sub(ex_set *s)
{
    static es x;
    size_t jlen = 0, rlen = 0, hlen = 0, hrlen = 0, ulen = 0, dlen = 0, n = 0;
    size_t alen_ask = 0, clen = 0;
    ward_wipe(&x, sizeof x);
    x.grng = ex_rng_init(&x.gr, s->cp, "sub gateway");

    static const uint8_t sub_id[WARD_GW_SUB_ID_LEN] = { 0x5b, 0x0d, 0x3e, 0x71, 0x02, 0x9a,
                                                        0x4c, 0x18, 0xa6, 0x2f, 0x90, 0x44,
                                                        0xd1, 0x7e, 0x0b, 0x63 };
    ex_c_dev_init(s, &x.d, "sub factory", "sub device", sub_id);
    const size_t alen = x.d.act_len;
    uint8_t localkey[WARD_GW_SUB_LOCALKEY_LEN];
    EX_OK(s, x.grng.fill(x.grng.ctx, localkey, sizeof localkey));

    ward_sim_flash_init(&x.sf, x.mem, sizeof x.mem, 256, &x.port);
    ward_sim_flash_format(&x.sf);
    EX_OK(s, ward_store_open(&x.st, &x.port));
    EX_OK(s, ward_gw_sub_gw_init(&x.gw, &x.st, x.d.factory_pub, localkey));
    EX_OK(s, ward_gw_sub_window_open(&x.gw, EX_T0, 60000, 3));

    EX_OK(s, ward_gw_sub_challenge_ask(sub_id, x.ask, sizeof x.ask, &alen_ask));
    EX_OK(s, ward_gw_sub_handle(&x.gw, s->cp, &x.grng, EX_T0, x.ask, alen_ask, x.chal,
                                sizeof x.chal, &clen, &x.ev));
    if (clen != WARD_GW_SUB_CHALLENGE_REPLY_LEN) {
        ex_fail(s, "the gateway gave no challenge (%zu bytes)", clen);
    }
    ex_rng_mark(&x.d.dr);
    EX_OK(s, ward_gw_sub_join_start(&x.dev, s->cp, &x.d.drng, &x.d.dev, SUB_KEY, sub_id, x.d.act,
                                    alen, x.chal, clen, x.join, sizeof x.join, &jlen));
    uint8_t join_nonce[WARD_GW_SUB_NONCE_LEN];
    if (x.d.dr.log_len < sizeof join_nonce) {
        ex_fail(s, "the sub-device drew %zu bytes for its JOIN", x.d.dr.log_len);
    }
    memcpy(join_nonce, x.d.dr.log, sizeof join_nonce);
    ex_rng_mark(&x.gr);
    EX_OK(s, ward_gw_sub_handle(&x.gw, s->cp, &x.grng, EX_T0 + 1, x.join, jlen, x.jreply,
                                sizeof x.jreply, &rlen, &x.ev));
    if (x.ev.kind != WARD_GW_SUB_EV_JOINED) {
        ex_fail(s, "the gateway did not take the example's JOIN (%d)", (int)x.ev.kind);
    }
    ward_gw_sub_cred cred;
    EX_OK(s, ward_gw_sub_join_finish(&x.dev, s->cp, &x.d.dev, SUB_KEY, x.jreply, rlen, &cred));

    ex_begin(s, "gw-sub-join",
             "### Flow C: a sub-device joins the gateway\n"
             "\n"
             "The owner opened the gateway's join window; the sub-device asks for the\n"
             "window's challenge, joins with its activated key and that challenge and\n"
             "gets its own key, derived from the gateway's localkey and sealed to it;\n"
             "then it opens a channel and sends one packet each way. The activation is\n"
             "flow A's ACTIVATION with sn = the sub_id in lowercase hex.");
    ex_hex(s, "factory_pub", x.d.factory_pub, sizeof x.d.factory_pub);
    ex_hex(s, "sub_pub", x.d.dev_pub, sizeof x.d.dev_pub);
    ex_hex(s, "sub_id", sub_id, sizeof sub_id);
    ex_sig(s, "activation", x.d.act, alen, true, alen - WARD_P256_SIG_LEN, WARD_LABEL_ACTIVATE,
           x.d.factory_pub, x.d.act, alen - WARD_TLV_SIZE(WARD_P256_SIG_LEN));
    ex_note(s, "CHALLENGE: 0x01 sub_id; its reply (flags REPLY): 0x01 sub_id, 0x02 the");
    ex_note(s, "window's challenge, which the gateway drew after the localkey");
    ex_msg(s, "challenge_ask", x.ask, alen_ask);
    ex_msg(s, "challenge_reply", x.chal, clen);
    ex_note(s, "drawn by the sub-device: the JOIN's nonce");
    ex_hex(s, "join_nonce", join_nonce, sizeof join_nonce);
    ex_note(s, "JOIN: 0x01 sub_id, 0x02 sub_pub, 0x03 nonce, 0x04 activation, 0x05 challenge,");
    ex_note(s, "0xFE ward_sign(\"gw sub join\") by the sub-device over every byte before it");
    ex_sig(s, "join_msg", x.join, jlen, true, jlen - WARD_P256_SIG_LEN, WARD_LABEL_GW_SUB_JOIN,
           x.d.dev_pub, x.join, jlen - WARD_TLV_SIZE(WARD_P256_SIG_LEN));

    /* The sub key as documented. */
    uint8_t ctx[WARD_GW_SUB_ID_LEN + WARD_P256_POINT_LEN + 4], key[WARD_GW_SUB_KEY_LEN];
    memcpy(ctx, sub_id, WARD_GW_SUB_ID_LEN);
    memcpy(ctx + WARD_GW_SUB_ID_LEN, x.d.dev_pub, WARD_P256_POINT_LEN);
    memset(ctx + WARD_GW_SUB_ID_LEN + WARD_P256_POINT_LEN, 0, 4);
    ctx[sizeof ctx - 1] = 1;
    ex_begin(s, "gw-sub-key", NULL);
    ex_note(s, "the gateway's localkey (from its credentials); generation 1");
    ex_hex(s, "localkey", localkey, sizeof localkey);
    ex_note(s, "sub key: context = sub_id || sub_pub || generation (4)");
    ex_kdf(s, "subkey", WARD_LABEL_GW_SUB_KEY, localkey, sizeof localkey, ctx, sizeof ctx, key,
           sizeof key);
    EX_SAME(s, cred.key, sizeof cred.key, key, sizeof key, "sub key");
    ex_note(s, "JOIN reply: 0x01 sub_id, 0x02 the JOIN's nonce, 0x03 generation, 0x04");
    ex_note(s, "ward_seal_to(sub_pub, ad = every byte before the field, sub key);");
    ex_note(s, "the gateway drew the seal's ephemeral scalar after the challenge");
    ex_msg(s, "join_reply", x.jreply, rlen);

    /* Channel. */
    ex_rng_mark(&x.d.dr);
    EX_OK(s, ward_gw_sub_hello(&x.dev, s->cp, &x.d.drng, x.hello, sizeof x.hello, &hlen));
    uint8_t nonce_s[WARD_GW_SUB_NONCE_LEN], nonce_g[WARD_GW_SUB_NONCE_LEN];
    memcpy(nonce_s, x.d.dr.log, sizeof nonce_s);
    ex_rng_mark(&x.gr);
    EX_OK(s, ward_gw_sub_handle(&x.gw, s->cp, &x.grng, EX_T0 + 2, x.hello, hlen, x.hreply,
                                sizeof x.hreply, &hrlen, &x.ev));
    memcpy(nonce_g, x.gr.log, sizeof nonce_g);
    EX_OK(s, ward_gw_sub_hello_finish(&x.dev, s->cp, x.hreply, hrlen));
    EX_OK(s, ward_gw_sub_dev_seal(&x.dev, s->cp, WARD_MSG_GW_SUB_DATA,
                                  (const uint8_t *)"21.5C", 5, x.up, sizeof x.up, &ulen));
    EX_OK(s, ward_gw_sub_handle(&x.gw, s->cp, &x.grng, EX_T0 + 3, x.up, ulen, x.down,
                                sizeof x.down, &n, &x.ev));
    /* The new channel's first packet: the gateway moves to it. */
    if (x.ev.kind != WARD_GW_SUB_EV_CHANNEL || x.ev.payload_len != 5) {
        ex_fail(s, "the gateway did not open the example's DATA");
    }
    EX_OK(s, ward_gw_sub_seal(&x.gw, s->cp, sub_id, WARD_MSG_GW_SUB_DATA, (const uint8_t *)"ok",
                              2, x.down, sizeof x.down, &dlen));

    uint8_t cctx[WARD_GW_SUB_ID_LEN + 4 + 2 * WARD_GW_SUB_NONCE_LEN], keys[32];
    memcpy(cctx, sub_id, WARD_GW_SUB_ID_LEN);
    memset(cctx + WARD_GW_SUB_ID_LEN, 0, 4);
    cctx[WARD_GW_SUB_ID_LEN + 3] = 1;
    memcpy(cctx + WARD_GW_SUB_ID_LEN + 4, nonce_s, sizeof nonce_s);
    memcpy(cctx + WARD_GW_SUB_ID_LEN + 4 + sizeof nonce_s, nonce_g, sizeof nonce_g);
    ex_begin(s, "gw-sub-channel", NULL);
    ex_note(s, "drawn by the sub-device: nonce_s; HELLO: 0x01 sub_id, 0x02 generation,");
    ex_note(s, "0x03 nonce_s");
    ex_hex(s, "nonce_s", nonce_s, sizeof nonce_s);
    ex_msg(s, "hello", x.hello, hlen);
    ex_note(s, "drawn by the gateway: nonce_g");
    ex_hex(s, "nonce_g", nonce_g, sizeof nonce_g);
    ex_note(s, "context = sub_id || generation (4) || nonce_s || nonce_g;");
    ex_note(s, "okm = k_up || k_down");
    ex_kdf(s, "channel", WARD_LABEL_GW_SUB_CHANNEL, key, sizeof key, cctx, sizeof cctx, keys,
           sizeof keys);
    {
        uint8_t nonce[WARD_AEAD_NONCE_LEN], pt[8], tag[WARD_AEAD_TAG_LEN];
        size_t ad = WARD_GW_SUB_HELLO_REPLY_LEN - WARD_TLV_SIZE(WARD_AEAD_TAG_LEN);
        ex_c_nonce(0x02, 0, nonce);
        EX_OK(s, ward_aead_seal(s->cp, keys + 16, nonce, x.hreply, ad, NULL, 0, tag, sizeof tag,
                                &n));
        EX_SAME(s, tag, sizeof tag, x.hreply + ad + 2, WARD_AEAD_TAG_LEN,
                "HELLO reply's confirm under k_down, seq 0");
        ad = WARD_HDR_BASE_LEN + WARD_TLV_SIZE(WARD_GW_SUB_ID_LEN);
        ex_c_nonce(0x01, 1, nonce);
        EX_OK(s, ward_aead_open(s->cp, keys, nonce, x.up, ad, x.up + ad + 2, ulen - ad - 2, pt,
                                sizeof pt, &n));
        EX_SAME(s, pt, n, "21.5C", 5, "DATA up under k_up, nonce 01 || 0^8 || seq");
        ex_c_nonce(0x02, 1, nonce);
        EX_OK(s, ward_aead_open(s->cp, keys + 16, nonce, x.down, ad, x.down + ad + 2,
                                dlen - ad - 2, pt, sizeof pt, &n));
        EX_SAME(s, pt, n, "ok", 2, "DATA down under k_down");
    }
    ex_note(s, "HELLO reply: 0x01 sub_id, 0x02 nonce_g, 0x03 confirm = the tag of");
    ex_note(s, "AES-128-CCM(k_down, 02 || 8 zero bytes || seq 0, ad = every byte before");
    ex_note(s, "the field, empty plaintext)");
    ex_msg(s, "hello_reply", x.hreply, hrlen);
    ex_note(s, "DATA: flags SEALED, seq from 1; 0x01 sub_id, 0x02 AES-128-CCM(key of the");
    ex_note(s, "direction, dir || 8 zero bytes || seq (4), ad = header || the sub_id field)");
    ex_text(s, "up_payload", (const uint8_t *)"21.5C", 5);
    ex_msg(s, "data_up", x.up, ulen);
    ex_text(s, "down_payload", (const uint8_t *)"ok", 2);
    ex_msg(s, "data_down", x.down, dlen);
    ward_wipe(key, sizeof key);
    ward_wipe(keys, sizeof keys);
    ward_wipe(localkey, sizeof localkey);
    ward_gw_sub_dev_wipe(&x.dev);
    ward_gw_sub_gw_wipe(&x.gw);
    ex_c_dev_wipe(&x.d);
}
