/* Worked examples of flow E: the core's real SE and host roles moving frames (examples.h). */
#include "examples.h"

#include <string.h>

#include "ward/ward_port_sim.h"
#include "proto/se_inner.h"

#define BANK 512
#define ERASE 64
#define FRAME WARD_SE_FRAME_MAX

typedef struct ee {
    uint8_t se_mem[2 * BANK], host_mem[2 * BANK];
    ward_sim_flash se_sf, host_sf;
    ward_store_port se_port, host_port;
    ward_clock clock;
    ex_rng se_rr, host_rr;
    ward_random se_rng, host_rng;
    ward_se_elem se;
    ward_se_host h;
} ee;

/* One frame a field: a copy of the bytes, for the document. */
typedef struct frame {
    uint8_t b[FRAME];
    size_t n;
} frame;

static void up(ex_set *s, ee *x, const char *se_seed, const char *host_seed)
{
    ward_wipe(x, sizeof *x);
    memset(x->se_mem, 0xFF, sizeof x->se_mem);
    memset(x->host_mem, 0xFF, sizeof x->host_mem);
    ward_sim_flash_init(&x->se_sf, x->se_mem, sizeof x->se_mem, ERASE, &x->se_port);
    ward_sim_flash_init(&x->host_sf, x->host_mem, sizeof x->host_mem, ERASE, &x->host_port);
    x->clock = ex_clock();
    x->se_rng = ex_rng_init(&x->se_rr, s->cp, se_seed);
    x->host_rng = ex_rng_init(&x->host_rr, s->cp, host_seed);
    EX_OK(s, ward_se_elem_open(&x->se, s->cp, &x->se_rng, &x->clock, &x->se_port));
    EX_OK(s, ward_se_host_open(&x->h, s->cp, &x->host_rng, &x->host_port));
}

/* The SE takes in and answers into out; the host takes that answer (its
 * own next frame, if any, into next). */
static void exchange(ex_set *s, ee *x, const frame *in, frame *out, frame *next,
                     ward_se_event_kind host_wants)
{
    ward_se_event sev, hev;
    out->n = 0;
    EX_OK(s, ward_se_elem_input(&x->se, in->b, in->n, &sev, out->b, sizeof out->b, &out->n));
    if (sev.kind == WARD_SE_EV_COMMAND) {
        ex_fail(s, "a command needs its reply");
    }
    frame dummy;
    frame *nx = next != NULL ? next : &dummy;
    nx->n = 0;
    EX_OK(s, ward_se_host_input(&x->h, out->b, out->n, &hev, nx->b, sizeof nx->b, &nx->n));
    if (hev.kind != host_wants) {
        ex_fail(s, "the host saw event %d, not %d", (int)hev.kind, (int)host_wants);
    }
}

static const uint8_t *payload(ex_set *s, const frame *f, uint8_t type, size_t *len)
{
    uint8_t t = 0;
    const uint8_t *p = NULL;
    EX_OK(s, ward_se_frame_parse(f->b, f->n, &t, &p, len));
    if (t != type) {
        ex_fail(s, "frame type 0x%02x, not 0x%02x", t, type);
    }
    return p;
}

/* HMAC-SHA256(key, label || 0x00 || parts...): f 1, by the port. */
static void hmac_f(ex_set *s, const uint8_t *key, size_t key_len, const uint8_t *in,
                   size_t in_len, uint8_t out[32])
{
    ward_iov part = { in, in_len };
    EX_OK(s, s->cp->hmac_sha256(key, key_len, &part, 1, out));
}

static size_t cat(uint8_t *dst, const char *label, const uint8_t *a, size_t an,
                  const uint8_t *b, size_t bn, const uint8_t *c, size_t cn)
{
    size_t n = strlen(label);
    memcpy(dst, label, n);
    dst[n++] = 0x00;
    memcpy(dst + n, a, an);
    n += an;
    if (bn > 0) {
        memcpy(dst + n, b, bn);
        n += bn;
    }
    if (cn > 0) {
        memcpy(dst + n, c, cn);
        n += cn;
    }
    return n;
}

/* The tag of a frame: the first 16 bytes of HMAC-SHA256(Ks, dir || type
 * || ctr || data). */
static void tag(ex_set *s, const uint8_t ks[32], uint8_t dir, uint8_t type, uint32_t ctr,
                const uint8_t *data, size_t len, uint8_t *in, size_t *in_len, uint8_t out[16])
{
    uint8_t full[32];
    in[0] = dir;
    in[1] = type;
    in[2] = (uint8_t)(ctr >> 24);
    in[3] = (uint8_t)(ctr >> 16);
    in[4] = (uint8_t)(ctr >> 8);
    in[5] = (uint8_t)ctr;
    if (len > 0) {
        memcpy(in + 6, data, len);
    }
    *in_len = 6 + len;
    hmac_f(s, ks, 32, in, *in_len, full);
    memcpy(out, full, 16);
}

static void sym(ex_set *s, ee *x)
{
    frame bind, bound, lock, locked, hello, chal, answer, verified, cmd, resp, err;
    uint8_t se_id[WARD_SE_ID_LEN], r1[WARD_SE_R1_LEN], r2[WARD_SE_R2_LEN], n[WARD_SE_NONCE_LEN];
    uint8_t in[160], mac[32], ks[32], ctx[WARD_SE_ID_LEN + WARD_SE_R2_LEN + WARD_SE_NONCE_LEN];
    uint8_t t[16], k16[16];
    size_t in_len = 0, len = 0;
    static const char CMD[] = "echo hi", RES[] = "hi";
    ward_se_event sev, hev;

    up(s, x, "se", "host");
    memcpy(se_id, x->se_rr.log, sizeof se_id);
    EX_OK(s, ward_se_host_bind(&x->h, WARD_SE_R1_BY_SE, WARD_SE_VARIANT_SYM,
                               WARD_SE_F_HMAC_SHA256, bind.b, sizeof bind.b, &bind.n));
    exchange(s, x, &bind, &bound, NULL, WARD_SE_EV_BOUND);
    const uint8_t *p = payload(s, &bound, WARD_SE_BOUND, &len);
    EX_SAME(s, p, WARD_SE_ID_LEN, se_id, sizeof se_id, "se_id in BOUND");
    memcpy(r1, p + WARD_SE_ID_LEN, sizeof r1);
    EX_OK(s, ward_se_host_lock(&x->h, lock.b, sizeof lock.b, &lock.n));
    exchange(s, x, &lock, &locked, NULL, WARD_SE_EV_LOCKED);

    ex_begin(s, "se-sym",
             "### Flow E: secure element binding\n"
             "\n"
             "The symmetric variant with f 1 (HMAC-SHA256), R1 made by the SE: the\n"
             "binding, then one power-up's check and a command. Frames are len (1) ||\n"
             "type (1) || payload || CRC-16/CCITT-FALSE (2) over len, type and payload.\n"
             "f's input is label || 0x00 || parts, with no \"ward/1 \" prefix.");
    ex_msg(s, "bind_frame", bind.b, bind.n);
    ex_note(s, "drawn by the SE: se_id (at its first power-up), then R1");
    ex_hex(s, "se_id", se_id, sizeof se_id);
    ex_hex(s, "R1", r1, sizeof r1);
    ex_msg(s, "bound_frame", bound.b, bound.n);
    in_len = cat(in, WARD_LABEL_SE_LOCK, se_id, sizeof se_id, NULL, 0, NULL, 0);
    ex_hex(s, "lock_input", in, in_len);
    hmac_f(s, r1, sizeof r1, in, in_len, mac);
    p = payload(s, &lock, WARD_SE_BIND_LOCK, &len);
    EX_SAME(s, mac, sizeof mac, p, len, "BIND_LOCK proof = HMAC-SHA256(R1, lock_input)");
    ex_hex(s, "lock_proof", mac, sizeof mac);
    ex_msg(s, "bind_lock_frame", lock.b, lock.n);
    ex_msg(s, "locked_frame", locked.b, locked.n);

    EX_OK(s, ward_se_host_hello(&x->h, hello.b, sizeof hello.b, &hello.n));
    ex_rng_mark(&x->se_rr);
    ex_rng_mark(&x->host_rr);
    exchange(s, x, &hello, &chal, &answer, WARD_SE_EV_CHALLENGE);
    memcpy(r2, x->se_rr.log, sizeof r2);
    memcpy(n, x->host_rr.log, sizeof n);
    exchange(s, x, &answer, &verified, NULL, WARD_SE_EV_VERIFIED);
    ex_msg(s, "hello_frame", hello.b, hello.n);
    ex_note(s, "drawn by the SE: R2; CHALLENGE: state 2 || se_id || variant 1 || f 1 || R2");
    ex_hex(s, "R2", r2, sizeof r2);
    ex_msg(s, "challenge_frame", chal.b, chal.n);
    ex_note(s, "drawn by the host: N");
    ex_hex(s, "N", n, sizeof n);
    in_len = cat(in, WARD_LABEL_SE_ANSWER, se_id, sizeof se_id, r2, sizeof r2, n, sizeof n);
    ex_hex(s, "answer_input", in, in_len);
    hmac_f(s, r1, sizeof r1, in, in_len, mac);
    p = payload(s, &answer, WARD_SE_ANSWER, &len);
    EX_SAME(s, mac, sizeof mac, p + WARD_SE_NONCE_LEN, len - WARD_SE_NONCE_LEN,
            "ANSWER's M = HMAC-SHA256(R1, answer_input)");
    ex_hex(s, "M", mac, sizeof mac);
    ex_msg(s, "answer_frame", answer.b, answer.n);
    for (size_t i = 0; i < sizeof k16; i++) {
        k16[i] = (uint8_t)(r1[i] ^ r1[i + 16]);
    }
    ex_note(s, "f 2 (AES-128-CMAC) would answer with CMAC(R1[0..16) xor R1[16..32), answer_input)");
    ex_hex(s, "cmac_key", k16, sizeof k16);
    {
        ward_iov part = { in, in_len };
        ward_iov parts[3] = { { se_id, sizeof se_id }, { r2, sizeof r2 }, { n, sizeof n } };
        uint8_t cm[WARD_CMAC_LEN], cm2[32];
        EX_OK(s, s->cp->aes128_cmac(k16, &part, 1, cm));
        EX_OK(s, ward_se_f(s->cp, WARD_SE_F_AES_CMAC, r1, WARD_LABEL_SE_ANSWER, parts, 3, cm2));
        EX_SAME(s, cm, sizeof cm, cm2, sizeof cm, "f 2 = AES-128-CMAC(folded R1, answer_input)");
        ex_hex(s, "M_f2", cm, sizeof cm);
    }
    memcpy(ctx, se_id, sizeof se_id);
    memcpy(ctx + sizeof se_id, r2, sizeof r2);
    memcpy(ctx + sizeof se_id + sizeof r2, n, sizeof n);
    ex_note(s, "Ks = ward_kdf(\"se session\", ikm = R1, context = se_id || R2 || N)");
    ex_kdf(s, "session_kdf", WARD_LABEL_SE_SESSION, r1, sizeof r1, ctx, sizeof ctx, ks,
           sizeof ks);
    tag(s, ks, SE_DIR_SE, WARD_SE_VERIFIED, 0, NULL, 0, in, &in_len, t);
    p = payload(s, &verified, WARD_SE_VERIFIED, &len);
    EX_SAME(s, t, sizeof t, p, len, "VERIFIED tag");
    ex_note(s, "VERIFIED: the first 16 bytes of HMAC-SHA256(Ks, 'S' || 0x84 || 0x00000000)");
    ex_hex(s, "verified_tag", t, sizeof t);
    ex_msg(s, "verified_frame", verified.b, verified.n);

    EX_OK(s, ward_se_host_command(&x->h, (const uint8_t *)CMD, strlen(CMD), cmd.b,
                                  sizeof cmd.b, &cmd.n));
    EX_OK(s, ward_se_elem_input(&x->se, cmd.b, cmd.n, &sev, resp.b, sizeof resp.b, &resp.n));
    if (sev.kind != WARD_SE_EV_COMMAND) {
        ex_fail(s, "the SE did not take the command");
    }
    EX_OK(s, ward_se_elem_reply(&x->se, (const uint8_t *)RES, strlen(RES), resp.b,
                                sizeof resp.b, &resp.n));
    frame none;
    EX_OK(s, ward_se_host_input(&x->h, resp.b, resp.n, &hev, none.b, sizeof none.b, &none.n));
    if (hev.kind != WARD_SE_EV_RESPONSE) {
        ex_fail(s, "the host did not take the response");
    }
    ex_str(s, "command", CMD);
    tag(s, ks, SE_DIR_HOST, WARD_SE_CMD, 1, (const uint8_t *)CMD, strlen(CMD), in, &in_len, t);
    ex_note(s, "CMD: ctr 1 || data || the first 16 bytes of HMAC-SHA256(Ks, tag_input)");
    ex_hex(s, "cmd_tag_input", in, in_len);
    p = payload(s, &cmd, WARD_SE_CMD, &len);
    EX_SAME(s, t, sizeof t, p + len - 16, 16, "CMD tag");
    ex_hex(s, "cmd_tag", t, sizeof t);
    ex_msg(s, "cmd_frame", cmd.b, cmd.n);
    ex_str(s, "response", RES);
    tag(s, ks, SE_DIR_SE, WARD_SE_RESP, 1, (const uint8_t *)RES, strlen(RES), in, &in_len, t);
    p = payload(s, &resp, WARD_SE_RESP, &len);
    EX_SAME(s, t, sizeof t, p + len - 16, 16, "RESP tag");
    ex_hex(s, "resp_tag", t, sizeof t);
    ex_msg(s, "resp_frame", resp.b, resp.n);

    /* The same command again is a replay: refused, the session kept. */
    EX_OK(s, ward_se_elem_input(&x->se, cmd.b, cmd.n, &sev, err.b, sizeof err.b, &err.n));
    if (sev.kind != WARD_SE_EV_REFUSED || sev.err != WARD_ERR_AUTH) {
        ex_fail(s, "the SE took a replayed command");
    }
    ex_note(s, "the same CMD frame again (a replay): ERROR, code 4 (AUTH), wait_ms 0");
    ex_msg(s, "error_frame", err.b, err.n);
}

static void asym(ex_set *s, ee *x)
{
    frame bind, bound, lock, locked, hello, chal, answer, verified;
    uint8_t se_id[WARD_SE_ID_LEN], r2[WARD_SE_R2_LEN], n[WARD_SE_NONCE_LEN];
    uint8_t hpriv[WARD_P256_SCALAR_LEN], hpub[WARD_P256_POINT_LEN], e[WARD_P256_POINT_LEN];
    uint8_t shared[WARD_P256_SHARED_LEN], ks[32], t[16], in[32];
    uint8_t signed_msg[SE_ASYM_SIGNED_LEN];
    uint8_t ctx[WARD_SE_ID_LEN + WARD_SE_R2_LEN + WARD_SE_NONCE_LEN + WARD_P256_POINT_LEN];
    size_t len = 0, in_len = 0;

    up(s, x, "se asym", "host asym");
    memcpy(se_id, x->se_rr.log, sizeof se_id);
    ex_rng_mark(&x->host_rr);
    EX_OK(s, ward_se_host_bind(&x->h, 0, WARD_SE_VARIANT_ASYM, 0, bind.b, sizeof bind.b,
                               &bind.n));
    memcpy(hpriv, x->host_rr.log, sizeof hpriv);
    EX_OK(s, ward_p256_public(s->cp, hpriv, hpub));
    const uint8_t *p = payload(s, &bind, WARD_SE_BIND, &len);
    EX_SAME(s, hpub, sizeof hpub, p + 3, len - 3, "BIND's host public key");
    exchange(s, x, &bind, &bound, NULL, WARD_SE_EV_BOUND);
    EX_OK(s, ward_se_host_lock(&x->h, lock.b, sizeof lock.b, &lock.n));
    exchange(s, x, &lock, &locked, NULL, WARD_SE_EV_LOCKED);
    EX_OK(s, ward_se_host_hello(&x->h, hello.b, sizeof hello.b, &hello.n));
    ex_rng_mark(&x->host_rr);
    exchange(s, x, &hello, &chal, &answer, WARD_SE_EV_CHALLENGE);
    memcpy(n, x->host_rr.log, sizeof n);
    exchange(s, x, &answer, &verified, NULL, WARD_SE_EV_VERIFIED);
    p = payload(s, &chal, WARD_SE_CHALLENGE, &len);
    memcpy(r2, p + 19, sizeof r2);
    memcpy(e, p + 19 + sizeof r2, sizeof e);
    ward_se_asym_signed(se_id, r2, e, n, signed_msg);

    ex_begin(s, "se-asym",
             "The asymmetric variant: the host's own key pair, locked into the SE;\n"
             "the SE's challenge carries a fresh ephemeral E, the host signs, and the\n"
             "session key comes from ECDH (the x-coordinate) of the host key and E.");
    ex_note(s, "drawn by the host: its private key");
    ex_hex(s, "host_priv", hpriv, sizeof hpriv);
    ex_hex(s, "host_pub", hpub, sizeof hpub);
    ex_msg(s, "bind_frame", bind.b, bind.n);
    ex_hex(s, "se_id", se_id, sizeof se_id);
    ex_msg(s, "bound_frame", bound.b, bound.n);
    ex_note(s, "BIND_LOCK: ward_sign(\"se lock\", se_id) by the host key");
    ex_sig_frame(s, "bind_lock_frame", lock.b, lock.n, 2, WARD_LABEL_SE_LOCK, hpub, se_id,
                 sizeof se_id);
    ex_msg(s, "locked_frame", locked.b, locked.n);
    ex_msg(s, "hello_frame", hello.b, hello.n);
    ex_note(s, "drawn by the SE: R2, then e (E = e*G)");
    ex_hex(s, "R2", r2, sizeof r2);
    ex_hex(s, "E", e, sizeof e);
    ex_msg(s, "challenge_frame", chal.b, chal.n);
    ex_note(s, "drawn by the host: N; ANSWER = N || signature");
    ex_note(s, "signature = ward_sign(\"se answer\", se_id || R2 || E || N) by the host key");
    ex_hex(s, "N", n, sizeof n);
    ex_hex(s, "signed", signed_msg, sizeof signed_msg);
    ex_sig_frame(s, "answer_frame", answer.b, answer.n, 2 + WARD_SE_NONCE_LEN,
                 WARD_LABEL_SE_ANSWER, hpub, signed_msg, sizeof signed_msg);
    EX_OK(s, s->cp->p256_ecdh(hpriv, e, shared));
    ex_hex(s, "ecdh_x", shared, sizeof shared);
    memcpy(ctx, signed_msg, WARD_SE_ID_LEN + WARD_SE_R2_LEN);
    memcpy(ctx + WARD_SE_ID_LEN + WARD_SE_R2_LEN, n, sizeof n);
    memcpy(ctx + WARD_SE_ID_LEN + WARD_SE_R2_LEN + WARD_SE_NONCE_LEN, e, sizeof e);
    ex_note(s, "Ks = ward_kdf(\"se session\", ikm = ecdh_x, context = se_id || R2 || N || E)");
    ex_kdf(s, "session_kdf", WARD_LABEL_SE_SESSION, shared, sizeof shared, ctx, sizeof ctx, ks,
           sizeof ks);
    tag(s, ks, SE_DIR_SE, WARD_SE_VERIFIED, 0, NULL, 0, in, &in_len, t);
    p = payload(s, &verified, WARD_SE_VERIFIED, &len);
    EX_SAME(s, t, sizeof t, p, len, "VERIFIED tag (asymmetric)");
    ex_msg(s, "verified_frame", verified.b, verified.n);
}

void ex_gen_flow_e(ex_set *s)
{
    /* Static: a failure longjmps out, and nothing may leak then. */
    static ee env;
    sym(s, &env);
    asym(s, &env);
    ward_wipe(&env, sizeof env);
}
