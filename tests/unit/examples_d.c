/* Worked examples of flow D: the real device and app ends (both in the core) talk (examples.h). */
#include "examples.h"

#include <string.h>

#include "ward/ward_httpsig.h"
#include "ward/ward_dev_app.h"
#include "ward/ward_port_sim.h"
#include "ward_test.h"
#include "proto/dev_keys.h"

#define ERASE 256
#define BANK ((WARD_DEV_STORE_BANK_MIN + ERASE - 1) / ERASE * ERASE)
#define MSG_MAX WARD_DEV_MSG_MAX

static const char DEV_ID[] = "LAMP-0001";
static const char DEV_NAME[] = "Desk lamp";
static const char DEV_TYPE[] = "lamp";
static const char UDIDX[] = "phone-0001";
static const char APP_NAME[] = "ward app";
static const uint8_t NEAR_TID[] = { 192, 168, 1, 20, 0x9C, 0x40 };   /* 192.168.1.20:40000 */
static const uint8_t PAKE_CONTEXT[] = "ward/1 flow D pair";

typedef struct dd {
    uint8_t mem[2 * BANK];
    ward_sim_flash sf;
    ward_store_port port;
    ward_clock clock;
    ex_rng dev_rr, app_rr;
    ward_random dev_rng, app_rng;
    ward_device dev;
    ward_pair pair;
    ward_pair_device d;
    ward_pair_channel ch;
    uint8_t cid[8];
    uint8_t ids_ctx[3 + WARD_DEV_ID_MAX + WARD_DEV_UDIDX_MAX + WARD_CLIENT_ID_MAX +
                    WARD_DEV_SALT_LEN];
    size_t ids_ctx_len;
    uint8_t salt[WARD_DEV_SALT_LEN];
    char pin[WARD_DEV_PIN_LEN + 1];
    uint8_t na[WARD_DEV_OPEN_NONCE_LEN], nd[WARD_DEV_OPEN_NONCE_LEN];
    uint8_t k_ad[WARD_AEAD_KEY_LEN], k_da[WARD_AEAD_KEY_LEN];
} dd;

/* The device handles m (near-field, from NEAR_TID); its answer in out. */
static size_t to_dev(ex_set *s, dd *x, const uint8_t *m, size_t n, uint8_t *out,
                     ward_dev_event *ev, ward_err want)
{
    size_t on = 0;
    ward_err err = ward_dev_handle(&x->dev, WARD_DEV_NEAR, NEAR_TID, sizeof NEAR_TID, m, n, out,
                                   MSG_MAX, &on, ev);
    if (err != want) {
        ex_fail(s, "the device answered %s, not %s", ward_strerror(err), ward_strerror(want));
    }
    return on;
}

static size_t hdr_len(ex_set *s, const uint8_t *m, size_t n)
{
    ward_hdr h;
    size_t hl = 0;
    EX_OK(s, ward_hdr_decode(m, n, &h, &hl));
    return hl;
}

static void device_up(ex_set *s, dd *x)
{
    ward_wipe(x, sizeof *x);
    memset(x->mem, 0xFF, sizeof x->mem);
    ward_sim_flash_init(&x->sf, x->mem, sizeof x->mem, ERASE, &x->port);
    x->clock = ex_clock();
    x->dev_rng = ex_rng_init(&x->dev_rr, s->cp, "device");
    x->app_rng = ex_rng_init(&x->app_rr, s->cp, "app d");
    EX_OK(s, ward_dev_open(&x->dev, s->cp, &x->dev_rng, &x->clock, &x->port));
    EX_OK(s, ward_dev_provision(&x->dev, (const uint8_t *)DEV_ID, strlen(DEV_ID),
                                (const uint8_t *)DEV_NAME, strlen(DEV_NAME),
                                (const uint8_t *)DEV_TYPE, strlen(DEV_TYPE)));
    /* The CLI's CliID: 8 random bytes, made once per app directory. */
    EX_OK(s, x->app_rng.fill(x->app_rng.ctx, x->cid, sizeof x->cid));
    /* The local action (a button) opens a pairing window: its PIN is
     * drawn now, before the PIN_REQUEST. */
    char pin[WARD_DEV_PIN_LEN + 1];
    EX_OK(s, ward_dev_open_window(&x->dev, pin));
    ward_wipe(pin, sizeof pin);
}

static void pin_request(ex_set *s, dd *x)
{
    uint8_t m[MSG_MAX], ans[MSG_MAX];
    size_t n = 0, an = 0;
    ward_dev_event ev;
    ward_dev_info info;
    uint8_t token[WARD_DEV_END_TOKEN_LEN], commit[WARD_DEV_END_TOKEN_LEN];
    ex_rng_mark(&x->app_rr);
    EX_OK(s, ward_pair_start(&x->pair, s->cp, &x->app_rng, (const uint8_t *)UDIDX,
                             strlen(UDIDX), x->cid, sizeof x->cid, (const uint8_t *)APP_NAME,
                             strlen(APP_NAME), m, sizeof m, &n));
    memcpy(token, x->app_rr.log, sizeof token);
    ex_rng_mark(&x->dev_rr);
    an = to_dev(s, x, m, n, ans, &ev, WARD_OK);
    if (ev.type != WARD_DEV_EV_SHOW_PIN) {
        ex_fail(s, "no PIN shown");
    }
    memcpy(x->pin, ev.pin, sizeof x->pin);
    memcpy(x->salt, x->dev_rr.log, sizeof x->salt);
    EX_OK(s, ward_pair_on_pin(&x->pair, ans, an, &info));
    ex_begin(s, "dev-pin-request",
             "### Flow D: several apps, one device\n"
             "\n"
             "The app (CliID `client_id`, UDIDx \"phone-0001\", name \"ward app\") asks\n"
             "device \"LAMP-0001\" (\"Desk lamp\", \"lamp\") for a PIN, near-field.\n"
             "PIN_REQUEST: flags 0, key index 0, seq 0, the CliID in the header. The\n"
             "answer: flags REPLY, key index 0, seq 0, the CliID echoed; 0x01 device\n"
             "id, 0x02 name, 0x03 type, 0x04 salt. The device draws the salt; the PIN\n"
             "is the pairing window's, drawn when a local action opened it (bytes\n"
             "below 250, each mod 10). The app draws its PAKE_END token and sends\n"
             "its commitment as field 0x03.");
    ex_str(s, "udidx", UDIDX);
    ex_hex(s, "client_id", x->cid, sizeof x->cid);
    ex_str(s, "app_name", APP_NAME);
    ex_note(s, "drawn by the app");
    ex_hex(s, "end_token", token, sizeof token);
    ex_kdf(s, "end_kdf", WARD_LABEL_DEV_END, token, sizeof token, NULL, 0, commit,
           sizeof commit);
    ex_msg(s, "msg", m, n);
    ex_note(s, "drawn by the device");
    ex_hex(s, "salt", x->salt, sizeof x->salt);
    ex_str(s, "pin", x->pin);
    ex_msg(s, "answer", ans, an);
}

/* The ids context: len || device id || len || UDIDx || len || CliID ||
 * salt, each len one byte. */
static void ids_context(dd *x)
{
    size_t n = 0;
    x->ids_ctx[n++] = (uint8_t)strlen(DEV_ID);
    memcpy(x->ids_ctx + n, DEV_ID, strlen(DEV_ID));
    n += strlen(DEV_ID);
    x->ids_ctx[n++] = (uint8_t)strlen(UDIDX);
    memcpy(x->ids_ctx + n, UDIDX, strlen(UDIDX));
    n += strlen(UDIDX);
    x->ids_ctx[n++] = (uint8_t)sizeof x->cid;
    memcpy(x->ids_ctx + n, x->cid, sizeof x->cid);
    n += sizeof x->cid;
    memcpy(x->ids_ctx + n, x->salt, sizeof x->salt);
    x->ids_ctx_len = n + sizeof x->salt;
}

static void pake(ex_set *s, dd *x)
{
    uint8_t init[MSG_MAX], ans[MSG_MAX], fin[MSG_MAX], ack[MSG_MAX];
    size_t in = 0, an = 0, fn = 0, kn = 0;
    uint8_t xs[WARD_P256_SCALAR_LEN], ys[WARD_P256_SCALAR_LEN];
    uint8_t ws[2 * WARD_SPAKE2P_WS_LEN], w0[WARD_P256_SCALAR_LEN], w1[WARD_P256_SCALAR_LEN];
    uint8_t w0b[WARD_P256_SCALAR_LEN], w1b[WARD_P256_SCALAR_LEN], l[WARD_P256_POINT_LEN];
    uint8_t share_p[WARD_P256_POINT_LEN], share_v[WARD_P256_POINT_LEN];
    uint8_t comp[WARD_P256_COMPRESSED_LEN], confirm_v[32], confirm_p[32];
    uint8_t k_shared[32], k_dev[32], data_key[WARD_DEV_DATA_KEY_LEN];
    uint8_t akey[WARD_AEAD_KEY_LEN], ad[128], pt[64], ct[80];
    size_t ad_len = 0, pt_len = 0, cn = 0;
    ward_dev_event ev;

    ex_rng_mark(&x->app_rr);
    EX_OK(s, ward_pair_pake_init(&x->pair, (const uint8_t *)x->pin, WARD_DEV_PIN_LEN, init,
                                 sizeof init, &in));
    memcpy(xs, x->app_rr.log, sizeof xs);
    ex_rng_mark(&x->dev_rr);
    an = to_dev(s, x, init, in, ans, &ev, WARD_OK);
    memcpy(ys, x->dev_rr.log, sizeof ys);
    EX_OK(s, ward_pair_on_pake_init(&x->pair, ans, an, fin, sizeof fin, &fn));
    kn = to_dev(s, x, fin, fn, ack, &ev, WARD_OK);
    if (ev.type != WARD_DEV_EV_BOUND) {
        ex_fail(s, "the device did not bind");
    }
    EX_OK(s, ward_pair_on_pake_finish(&x->pair, ack, kn, &x->d));

    /* The documented derivations and SPAKE2+ run again by hand. */
    ids_context(x);
    EX_OK(s, ward_dev_pin_w(s->cp, (const uint8_t *)x->pin, WARD_DEV_PIN_LEN,
                            (const uint8_t *)DEV_ID, strlen(DEV_ID), (const uint8_t *)UDIDX,
                            strlen(UDIDX), x->cid, sizeof x->cid, x->salt, w0b, w1b));
    ex_begin(s, "dev-pake",
             "The binding: w0 and w1 from the PIN (its six ASCII digits are the ikm),\n"
             "SPAKE2+ (RFC 9383, P256-SHA256-HKDF-HMAC), the data key, the sealed\n"
             "PAKE_INIT answer. PAKE_INIT: flags 0, key index 0, seq 0, the CliID;\n"
             "its answer and PAKE_FINISH carry no CliID and name the binding by the\n"
             "key index the device reserved; every seq is 0.");
    ex_str(s, "pin", x->pin);
    ex_note(s, "ids = len || device id || len || UDIDx || len || CliID || salt (each len 1 byte)");
    ex_note(s, "w0s || w1s = ward_kdf(\"dev pin\", ikm = PIN, context = ids), 80 bytes");
    ex_kdf(s, "pin_kdf", WARD_LABEL_DEV_PIN, (const uint8_t *)x->pin, WARD_DEV_PIN_LEN,
           x->ids_ctx, x->ids_ctx_len, ws, sizeof ws);
    EX_OK(s, ward_spake2p_w(s->cp, ws, ws + WARD_SPAKE2P_WS_LEN, w0, w1));
    EX_SAME(s, w0, sizeof w0, w0b, sizeof w0b, "w0");
    EX_SAME(s, w1, sizeof w1, w1b, sizeof w1b, "w1");
    ex_note(s, "w0 = w0s mod n, w1 = w1s mod n (each 40 bytes, big-endian); L = w1*G");
    ex_hex(s, "w0", w0, sizeof w0);
    ex_hex(s, "w1", w1, sizeof w1);
    EX_OK(s, ward_spake2p_register(s->cp, w1, l));
    ex_hex(s, "L", l, sizeof l);
    ex_text(s, "pake.context", PAKE_CONTEXT, sizeof PAKE_CONTEXT - 1);
    ex_note(s, "idProver = the CliID (empty for an older app), idVerifier = the device id");
    ex_hex(s, "pake.id_prover", x->cid, sizeof x->cid);
    ex_str(s, "pake.id_verifier", DEV_ID);

    ward_spake2p sp, sv;
    ward_test_fixed fx, fy;
    ward_random rx = ward_test_rng_fixed(&fx, xs, sizeof xs);
    ward_random ry = ward_test_rng_fixed(&fy, ys, sizeof ys);
    memset(&sp, 0, sizeof sp);
    memset(&sv, 0, sizeof sv);
    EX_OK(s, ward_spake2p_prover_start(&sp, s->cp, &rx, PAKE_CONTEXT, sizeof PAKE_CONTEXT - 1,
                                       x->cid, sizeof x->cid, (const uint8_t *)DEV_ID,
                                       strlen(DEV_ID), w0, w1, share_p));
    EX_OK(s, ward_spake2p_verifier_respond(&sv, s->cp, &ry, PAKE_CONTEXT,
                                           sizeof PAKE_CONTEXT - 1, x->cid, sizeof x->cid,
                                           (const uint8_t *)DEV_ID, strlen(DEV_ID), w0, l,
                                           share_p, share_v, confirm_v));
    EX_OK(s, ward_spake2p_prover_finish(&sp, s->cp, share_v, confirm_v, confirm_p, k_shared));
    EX_OK(s, ward_spake2p_verifier_finish(&sv, s->cp, confirm_p, k_dev));
    EX_SAME(s, k_shared, sizeof k_shared, k_dev, sizeof k_dev, "K_shared");
    size_t ih = hdr_len(s, init, in);
    ward_p256_compress(share_p, comp);
    EX_SAME(s, comp, sizeof comp, init + ih, in - ih, "PAKE_INIT body = compressed shareP");
    ex_note(s, "x: drawn by the app");
    ex_hex(s, "x", xs, sizeof xs);
    ex_hex(s, "shareP", share_p, sizeof share_p);
    ex_note(s, "PAKE_INIT: header with the CliID, body = shareP compressed (0x02/0x03 || X)");
    ex_msg(s, "pake_init", init, in);
    ex_note(s, "y: drawn by the device");
    ex_hex(s, "y", ys, sizeof ys);
    ex_hex(s, "shareV", share_v, sizeof share_v);
    ex_hex(s, "confirmV", confirm_v, sizeof confirm_v);
    ex_hex(s, "confirmP", confirm_p, sizeof confirm_p);
    ex_hex(s, "K_shared", k_shared, sizeof k_shared);
    ex_note(s, "data key = ward_kdf(\"dev data\", ikm = K_shared, context = ids, salt included)");
    ex_kdf(s, "data_kdf", WARD_LABEL_DEV_DATA, k_shared, sizeof k_shared, x->ids_ctx,
           x->ids_ctx_len, data_key, sizeof data_key);
    EX_SAME(s, data_key, sizeof data_key, x->d.data_key, sizeof x->d.data_key, "data key");

    size_t ah = hdr_len(s, ans, an);
    size_t fixed = ah + WARD_P256_COMPRESSED_LEN + WARD_SPAKE2P_CONFIRM_LEN;
    ward_p256_compress(share_v, comp);
    EX_SAME(s, comp, sizeof comp, ans + ah, sizeof comp, "answer's shareV");
    EX_SAME(s, confirm_v, sizeof confirm_v, ans + ah + sizeof comp, sizeof confirm_v,
            "answer's confirmV");
    ex_note(s, "answer key = ward_kdf(\"dev open\", ikm = data key, context \"pake answer\")");
    static const uint8_t pake_answer[] = "pake answer";
    ex_kdf(s, "answer_kdf", WARD_LABEL_DEV_OPEN, data_key, sizeof data_key, pake_answer,
           sizeof pake_answer - 1, akey, sizeof akey);
    static const uint8_t zero_nonce[WARD_AEAD_NONCE_LEN] = { 0 };
    ex_hex(s, "answer_nonce", zero_nonce, sizeof zero_nonce);
    memcpy(ad, ans, fixed);
    ad[fixed] = (uint8_t)strlen(APP_NAME);
    memcpy(ad + fixed + 1, APP_NAME, strlen(APP_NAME));
    ad_len = fixed + 1 + strlen(APP_NAME);
    ex_note(s, "ad = header (key index, no CliID) || shareV (33) || confirmV || len (1) ||");
    ex_note(s, "the app name as the device heard it in PIN_REQUEST");
    ex_hex(s, "answer_ad", ad, ad_len);
    pt[pt_len++] = 0x01;
    pt[pt_len++] = (uint8_t)strlen(DEV_NAME);
    memcpy(pt + pt_len, DEV_NAME, strlen(DEV_NAME));
    pt_len += strlen(DEV_NAME);
    pt[pt_len++] = 0x02;
    pt[pt_len++] = (uint8_t)strlen(DEV_TYPE);
    memcpy(pt + pt_len, DEV_TYPE, strlen(DEV_TYPE));
    pt_len += strlen(DEV_TYPE);
    ex_hex(s, "answer_pt", pt, pt_len);
    EX_OK(s, ward_aead_seal(s->cp, akey, zero_nonce, ad, ad_len, pt, pt_len, ct, sizeof ct,
                            &cn));
    EX_SAME(s, ct, cn, ans + fixed, an - fixed, "PAKE_INIT answer's ciphertext");
    ex_note(s, "answer: flags REPLY|SEALED, key index, seq 0, no CliID; shareV, confirmV, sealed");
    ex_msg(s, "pake_answer", ans, an);
    ex_note(s, "PAKE_FINISH: flags 0, the answer's key index, seq 0, no CliID; body = confirmP");
    ex_msg(s, "pake_finish", fin, fn);
    ex_note(s, "the device's empty acknowledgement: flags REPLY, key index, no CliID");
    ex_msg(s, "finish_ack", ack, kn);
    ward_spake2p_wipe(&sp);
    ward_spake2p_wipe(&sv);
}

/* The sealed-under-the-data-key layout: ... 0x0E nonce (13) 0x0F ct:
 * checks ward_aead_seal(key, nonce, every byte before ct, pt). */
static void check_open_seal(ex_set *s, const uint8_t *key, const uint8_t *m, size_t n,
                            const uint8_t *pt, size_t pt_len, const char *what)
{
    uint8_t ct[128];
    size_t cn = 0, ct_len = pt_len + WARD_AEAD_TAG_LEN;
    if (ct_len >= 255 || n < ct_len + 2 + WARD_AEAD_NONCE_LEN + 2) {
        ex_fail(s, "%s: too short", what);
    }
    const uint8_t *nonce = m + n - ct_len - 2 - WARD_AEAD_NONCE_LEN;
    if (nonce[-2] != 0x0E || nonce[-1] != WARD_AEAD_NONCE_LEN || m[n - ct_len - 2] != 0x0F) {
        ex_fail(s, "%s: not nonce then ciphertext", what);
    }
    EX_OK(s, ward_aead_seal(s->cp, key, nonce, m, n - ct_len, pt, pt_len, ct, sizeof ct, &cn));
    EX_SAME(s, ct, cn, m + n - ct_len, ct_len, what);
}

static size_t put(uint8_t *p, uint8_t tag, const void *v, size_t len)
{
    p[0] = tag;
    p[1] = (uint8_t)len;
    memcpy(p + 2, v, len);
    return 2 + len;
}

static void channel_open(ex_set *s, dd *x)
{
    uint8_t m[MSG_MAX], ans[MSG_MAX], okey[WARD_AEAD_KEY_LEN], pt[128], keys[32];
    uint8_t ctx[1 + 4 + 2 * WARD_DEV_OPEN_NONCE_LEN];
    static const uint8_t chan[4] = { 0, 0, 0, 1 };
    static const uint8_t zero4[4] = { 0 };
    size_t n = 0, an = 0, pl = 0;
    ward_dev_event ev;
    ex_rng_mark(&x->app_rr);
    EX_OK(s, ward_pair_channel_open(&x->d, s->cp, &x->app_rng, 1, &x->ch, m, sizeof m, &n));
    memcpy(x->na, x->app_rr.log, sizeof x->na);
    ex_rng_mark(&x->dev_rr);
    an = to_dev(s, x, m, n, ans, &ev, WARD_OK);
    memcpy(x->nd, x->dev_rr.log, sizeof x->nd);
    EX_OK(s, ward_pair_on_channel_open(&x->d, s->cp, &x->ch, ans, an));
    ex_begin(s, "dev-channel-open",
             "Channel 1 (the CLI's): CHANNEL_OPEN and its answer are sealed under the\n"
             "data key (flags SEALED, resp. REPLY|SEALED; the node's key index; seq\n"
             "0; the CliID). Body: 0x0E nonce (13, random), 0x0F ciphertext; AD =\n"
             "every byte before the ciphertext's value.");
    ex_note(s, "key = ward_kdf(\"dev open\", ikm = data key), empty context");
    ex_kdf(s, "open_kdf", WARD_LABEL_DEV_OPEN, x->d.data_key, sizeof x->d.data_key, NULL, 0,
           okey, sizeof okey);
    ex_note(s, "drawn by the app: Na, then the nonce");
    ex_hex(s, "Na", x->na, sizeof x->na);
    pl = put(pt, 0x01, chan, 4);
    pl += put(pt + pl, 0x02, x->na, sizeof x->na);
    ex_hex(s, "open_pt", pt, pl);
    check_open_seal(s, okey, m, n, pt, pl, "CHANNEL_OPEN ciphertext");
    ex_msg(s, "channel_open", m, n);
    ex_note(s, "drawn by the device: Nd, then the answer's nonce; its counters are both 0");
    ex_hex(s, "Nd", x->nd, sizeof x->nd);
    pl = put(pt, 0x01, chan, 4);
    pl += put(pt + pl, 0x02, x->na, sizeof x->na);
    pl += put(pt + pl, 0x03, x->nd, sizeof x->nd);
    pl += put(pt + pl, 0x04, zero4, 4);
    pl += put(pt + pl, 0x05, zero4, 4);
    pl += put(pt + pl, 0x06, x->na, sizeof x->na);
    ex_hex(s, "answer_pt", pt, pl);
    check_open_seal(s, okey, ans, an, pt, pl, "CHANNEL_OPEN answer's ciphertext");
    ex_msg(s, "answer", ans, an);
    ctx[0] = x->d.key_index;
    memcpy(ctx + 1, chan, 4);
    memcpy(ctx + 5, x->na, sizeof x->na);
    memcpy(ctx + 5 + sizeof x->na, x->nd, sizeof x->nd);
    ex_note(s, "keys = ward_kdf(\"dev channel\", ikm = data key, context = key index (1) ||");
    ex_note(s, "channel id (4) || Na || Nd) = app->device key || device->app key");
    ex_kdf(s, "chan_kdf", WARD_LABEL_DEV_CHANNEL, x->d.data_key, sizeof x->d.data_key, ctx,
           sizeof ctx, keys, sizeof keys);
    memcpy(x->k_ad, keys, 16);
    memcpy(x->k_da, keys + 16, 16);
    ex_hex(s, "key_app_to_device", x->k_ad, 16);
    ex_hex(s, "key_device_to_app", x->k_da, 16);
}

/* Checks a channel message: nonce 0^5 || channel || seq, AD every byte
 * before the ciphertext, under key. */
static void check_chan_bytes(ex_set *s, const uint8_t *key, const uint8_t *m, size_t n,
                             const uint8_t *pt, size_t pl, uint32_t seq, uint8_t *nonce,
                             const char *what)
{
    uint8_t ct[128];
    size_t cn = 0, ct_len = pl + WARD_AEAD_TAG_LEN;
    memset(nonce, 0, WARD_AEAD_NONCE_LEN);
    nonce[8] = 1;
    nonce[9] = (uint8_t)(seq >> 24);
    nonce[10] = (uint8_t)(seq >> 16);
    nonce[11] = (uint8_t)(seq >> 8);
    nonce[12] = (uint8_t)seq;
    EX_OK(s, ward_aead_seal(s->cp, key, nonce, m, n - ct_len, pt, pl, ct, sizeof ct, &cn));
    EX_SAME(s, ct, cn, m + n - ct_len, ct_len, what);
}

static void check_chan(ex_set *s, const uint8_t *key, const uint8_t *m, size_t n,
                       const char *pt, uint32_t seq, uint8_t *nonce, const char *what)
{
    check_chan_bytes(s, key, m, n, (const uint8_t *)pt, strlen(pt), seq, nonce, what);
}

static void command(ex_set *s, dd *x)
{
    static const char CMD[] = "status", RES[] = "power=off";
    uint8_t m[MSG_MAX], ans[MSG_MAX], data[WARD_DEV_DATA_MAX], nonce[WARD_AEAD_NONCE_LEN];
    size_t n = 0, an = 0, dn = 0;
    bool is_reply = false;
    ward_dev_event ev;
    EX_OK(s, ward_pair_command(&x->d, s->cp, &x->ch, (const uint8_t *)CMD, strlen(CMD), m,
                               sizeof m, &n));
    (void)to_dev(s, x, m, n, ans, &ev, WARD_OK);
    if (ev.type != WARD_DEV_EV_COMMAND || ev.data_len != strlen(CMD)) {
        ex_fail(s, "the device did not take the command");
    }
    EX_OK(s, ward_dev_reply(&x->dev, ev.key_index, ev.channel_id, (const uint8_t *)RES,
                            strlen(RES), ans, sizeof ans, &an));
    EX_OK(s, ward_pair_on_reply(&x->d, s->cp, &x->ch, ans, an, data, sizeof data, &dn,
                                &is_reply));
    EX_SAME(s, data, dn, RES, strlen(RES), "the reply");
    ex_begin(s, "dev-command",
             "A COMMAND in channel 1 (flags SEALED, key index, seq = 1, the app's\n"
             "first; the CliID) and the device's REPLY (flags REPLY|SEALED, seq 1,\n"
             "its own counter; the CliID). Body: 0x01 channel id (4), 0x0F ciphertext.\n"
             "The plaintext is the CLI's command text, ASCII, no terminator.");
    ex_str(s, "command", CMD);
    ex_note(s, "nonce = 5 zero bytes || channel id || seq; AD = every byte before the ciphertext");
    check_chan(s, x->k_ad, m, n, CMD, 1, nonce, "COMMAND ciphertext");
    ex_hex(s, "command_nonce", nonce, sizeof nonce);
    ex_msg(s, "command_msg", m, n);
    ex_str(s, "reply", RES);
    check_chan(s, x->k_da, ans, an, RES, 1, nonce, "REPLY ciphertext");
    ex_hex(s, "reply_nonce", nonce, sizeof nonce);
    ex_msg(s, "reply_msg", ans, an);
}

static void attach(ex_set *s, dd *x)
{
    uint8_t m[MSG_MAX], ans[MSG_MAX], raw[16], pt[48], nonce[WARD_AEAD_NONCE_LEN];
    char cloud[33];
    size_t n = 0, an = 0;
    ward_dev_event ev;
    ex_rng wr;
    ward_random wardd = ex_rng_init(&wr, s->cp, "wardd devices");
    EX_OK(s, wardd.fill(wardd.ctx, raw, sizeof raw));
    EX_OK(s, ward_hex_encode(raw, sizeof raw, cloud, sizeof cloud));
    EX_OK(s, ward_pair_attach(&x->d, s->cp, &x->ch, (const uint8_t *)cloud, strlen(cloud), m,
                              sizeof m, &n));
    an = to_dev(s, x, m, n, ans, &ev, WARD_OK);
    EX_OK(s, ward_pair_on_attach(&x->d, s->cp, &x->ch, (const uint8_t *)cloud, strlen(cloud),
                                 ans, an));
    size_t pl = put(pt, 0x01, cloud, strlen(cloud));
    ex_begin(s, "dev-attach",
             "ATTACH of the cloud id wardd gave (32 lower-case hex characters, sent as\n"
             "those ASCII bytes) in channel 1, after the command: a channel message as\n"
             "COMMAND is (flags SEALED, key index, seq 2 = the app's next; the CliID;\n"
             "0x01 channel id, 0x0F ciphertext), type 0x37; the answer (type 0x37,\n"
             "flags REPLY|SEALED, seq 2 = the device's next) seals the same plaintext\n"
             "back under the device->app key.");
    ex_str(s, "cloud_id", cloud);
    ex_hex(s, "plaintext", pt, pl);
    check_chan_bytes(s, x->k_ad, m, n, pt, pl, 2, nonce, "ATTACH ciphertext");
    ex_hex(s, "attach_nonce", nonce, sizeof nonce);
    ex_msg(s, "msg", m, n);
    check_chan_bytes(s, x->k_da, ans, an, pt, pl, 2, nonce, "ATTACH answer's ciphertext");
    ex_hex(s, "answer_nonce", nonce, sizeof nonce);
    ex_msg(s, "answer", ans, an);
}

static void pake_end(ex_set *s, dd *x)
{
    uint8_t m[MSG_MAX], ans[MSG_MAX];
    size_t n = 0, an = 0;
    ward_dev_event ev;
    ward_pair p;
    EX_OK(s, ward_pair_start(&p, s->cp, &x->app_rng, (const uint8_t *)UDIDX, strlen(UDIDX),
                             x->cid, sizeof x->cid, (const uint8_t *)APP_NAME,
                             strlen(APP_NAME), m, sizeof m, &n));
    (void)to_dev(s, x, m, n, ans, &ev, WARD_OK);
    EX_OK(s, ward_pair_end(&p, m, sizeof m, &n));
    an = to_dev(s, x, m, n, ans, &ev, WARD_OK);
    ex_begin(s, "dev-pake-end",
             "PAKE_END: the header (flags 0, key index 0, seq 0, the CliID) and 0x01\n"
             "the token whose commitment the PIN_REQUEST carried (drawn by the app for\n"
             "this binding) free the app's binding slot; the device acknowledges it\n"
             "with an empty REPLY.");
    ex_msg(s, "msg", m, n);
    ex_msg(s, "answer", ans, an);
}

static void error_answer(ex_set *s, dd *x)
{
    uint8_t m[MSG_MAX], ans[MSG_MAX];
    size_t n = 0, an = 0;
    ward_dev_event ev;
    ward_hdr h;
    memset(&h, 0, sizeof h);
    h.version = WARD_PROTOCOL_VERSION;
    h.type = 0x3F;
    h.seq = 7;
    h.client_id_len = sizeof x->cid;
    memcpy(h.client_id, x->cid, sizeof x->cid);
    EX_OK(s, ward_hdr_encode(&h, m, sizeof m, &n));
    an = to_dev(s, x, m, n, ans, &ev, WARD_ERR_UNSUPPORTED);
    ex_begin(s, "dev-error",
             "An error answer: a request of a type the device does not know (0x3F,\n"
             "seq 7) is refused with the same type, flags REPLY|ERROR, key index, seq\n"
             "and CliID echoed, and the body 0x01 0x01 code (12, `UNSUPPORTED`).");
    ex_msg(s, "msg", m, n);
    ex_msg(s, "answer", ans, an);
}

void ex_gen_flow_d(ex_set *s)
{
    /* Static: a failure longjmps out, and nothing may leak then. */
    static dd env;
    device_up(s, &env);
    pin_request(s, &env);
    pake(s, &env);
    channel_open(s, &env);
    command(s, &env);
    attach(s, &env);
    pake_end(s, &env);
    error_answer(s, &env);
    ward_wipe(&env, sizeof env);
}
