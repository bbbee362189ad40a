/* Flow C's cloud stage in the core: registration, credentials, login and
 * session packets, with every refusal the wire can provoke. WARD_TEST_PER_BACKEND */
#include "ward_test.h"

#include <string.h>

#include "ward/ward_bind.h"
#include "ward/ward_cert.h"
#include "ward/ward_gw_cloud.h"
#include "ward/ward_keystore.h"

#define GW_KEY WARD_KEY_DEVICE_IDENTITY

typedef struct fx {
    ward_random rng;
    ward_keystore_soft fsoft, gsoft, osoft;
    ward_keystore factory, gw, other;
    uint8_t factory_pub[WARD_P256_POINT_LEN];
    uint8_t gw_pub[WARD_P256_POINT_LEN];
    uint8_t uuid[WARD_GW_UUID_LEN];
    uint8_t mac[WARD_GW_MAC_LEN];
    uint8_t act[WARD_ACTIVATION_MAX];
    size_t act_len;
} fx;

static void make_activation(fx *f, const uint8_t *pub, uint8_t *out, size_t *len)
{
    static const char digits[] = "0123456789abcdef";
    uint8_t hex[2 * WARD_GW_UUID_LEN];
    for (size_t i = 0; i < WARD_GW_UUID_LEN; i++) {
        hex[2 * i] = (uint8_t)digits[f->uuid[i] >> 4];
        hex[2 * i + 1] = (uint8_t)digits[f->uuid[i] & 15];
    }
    ward_activation a = { hex, sizeof hex, pub };
    assert_int_equal(ward_activation_sign_by(ward_test_cp, &f->factory, WARD_KEY_FACTORY, &a, out,
                                             WARD_ACTIVATION_MAX, len),
                     WARD_OK);
}

static void fx_init(fx *f)
{
    memset(f, 0, sizeof *f);
    f->rng = ward_test_rng();
    ward_keystore_soft_init(&f->fsoft, ward_test_cp, &f->rng, &f->factory);
    ward_keystore_soft_init(&f->gsoft, ward_test_cp, &f->rng, &f->gw);
    ward_keystore_soft_init(&f->osoft, ward_test_cp, &f->rng, &f->other);
    assert_int_equal(f->factory.generate(f->factory.ctx, WARD_KEY_FACTORY, f->factory_pub),
                     WARD_OK);
    assert_int_equal(f->gw.generate(f->gw.ctx, GW_KEY, f->gw_pub), WARD_OK);
    uint8_t opub[WARD_P256_POINT_LEN];
    assert_int_equal(f->other.generate(f->other.ctx, GW_KEY, opub), WARD_OK);
    memset(f->uuid, 0xA5, sizeof f->uuid);
    f->uuid[0] = 0x01;
    memcpy(f->mac, "\x02\x11\x22\x33\x44\x55", WARD_GW_MAC_LEN);
    make_activation(f, f->gw_pub, f->act, &f->act_len);
}

static void fx_done(fx *f)
{
    ward_keystore_soft_wipe(&f->fsoft);
    ward_keystore_soft_wipe(&f->gsoft);
    ward_keystore_soft_wipe(&f->osoft);
}

/* A REGISTER carrying the gateway's certificate (issued by the root, the
 * factory key here): verified with the root, the role, the expiry and
 * the list (issue 18, item 1). */
static void test_register_chain(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    static const char digits[] = "0123456789abcdef";
    ward_cert c;
    memset(&c, 0, sizeof c);
    c.role = WARD_CERT_ROLE_GATEWAY;
    c.id_len = 2 * WARD_GW_UUID_LEN;
    for (size_t i = 0; i < WARD_GW_UUID_LEN; i++) {
        c.id[2 * i] = (uint8_t)digits[f.uuid[i] >> 4];
        c.id[2 * i + 1] = (uint8_t)digits[f.uuid[i] & 15];
    }
    c.issued = 1700000000u;
    c.expires = 1800000000u;
    uint8_t cert[WARD_CERT_MAX], msg[WARD_GW_REGISTER_MAX], claim[WARD_GW_CLAIM_LEN];
    uint8_t owner[WARD_GW_OWNER_HASH_LEN];
    size_t clen = 0, len = 0;
    assert_int_equal(ward_cert_issue_by(ward_test_cp, &f.factory, WARD_KEY_FACTORY, &c, f.gw_pub,
                                        cert, sizeof cert, &clen), WARD_OK);
    assert_true(clen <= WARD_GW_ACTIVATION_MAX);
    memset(claim, 0x77, sizeof claim);
    memset(owner, 0x42, sizeof owner);
    assert_int_equal(ward_gw_register_sign_by(ward_test_cp, &f.gw, GW_KEY, claim, f.mac, f.uuid,
                                              cert, clen, owner, msg, sizeof msg, &len),
                     WARD_OK);
    ward_gw_register r;
    ward_identity_trust t = { f.factory_pub, NULL, NULL, 1750000000u };
    assert_int_equal(ward_gw_register_verify_id(ward_test_cp, &t, msg, len, &r), WARD_OK);
    assert_memory_equal(r.gw_pub, f.gw_pub, WARD_P256_POINT_LEN);
    /* Expired by the verifier's clock; another root; no root. */
    t.now_s = 1800000000u;
    assert_int_equal(ward_gw_register_verify_id(ward_test_cp, &t, msg, len, &r), WARD_ERR_AUTH);
    t.now_s = 1750000000u;
    t.root = f.gw_pub;
    assert_int_equal(ward_gw_register_verify_id(ward_test_cp, &t, msg, len, &r), WARD_ERR_AUTH);
    t.root = NULL;
    assert_int_equal(ward_gw_register_verify_id(ward_test_cp, &t, msg, len, &r), WARD_ERR_AUTH);
    /* Revoked. */
    uint8_t kid[WARD_CERT_KEY_ID_LEN], list[WARD_CERT_LIST_LEN(1)];
    size_t llen = 0;
    ward_cert_list l;
    assert_int_equal(ward_cert_key_id(ward_test_cp, f.gw_pub, kid), WARD_OK);
    assert_int_equal(ward_cert_list_sign_by(ward_test_cp, &f.factory, WARD_KEY_FACTORY, 1,
                                            1700000000u, kid, 1, list, sizeof list, &llen),
                     WARD_OK);
    assert_int_equal(ward_cert_list_verify(ward_test_cp, f.factory_pub, list, llen, NULL, &l),
                     WARD_OK);
    t.root = f.factory_pub;
    t.list = &l;
    assert_int_equal(ward_gw_register_verify_id(ward_test_cp, &t, msg, len, &r), WARD_ERR_AUTH);
    /* A certificate of another role is refused. */
    t.list = NULL;
    c.role = WARD_CERT_ROLE_SUBDEVICE;
    assert_int_equal(ward_cert_issue_by(ward_test_cp, &f.factory, WARD_KEY_FACTORY, &c, f.gw_pub,
                                        cert, sizeof cert, &clen), WARD_OK);
    assert_int_equal(ward_gw_register_sign_by(ward_test_cp, &f.gw, GW_KEY, claim, f.mac, f.uuid,
                                              cert, clen, owner, msg, sizeof msg, &len),
                     WARD_OK);
    assert_int_equal(ward_gw_register_verify_id(ward_test_cp, &t, msg, len, &r), WARD_ERR_AUTH);
    fx_done(&f);
}

static void test_claim(void **state)
{
    (void)state;
    uint8_t claim[WARD_GW_CLAIM_LEN], back[WARD_GW_CLAIM_LEN], msg[64];
    size_t len = 0;
    memset(claim, 0x3C, sizeof claim);
    assert_int_equal(ward_gw_claim_encode(claim, msg, sizeof msg, &len), WARD_OK);
    assert_int_equal(len, WARD_GW_CLAIM_MSG_LEN);
    assert_int_equal(ward_gw_claim_parse(msg, len, back), WARD_OK);
    assert_memory_equal(claim, back, sizeof claim);
    assert_int_equal(ward_gw_claim_parse(msg, len - 1, back), WARD_ERR_FORMAT);
    msg[1] = WARD_MSG_GW_REGISTER;
    assert_int_equal(ward_gw_claim_parse(msg, len, back), WARD_ERR_FORMAT);
    assert_int_equal(ward_gw_claim_encode(claim, msg, WARD_GW_CLAIM_MSG_LEN - 1, &len),
                     WARD_ERR_NOSPACE);
}

static void test_register(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    uint8_t claim[WARD_GW_CLAIM_LEN], msg[WARD_GW_REGISTER_MAX];
    uint8_t code[WARD_GW_OWNER_CODE_LEN], epoch[WARD_GW_OWNER_RANDOM_LEN];
    uint8_t owner[WARD_GW_OWNER_HASH_LEN], old_owner[WARD_GW_OWNER_HASH_LEN];
    size_t len = 0;
    memset(claim, 0x77, sizeof claim);
    memset(code, 0x5c, sizeof code);
    memset(epoch, 0x01, sizeof epoch);
    assert_int_equal(ward_gw_owner_hash(ward_test_cp, code, epoch, f.uuid, old_owner), WARD_OK);
    epoch[0] = 0x02;   /* a reset: the next epoch */
    assert_int_equal(ward_gw_owner_hash(ward_test_cp, code, epoch, f.uuid, owner), WARD_OK);
    assert_memory_not_equal(owner, old_owner, sizeof owner);
    assert_int_equal(ward_gw_register_sign_by(ward_test_cp, &f.gw, GW_KEY, claim, f.mac, f.uuid,
                                              f.act, f.act_len, owner, msg, sizeof msg, &len),
                     WARD_OK);
    assert_true(len <= WARD_GW_REGISTER_MAX);
    ward_gw_register r;
    assert_int_equal(ward_gw_register_verify(ward_test_cp, f.factory_pub, msg, len, &r),
                     WARD_OK);
    assert_memory_equal(r.claim, claim, sizeof claim);
    assert_memory_equal(r.gw_pub, f.gw_pub, WARD_P256_POINT_LEN);
    assert_memory_equal(r.uuid, f.uuid, WARD_GW_UUID_LEN);
    assert_memory_equal(r.mac, f.mac, WARD_GW_MAC_LEN);
    /* The owner hash of this epoch binds; the last epoch's, or a guess, not. */
    assert_int_equal(ward_gw_owner_check(ward_test_cp, &r, owner), WARD_OK);
    assert_int_equal(ward_gw_owner_check(ward_test_cp, &r, old_owner), WARD_ERR_AUTH);
    owner[31] ^= 1;
    assert_int_equal(ward_gw_owner_check(ward_test_cp, &r, owner), WARD_ERR_AUTH);
    owner[31] ^= 1;

    /* Another factory's gateway. */
    uint8_t stranger[WARD_P256_POINT_LEN];
    memcpy(stranger, f.gw_pub, sizeof stranger);
    assert_int_equal(ward_gw_register_verify(ward_test_cp, stranger, msg, len, &r),
                     WARD_ERR_AUTH);
    /* A flipped byte of the claim. */
    msg[WARD_HDR_BASE_LEN + 2] ^= 1;
    assert_int_equal(ward_gw_register_verify(ward_test_cp, f.factory_pub, msg, len, &r),
                     WARD_ERR_AUTH);
    msg[WARD_HDR_BASE_LEN + 2] ^= 1;
    assert_int_equal(ward_gw_register_verify(ward_test_cp, f.factory_pub, msg, len - 1, &r),
                     WARD_ERR_FORMAT);

    /* Another key signing with this gateway's activation: the signer
     * refuses to send it, and a forged one fails at wardd. */
    assert_int_equal(ward_gw_register_sign_by(ward_test_cp, &f.other, GW_KEY, claim, f.mac,
                                              f.uuid, f.act, f.act_len, owner, msg, sizeof msg,
                                              &len),
                     WARD_ERR_PARAM);
    /* An activation for another uuid. */
    uint8_t uuid2[WARD_GW_UUID_LEN];
    memset(uuid2, 0x11, sizeof uuid2);
    assert_int_equal(ward_gw_register_sign_by(ward_test_cp, &f.gw, GW_KEY, claim, f.mac, uuid2,
                                              f.act, f.act_len, owner, msg, sizeof msg, &len),
                     WARD_ERR_PARAM);
    fx_done(&f);
}

static void make_creds(ward_gw_creds *c, uint8_t fill)
{
    memset(c, 0, sizeof *c);
    memset(c->tid, fill, sizeof c->tid);
    c->generation = 1;
    c->expiry_ms = 1800000000000ull;
    memset(c->password, fill + 1, sizeof c->password);
    memset(c->accesskey, fill + 2, sizeof c->accesskey);
    memset(c->localkey, fill + 3, sizeof c->localkey);
}

static void test_creds(void **state)
{
    (void)state;
    fx f;
    fx_init(&f);
    ward_gw_creds c, back;
    make_creds(&c, 0x20);
    uint8_t msg[WARD_GW_CREDS_MSG_LEN];
    size_t len = 0;
    assert_int_equal(ward_gw_creds_seal(ward_test_cp, &f.rng, f.gw_pub, &c, msg, sizeof msg, &len),
                     WARD_OK);
    assert_int_equal(len, WARD_GW_CREDS_MSG_LEN);
    assert_int_equal(ward_gw_creds_peek(msg, len, &back), WARD_OK);
    assert_memory_equal(back.tid, c.tid, sizeof c.tid);
    assert_int_equal(back.generation, 1);
    assert_true(back.expiry_ms == c.expiry_ms);
    assert_true(back.accesskey[0] == 0);
    assert_int_equal(ward_gw_creds_open_by(ward_test_cp, &f.gw, GW_KEY, msg, len, &back), WARD_OK);
    assert_memory_equal(&back, &c, sizeof c);
    /* Another gateway cannot open them. */
    assert_int_equal(ward_gw_creds_open_by(ward_test_cp, &f.other, GW_KEY, msg, len, &back),
                     WARD_ERR_AUTH);
    /* The relaying app cannot move the expiry: it is bound in. */
    msg[WARD_HDR_BASE_LEN + 18 + 6 + 2] ^= 1;
    assert_int_equal(ward_gw_creds_peek(msg, len, &back), WARD_OK);
    assert_int_equal(ward_gw_creds_open_by(ward_test_cp, &f.gw, GW_KEY, msg, len, &back),
                     WARD_ERR_AUTH);
    assert_true(back.password[0] == 0);

    uint8_t ack[WARD_GW_CREDS_ACK_LEN], tid[WARD_GW_TID_LEN];
    uint32_t gen = 0;
    assert_int_equal(ward_gw_creds_ack_encode(c.tid, 7, ack, sizeof ack, &len), WARD_OK);
    assert_int_equal(ward_gw_creds_ack_parse(ack, len, tid, &gen), WARD_OK);
    assert_int_equal(gen, 7);
    assert_memory_equal(tid, c.tid, sizeof tid);
    fx_done(&f);
}

typedef struct pair {
    ward_gw_creds c;
    uint8_t verifier[WARD_GW_VERIFIER_LEN];
    uint8_t sid[WARD_GW_SID_LEN];
    ward_gw_session gw, srv;
    ward_random rng;
} pair;

/* A login of counter `counter`; last is wardd's last accepted counter. */
static ward_err login(pair *p, uint64_t counter, uint64_t last)
{
    uint8_t msg[WARD_GW_LOGIN_LEN], reply[WARD_GW_LOGIN_REPLY_LEN];
    size_t len = 0, rlen = 0;
    uint8_t tid[WARD_GW_TID_LEN];
    uint64_t seen = 0;
    assert_int_equal(ward_gw_login_start(&p->gw, ward_test_cp, &p->rng, &p->c, counter, msg,
                                         sizeof msg, &len),
                     WARD_OK);
    assert_int_equal(ward_gw_login_peek(msg, len, tid, &seen), WARD_OK);
    assert_true(seen == counter);
    ward_err err = ward_gw_login_accept(&p->srv, ward_test_cp, &p->rng, p->c.tid, p->c.accesskey,
                                        p->verifier, last, p->sid, 3600, msg, len, reply,
                                        sizeof reply, &rlen);
    if (err != WARD_OK) {
        return err;
    }
    assert_int_equal(rlen, WARD_GW_LOGIN_REPLY_LEN);
    return ward_gw_login_finish(&p->gw, ward_test_cp, reply, rlen);
}

static void pair_init(pair *p)
{
    memset(p, 0, sizeof *p);
    p->rng = ward_test_rng();
    make_creds(&p->c, 0x40);
    memset(p->sid, 0x5A, sizeof p->sid);
    assert_int_equal(ward_gw_password_verifier(ward_test_cp, p->c.tid, p->c.password, p->verifier),
                     WARD_OK);
}

static void test_login_and_packets(void **state)
{
    (void)state;
    pair p;
    pair_init(&p);
    assert_int_equal(login(&p, 5, 4), WARD_OK);
    assert_int_equal(ward_gw_session_ttl(&p.gw), 3600);
    uint8_t sid[WARD_GW_SID_LEN];
    assert_int_equal(ward_gw_session_id(&p.gw, sid), WARD_OK);
    assert_memory_equal(sid, p.sid, sizeof sid);

    uint8_t pk1[WARD_GW_DATA_MAX], pk2[WARD_GW_DATA_MAX], out[WARD_GW_SESSION_PAYLOAD_MAX];
    size_t l1 = 0, l2 = 0, n = 0;
    uint8_t type = 0;
    assert_int_equal(ward_gw_session_seal(&p.gw, ward_test_cp, WARD_MSG_GW_DATA,
                                          (const uint8_t *)"up one", 6, pk1, sizeof pk1, &l1),
                     WARD_OK);
    assert_int_equal(ward_gw_session_seal(&p.gw, ward_test_cp, WARD_MSG_GW_DATA,
                                          (const uint8_t *)"up two", 6, pk2, sizeof pk2, &l2),
                     WARD_OK);
    assert_int_equal(ward_gw_packet_sid(pk1, l1, sid), WARD_OK);
    assert_memory_equal(sid, p.sid, sizeof sid);
    /* The gateway cannot open its own packet (the directions differ). */
    ward_gw_session copy = p.gw;
    assert_int_equal(ward_gw_session_open(&copy, ward_test_cp, pk1, l1, &type, out, sizeof out, &n),
                     WARD_ERR_AUTH);
    /* Reordered: the second first, then the first is refused. */
    assert_int_equal(ward_gw_session_open(&p.srv, ward_test_cp, pk2, l2, &type, out, sizeof out, &n),
                     WARD_OK);
    assert_int_equal(n, 6);
    assert_memory_equal(out, "up two", 6);
    assert_int_equal(ward_gw_session_open(&p.srv, ward_test_cp, pk1, l1, &type, out, sizeof out, &n),
                     WARD_ERR_AUTH);
    /* Replayed. */
    assert_int_equal(ward_gw_session_open(&p.srv, ward_test_cp, pk2, l2, &type, out, sizeof out, &n),
                     WARD_ERR_AUTH);
    /* Down. */
    assert_int_equal(ward_gw_session_seal(&p.srv, ward_test_cp, WARD_MSG_GW_DATA,
                                          (const uint8_t *)"down", 4, pk1, sizeof pk1, &l1),
                     WARD_OK);
    pk1[l1 - 1] ^= 1;
    assert_int_equal(ward_gw_session_open(&p.gw, ward_test_cp, pk1, l1, &type, out, sizeof out, &n),
                     WARD_ERR_AUTH);
    pk1[l1 - 1] ^= 1;
    assert_int_equal(ward_gw_session_open(&p.gw, ward_test_cp, pk1, l1, &type, out, sizeof out, &n),
                     WARD_OK);
    assert_int_equal(type, WARD_MSG_GW_DATA);
    assert_memory_equal(out, "down", 4);

    /* Reset: empty only; wardd opens it and can still answer, sealed. */
    assert_int_equal(ward_gw_session_seal(&p.gw, ward_test_cp, WARD_MSG_GW_RESET,
                                          (const uint8_t *)"x", 1, pk1, sizeof pk1, &l1),
                     WARD_ERR_PARAM);
    assert_int_equal(ward_gw_session_seal(&p.gw, ward_test_cp, WARD_MSG_GW_RESET, NULL, 0, pk1,
                                          sizeof pk1, &l1),
                     WARD_OK);
    assert_int_equal(ward_gw_session_open(&p.srv, ward_test_cp, pk1, l1, &type, NULL, 0, &n),
                     WARD_OK);
    assert_int_equal(type, WARD_MSG_GW_RESET);
    assert_int_equal(ward_gw_session_open(&p.srv, ward_test_cp, pk1, l1, &type, NULL, 0, &n),
                     WARD_ERR_AUTH);                                 /* replayed */
    assert_int_equal(ward_gw_session_seal(&p.srv, ward_test_cp, WARD_MSG_GW_DATA, NULL, 0, pk1,
                                          sizeof pk1, &l1),
                     WARD_OK);
    assert_int_equal(ward_gw_session_open(&p.gw, ward_test_cp, pk1, l1, &type, out, sizeof out, &n),
                     WARD_OK);
    assert_int_equal(type, WARD_MSG_GW_DATA);
    assert_int_equal(n, 0);

    /* Logout: wardd drops the session; the gateway's old keys open nothing. */
    assert_int_equal(ward_gw_session_seal(&p.gw, ward_test_cp, WARD_MSG_GW_LOGOUT, NULL, 0, pk1,
                                          sizeof pk1, &l1),
                     WARD_OK);
    assert_int_equal(ward_gw_session_open(&p.srv, ward_test_cp, pk1, l1, &type, NULL, 0, &n),
                     WARD_OK);
    assert_int_equal(type, WARD_MSG_GW_LOGOUT);
    assert_int_equal(ward_gw_session_seal(&p.srv, ward_test_cp, WARD_MSG_GW_DATA,
                                          (const uint8_t *)"x", 1, pk1, sizeof pk1, &l1),
                     WARD_ERR_STATE);
    assert_int_equal(ward_gw_session_open(&p.srv, ward_test_cp, pk2, l2, &type, out, sizeof out, &n),
                     WARD_ERR_STATE);
    ward_gw_session_wipe(&p.gw);
}

static void test_login_refused(void **state)
{
    (void)state;
    pair p;
    pair_init(&p);
    /* A replayed login: its counter is not above the last accepted. */
    assert_int_equal(login(&p, 4, 4), WARD_ERR_AUTH);
    assert_int_equal(login(&p, 3, 4), WARD_ERR_AUTH);
    /* A wrong password (the verifier of another). */
    uint8_t good[WARD_GW_VERIFIER_LEN];
    memcpy(good, p.verifier, sizeof good);
    p.verifier[0] ^= 1;
    assert_int_equal(login(&p, 9, 4), WARD_ERR_AUTH);
    memcpy(p.verifier, good, sizeof good);
    /* Sealed under an old accesskey (rotated). */
    uint8_t key = p.c.accesskey[0];
    p.c.accesskey[0] ^= 0xFF;
    uint8_t msg[WARD_GW_LOGIN_LEN], reply[WARD_GW_LOGIN_REPLY_LEN];
    size_t len = 0, rlen = 0;
    assert_int_equal(ward_gw_login_start(&p.gw, ward_test_cp, &p.rng, &p.c, 10, msg, sizeof msg,
                                         &len),
                     WARD_OK);
    p.c.accesskey[0] = key;
    assert_int_equal(ward_gw_login_accept(&p.srv, ward_test_cp, &p.rng, p.c.tid, p.c.accesskey,
                                          p.verifier, 4, p.sid, 60, msg, len, reply, sizeof reply,
                                          &rlen),
                     WARD_ERR_AUTH);
    assert_int_equal(rlen, 0);
    /* Another gateway's tid. */
    uint8_t tid2[WARD_GW_TID_LEN];
    memset(tid2, 0x99, sizeof tid2);
    assert_int_equal(ward_gw_login_start(&p.gw, ward_test_cp, &p.rng, &p.c, 11, msg, sizeof msg,
                                         &len),
                     WARD_OK);
    assert_int_equal(ward_gw_login_accept(&p.srv, ward_test_cp, &p.rng, tid2, p.c.accesskey,
                                          p.verifier, 4, p.sid, 60, msg, len, reply, sizeof reply,
                                          &rlen),
                     WARD_ERR_AUTH);
    /* A forged reply (a relay without the accesskey) leaves the login pending. */
    assert_int_equal(ward_gw_login_accept(&p.srv, ward_test_cp, &p.rng, p.c.tid, p.c.accesskey,
                                          p.verifier, 4, p.sid, 60, msg, len, reply, sizeof reply,
                                          &rlen),
                     WARD_OK);
    reply[WARD_HDR_BASE_LEN + 2] ^= 1;   /* the sid */
    assert_int_equal(ward_gw_login_finish(&p.gw, ward_test_cp, reply, rlen), WARD_ERR_AUTH);
    reply[WARD_HDR_BASE_LEN + 2] ^= 1;
    assert_int_equal(ward_gw_login_finish(&p.gw, ward_test_cp, reply, rlen), WARD_OK);
    /* Finished once: a second reply is out of state. */
    assert_int_equal(ward_gw_login_finish(&p.gw, ward_test_cp, reply, rlen), WARD_ERR_STATE);
    /* Malformed. */
    assert_int_equal(ward_gw_login_accept(&p.srv, ward_test_cp, &p.rng, p.c.tid, p.c.accesskey,
                                          p.verifier, 4, p.sid, 60, msg, len - 1, reply,
                                          sizeof reply, &rlen),
                     WARD_ERR_FORMAT);
}

/* A packet of one session does not open in another of the same gateway. */
static void test_sessions_apart(void **state)
{
    (void)state;
    pair a, b;
    pair_init(&a);
    assert_int_equal(login(&a, 1, 0), WARD_OK);
    b = a;
    memset(b.sid, 0x6B, sizeof b.sid);
    assert_int_equal(login(&b, 2, 1), WARD_OK);
    uint8_t pk[WARD_GW_DATA_MAX], out[16];
    size_t l = 0, n = 0;
    uint8_t type = 0;
    assert_int_equal(ward_gw_session_seal(&a.gw, ward_test_cp, WARD_MSG_GW_DATA,
                                          (const uint8_t *)"a", 1, pk, sizeof pk, &l),
                     WARD_OK);
    assert_int_equal(ward_gw_session_open(&b.srv, ward_test_cp, pk, l, &type, out, sizeof out, &n),
                     WARD_ERR_AUTH);
    assert_int_equal(ward_gw_session_open(&a.srv, ward_test_cp, pk, l, &type, out, sizeof out, &n),
                     WARD_OK);
}

int main(int argc, char **argv)
{
    ward_test_backend(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_claim),
        cmocka_unit_test(test_register),
        cmocka_unit_test(test_register_chain),
        cmocka_unit_test(test_creds),
        cmocka_unit_test(test_login_and_packets),
        cmocka_unit_test(test_login_refused),
        cmocka_unit_test(test_sessions_apart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
