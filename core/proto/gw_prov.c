/* Flow C's LAN hand-over, the gateway's side: SEARCH, the sealed link, the Wi-Fi fail-safe. */
#include <string.h>

#include "ward/ward_suite.h"
#include "ward_inner.h"
#include "gw_prov_inner.h"

static ward_gw_prov_state *st_of(ward_gw_prov *gw)
{
    return (ward_gw_prov_state *)(void *)gw->opaque.bytes;
}

static const ward_gw_prov_state *cst_of(const ward_gw_prov *gw)
{
    return (const ward_gw_prov_state *)(const void *)gw->opaque.bytes;
}

static ward_err digest(const ward_crypto *cp, const uint8_t *in, size_t len, uint8_t out[32])
{
    ward_iov part = { in, len };
    return cp->sha256(&part, 1, out);
}

static void sess_wipe(gw_sess *s)
{
    ward_wipe(s, sizeof *s);
}

static ward_err put_failure(ward_gw_prov_state *s, uint8_t code)
{
    s->last_failure = code;
    return ward_store_put(&s->store, GW_REC_FAILURE, &code, 1);
}

static void forget_join(ward_gw_prov_state *s)
{
    ward_wipe(s->psk, sizeof s->psk);
    s->psk_len = 0;
    s->failsafe_at = 0;
}

ward_err ward_gw_prov_open(ward_gw_prov *gw, const ward_crypto *cp, const ward_random *rng,
                           const ward_store_port *port, const ward_gw_prov_config *cfg)
{
    WARD_ASSERT(gw != NULL && cp != NULL && rng != NULL && port != NULL && cfg != NULL);
    ward_gw_prov_state *s = st_of(gw);
    ward_wipe(gw, sizeof *gw);
    if (cfg->tcp_port == 0) {
        return WARD_ERR_PARAM;
    }
    s->cp = cp;
    s->rng = *rng;
    s->cfg = *cfg;
    if (s->cfg.failsafe_ms == 0) {
        s->cfg.failsafe_ms = WARD_GW_FAILSAFE_MS_DEFAULT;
    }
    ward_err err = ward_store_open(&s->store, port);
    uint8_t rec[2 + WARD_GW_SSID_MAX + WARD_GW_PSK_MAX];
    size_t n = 0;
    if (err == WARD_OK) {
        err = ward_store_get(&s->store, GW_REC_FAILURE, rec, sizeof rec, &n);
        if (err == WARD_OK && (n != 1 || rec[0] > WARD_GW_FAIL_MAX)) {
            err = WARD_ERR_FORMAT;
        } else if (err == WARD_OK) {
            s->last_failure = rec[0];
        } else if (err == WARD_ERR_NOTFOUND) {
            err = WARD_OK;
        }
    }
    if (err == WARD_OK) {
        err = ward_store_get(&s->store, GW_REC_WIFI, rec, sizeof rec, &n);
        if (err == WARD_OK) {
            size_t sl = n >= 1 ? rec[0] : 0;
            size_t pl = n >= sl + 2 ? rec[1 + sl] : 0;
            if (sl < 1 || sl > WARD_GW_SSID_MAX || n != sl + 2 + pl || pl > WARD_GW_PSK_MAX ||
                (pl != 0 && pl < WARD_GW_PSK_MIN)) {
                err = WARD_ERR_FORMAT;
            } else {
                s->ssid_len = (uint8_t)sl;
                memcpy(s->ssid, rec + 1, sl);
                s->psk_len = (uint8_t)pl;
                memcpy(s->psk, rec + 2 + sl, pl);
                s->wifi_state = WARD_GW_WIFI_COMMITTED;
            }
        } else if (err == WARD_ERR_NOTFOUND) {
            err = WARD_OK;
        }
    }
    ward_wipe(rec, sizeof rec);
    if (err == WARD_OK) {
        err = gw_pop_key(cp, cfg->pop, cfg->mac, s->kp);
    }
    if (err != WARD_OK) {
        ward_wipe(gw, sizeof *gw);
    }
    return err;
}

void ward_gw_prov_close(ward_gw_prov *gw)
{
    if (gw != NULL) {
        ward_wipe(gw, sizeof *gw);
    }
}

ward_err ward_gw_prov_set_scan(ward_gw_prov *gw, const ward_gw_ssid *list, size_t n)
{
    WARD_ASSERT(gw != NULL && (list != NULL || n == 0));
    ward_gw_prov_state *s = st_of(gw);
    if (n > WARD_GW_SCAN_MAX) {
        return WARD_ERR_PARAM;
    }
    for (size_t i = 0; i < n; i++) {
        if (list[i].ssid_len == 0 || list[i].ssid_len > WARD_GW_SSID_MAX) {
            return WARD_ERR_PARAM;
        }
    }
    memset(s->scan, 0, sizeof s->scan);
    if (n > 0) {
        memcpy(s->scan, list, n * sizeof list[0]);
    }
    s->nscan = (uint8_t)n;
    return WARD_OK;
}

/* The back-off after WARD_GW_POP_FREE_FAILS wrong proofs in a row: 1 s,
 * doubling to 32 s, until a right one. */
static void pop_failed(ward_gw_prov_state *s, uint64_t now)
{
    if (s->pop_fails < 0xFFFFFFFFu) {
        s->pop_fails++;
    }
    if (s->pop_fails >= WARD_GW_POP_FREE_FAILS) {
        uint32_t k = s->pop_fails - WARD_GW_POP_FREE_FAILS;
        s->pop_until = now + (1000u << (k > 5 ? 5 : k));
    }
}

static ward_err search_answer(ward_gw_prov_state *s, const gw_search *q, uint8_t *out,
                              size_t cap, size_t *out_len)
{
    const ward_crypto *cp = s->cp;
    uint8_t g[WARD_P256_SCALAR_LEN], gpub[WARD_P256_POINT_LEN], ng[WARD_GW_NONCE_LEN];
    uint8_t shared[WARD_P256_SHARED_LEN], pt[GW_INFO_PT_MAX];
    size_t pt_len = 0, n = 0;
    gw_sess fresh;
    memset(&fresh, 0, sizeof fresh);
    ward_err err = cp->p256_point_check(q->pub);
    if (err == WARD_OK) {
        err = ward_p256_keygen(cp, &s->rng, g, gpub);
    }
    if (err == WARD_OK) {
        err = s->rng.fill(s->rng.ctx, ng, sizeof ng);
    }
    if (err == WARD_OK) {
        err = cp->p256_ecdh(g, q->pub, shared);
    }
    if (err == WARD_OK) {
        err = gw_lan_keys(cp, shared, s->cfg.pop, s->cfg.mac, q->pub, q->nonce, gpub, ng,
                          fresh.k_ag, fresh.k_ga);
    }
    if (err == WARD_OK) {
        ward_gw_info info;
        memset(&info, 0, sizeof info);
        memcpy(info.mac, s->cfg.mac, WARD_GW_MAC_LEN);
        memcpy(info.uuid, s->cfg.uuid, WARD_GW_UUID_LEN);
        info.reset_flag = s->cfg.reset_flag;
        memcpy(info.hash, s->cfg.hash, WARD_GW_HASH_LEN);
        info.last_failure = s->last_failure;
        info.tcp_port = s->cfg.tcp_port;
        info.state = (ward_gw_wifi_state)s->wifi_state;
        err = gw_info_encode(&info, pt, sizeof pt, &pt_len);
    }
    /* header || 0x01 G || 0x02 Ng || 0x03 AEAD(k_ga, nonce(GW, 0), ad = all before 0x03) */
    size_t body = WARD_TLV_SIZE(WARD_P256_POINT_LEN) + WARD_TLV_SIZE(WARD_GW_NONCE_LEN) +
                  WARD_TLV_SIZE(pt_len + WARD_AEAD_TAG_LEN);
    size_t total = WARD_HDR_BASE_LEN + body;
    if (err == WARD_OK && (total > cap || total > GW_SEARCH_MAX)) {
        err = WARD_ERR_NOSPACE;
    }
    if (err == WARD_OK) {
        ward_hdr h;
        size_t hl = 0;
        memset(&h, 0, sizeof h);
        h.version = WARD_PROTOCOL_VERSION;
        h.type = WARD_MSG_GW_SEARCH;
        h.flags = WARD_FLAG_REPLY | WARD_FLAG_SEALED;
        h.body_len = (uint16_t)body;
        err = ward_hdr_encode(&h, out, cap, &hl);
    }
    if (err == WARD_OK) {
        size_t o = WARD_HDR_BASE_LEN;
        out[o++] = 0x01;
        out[o++] = WARD_P256_POINT_LEN;
        memcpy(out + o, gpub, WARD_P256_POINT_LEN);
        o += WARD_P256_POINT_LEN;
        out[o++] = 0x02;
        out[o++] = WARD_GW_NONCE_LEN;
        memcpy(out + o, ng, WARD_GW_NONCE_LEN);
        o += WARD_GW_NONCE_LEN;
        size_t ad_len = o;
        out[o++] = GW_T_SEALED;
        out[o++] = (uint8_t)(pt_len + WARD_AEAD_TAG_LEN);
        uint8_t nonce[WARD_AEAD_NONCE_LEN];
        gw_nonce(GW_DIR_GW, 0, nonce);
        err = ward_aead_seal(cp, fresh.k_ga, nonce, out, ad_len, pt, pt_len, out + o, cap - o,
                             &n);
        if (err == WARD_OK) {
            *out_len = o + n;
        }
    }
    if (err == WARD_OK) {
        /* The new app holds the link only once a request of its own opens;
         * until then the app that holds it keeps it. */
        fresh.used = true;
        sess_wipe(&s->pend);
        s->pend = fresh;
    } else {
        *out_len = 0;
    }
    ward_wipe(&fresh, sizeof fresh);
    ward_wipe(g, sizeof g);
    ward_wipe(shared, sizeof shared);
    return err == WARD_ERR_FORMAT ? WARD_ERR_FORMAT : err;
}

ward_err ward_gw_prov_udp(ward_gw_prov *gw, uint64_t now_ms, const uint8_t *in, size_t len,
                          uint8_t *out, size_t cap, size_t *out_len)
{
    WARD_ASSERT(gw != NULL && (in != NULL || len == 0) && out != NULL && out_len != NULL);
    ward_gw_prov_state *s = st_of(gw);
    gw_search q;
    uint8_t d[32], proof[WARD_GW_PROOF_LEN];
    *out_len = 0;
    ward_err err = gw_search_parse(in, len, &q);
    if (err != WARD_OK) {
        return WARD_ERR_FORMAT;
    }
    if (memcmp(q.mac, s->cfg.mac, WARD_GW_MAC_LEN) != 0) {
        return WARD_ERR_NOTFOUND;   /* another gateway's: not ours to answer */
    }
    err = digest(s->cp, in, len, d);
    if (err != WARD_OK) {
        return err;
    }
    if (s->search_reply_len > 0 && memcmp(d, s->search_digest, sizeof d) == 0) {
        /* A retransmission: the same bytes again, never a second key. */
        if (cap < s->search_reply_len) {
            return WARD_ERR_NOSPACE;
        }
        memcpy(out, s->search_reply, s->search_reply_len);
        *out_len = s->search_reply_len;
        return WARD_OK;
    }
    if (now_ms < s->pop_until) {
        err = gw_error_msg(WARD_MSG_GW_SEARCH, 0, WARD_ERR_LOCKED, out, cap, out_len);
        return err != WARD_OK ? err : WARD_ERR_LOCKED;
    }
    /* The proof first: a stranger without the PoP costs one HMAC, no
     * key pair and no ECDH. */
    err = gw_proof(s->cp, s->kp, in, q.proof_off, proof);
    if (err != WARD_OK) {
        return err;
    }
    bool ok = ward_ct_equal(proof, q.proof, WARD_GW_PROOF_LEN);
    ward_wipe(proof, sizeof proof);
    if (!ok) {
        pop_failed(s, now_ms);
        err = gw_error_msg(WARD_MSG_GW_SEARCH, 0, WARD_ERR_AUTH, out, cap, out_len);
        return err != WARD_OK ? err : WARD_ERR_AUTH;
    }
    s->pop_fails = 0;
    s->pop_until = 0;
    err = search_answer(s, &q, out, cap, out_len);
    if (err == WARD_OK) {
        memcpy(s->search_digest, d, sizeof d);
        memcpy(s->search_reply, out, *out_len);
        s->search_reply_len = (uint16_t)*out_len;
    }
    return err;
}

/* Seals pt as the answer to sess's last request and keeps it. */
static ward_err answer(ward_gw_prov_state *s, gw_sess *ss, uint8_t type, uint8_t flags,
                       const uint8_t *pt, size_t pt_len, uint8_t *out, size_t cap,
                       size_t *out_len)
{
    size_t n = 0;
    ward_err err = gw_seal_msg(s->cp, ss->k_ga, GW_DIR_GW, type,
                               (uint8_t)(WARD_FLAG_REPLY | flags), ss->last_seq, pt, pt_len,
                               ss->reply, sizeof ss->reply, &n);
    if (err != WARD_OK) {
        return err;
    }
    ss->reply_len = (uint16_t)n;
    ss->owed = false;
    if (cap < n) {
        return WARD_ERR_NOSPACE;   /* kept: the retransmission gets it */
    }
    memcpy(out, ss->reply, n);
    *out_len = n;
    return WARD_OK;
}

static ward_err refuse(ward_gw_prov_state *s, gw_sess *ss, uint8_t type, ward_err code,
                       uint8_t *out, size_t cap, size_t *out_len)
{
    uint8_t body[3] = { 0x01, 1, (uint8_t)code };
    ward_err err = answer(s, ss, type, WARD_FLAG_ERROR, body, sizeof body, out, cap, out_len);
    return err != WARD_OK ? err : code;
}

static ward_err state_answer(ward_gw_prov_state *s, gw_sess *ss, uint8_t type, uint8_t *out,
                             size_t cap, size_t *out_len)
{
    uint8_t pt[8];
    size_t n = 0;
    ward_err err = gw_state_encode(s->wifi_state, s->last_failure, pt, sizeof pt, &n);
    if (err != WARD_OK) {
        return err;
    }
    return answer(s, ss, type, 0, pt, n, out, cap, out_len);
}

static ward_err do_wifi_set(ward_gw_prov_state *s, gw_sess *ss, uint64_t now,
                            ward_gw_event *ev, uint8_t *out, size_t cap, size_t *out_len)
{
    const uint8_t *ssid = NULL, *psk = NULL;
    size_t sl = 0, pl = 0;
    ward_err err = gw_wifi_set_parse(s->pt, s->pt_len, &ssid, &sl, &psk, &pl);
    if (err != WARD_OK) {
        return refuse(s, ss, WARD_MSG_GW_WIFI_SET, WARD_ERR_FORMAT, out, cap, out_len);
    }
    if (s->wifi_state == WARD_GW_WIFI_JOINING) {
        return refuse(s, ss, WARD_MSG_GW_WIFI_SET, WARD_ERR_BUSY, out, cap, out_len);
    }
    if (s->wifi_state != WARD_GW_WIFI_IDLE && s->wifi_state != WARD_GW_WIFI_FAILED) {
        return refuse(s, ss, WARD_MSG_GW_WIFI_SET, WARD_ERR_STATE, out, cap, out_len);
    }
    memset(s->ssid, 0, sizeof s->ssid);
    memcpy(s->ssid, ssid, sl);
    s->ssid_len = (uint8_t)sl;
    ward_wipe(s->psk, sizeof s->psk);
    memcpy(s->psk, psk, pl);
    s->psk_len = (uint8_t)pl;
    s->wifi_state = WARD_GW_WIFI_JOINING;
    s->failsafe_at = now + s->cfg.failsafe_ms;
    ev->type = WARD_GW_EV_JOIN;
    ev->ssid = s->ssid;
    ev->ssid_len = s->ssid_len;
    ev->psk = s->psk;
    ev->psk_len = s->psk_len;
    return state_answer(s, ss, WARD_MSG_GW_WIFI_SET, out, cap, out_len);
}

static ward_err do_commit(ward_gw_prov_state *s, gw_sess *ss, ward_gw_event *ev, uint8_t *out,
                          size_t cap, size_t *out_len)
{
    if (s->wifi_state == WARD_GW_WIFI_JOINED) {
        uint8_t rec[2 + WARD_GW_SSID_MAX + WARD_GW_PSK_MAX];
        uint8_t none = WARD_GW_FAIL_NONE;
        size_t o = 0;
        rec[o++] = s->ssid_len;
        memcpy(rec + o, s->ssid, s->ssid_len);
        o += s->ssid_len;
        rec[o++] = s->psk_len;
        memcpy(rec + o, s->psk, s->psk_len);
        o += s->psk_len;
        ward_record_change ch[2] = { { GW_REC_WIFI, rec, o, false },
                                     { GW_REC_FAILURE, &none, 1, false } };
        ward_err err = ward_store_update(&s->store, ch, 2);
        ward_wipe(rec, sizeof rec);
        if (err != WARD_OK) {
            /* Still joined, still armed: the app may try again. */
            return refuse(s, ss, WARD_MSG_GW_WIFI_COMMIT, WARD_ERR_IO, out, cap, out_len);
        }
        s->wifi_state = WARD_GW_WIFI_COMMITTED;
        s->last_failure = WARD_GW_FAIL_NONE;
        s->failsafe_at = 0;
        ev->type = WARD_GW_EV_COMMITTED;
        ev->ssid = s->ssid;
        ev->ssid_len = s->ssid_len;
    } else if (s->wifi_state != WARD_GW_WIFI_COMMITTED) {
        return refuse(s, ss, WARD_MSG_GW_WIFI_COMMIT, WARD_ERR_STATE, out, cap, out_len);
    }
    return state_answer(s, ss, WARD_MSG_GW_WIFI_COMMIT, out, cap, out_len);
}

static ward_err dispatch(ward_gw_prov_state *s, gw_sess *ss, uint8_t type, uint64_t now,
                         ward_gw_event *ev, uint8_t *out, size_t cap, size_t *out_len)
{
    const uint8_t *p = NULL;
    size_t n = 0, pl = 0;
    uint8_t pt[WARD_GW_SCAN_MAX * (WARD_GW_SSID_MAX + 2) + 8];
    ward_err err;
    switch (type) {
    case WARD_MSG_GW_SSID_LIST:
        if (s->pt_len != 0) {
            return refuse(s, ss, type, WARD_ERR_FORMAT, out, cap, out_len);
        }
        err = gw_list_encode(s->scan, s->nscan, pt, sizeof pt, &pl);
        return err != WARD_OK ? err : answer(s, ss, type, 0, pt, pl, out, cap, out_len);
    case WARD_MSG_GW_WIFI_SET:
        return do_wifi_set(s, ss, now, ev, out, cap, out_len);
    case WARD_MSG_GW_WIFI_STATUS:
        if (s->pt_len != 0) {
            return refuse(s, ss, type, WARD_ERR_FORMAT, out, cap, out_len);
        }
        return state_answer(s, ss, type, out, cap, out_len);
    case WARD_MSG_GW_WIFI_COMMIT:
        if (s->pt_len != 0) {
            return refuse(s, ss, type, WARD_ERR_FORMAT, out, cap, out_len);
        }
        return do_commit(s, ss, ev, out, cap, out_len);
    case WARD_MSG_GW_LAN_CLAIM:
    case WARD_MSG_GW_LAN_CREDENTIALS:
        err = gw_payload_parse(s->pt, s->pt_len,
                               type == WARD_MSG_GW_LAN_CLAIM ? WARD_GW_CLAIM_MAX
                                                         : WARD_GW_CREDENTIALS_MAX,
                               &p, &n);
        if (err != WARD_OK) {
            return refuse(s, ss, type, WARD_ERR_FORMAT, out, cap, out_len);
        }
        ss->owed = true;
        ss->owed_type = type;
        ev->type = type == WARD_MSG_GW_LAN_CLAIM ? WARD_GW_EV_CLAIM : WARD_GW_EV_CREDENTIALS;
        ev->data = p;
        ev->len = n;
        return WARD_OK;
    default:
        return WARD_ERR_FORMAT;
    }
}

/* Opens msg under ss's app -> gateway key into s->pt. */
static bool opens(ward_gw_prov_state *s, const gw_sess *ss, const uint8_t *in,
                  const ward_hdr *h, const uint8_t *sealed, size_t sealed_len)
{
    size_t n = 0;
    if (!ss->used) {
        return false;
    }
    if (gw_open_msg(s->cp, ss->k_ag, GW_DIR_APP, in, h, sealed, sealed_len, s->pt,
                    sizeof s->pt, &n) != WARD_OK) {
        s->pt_len = 0;
        return false;
    }
    s->pt_len = (uint16_t)n;
    return true;
}

ward_err ward_gw_prov_tcp(ward_gw_prov *gw, uint64_t now_ms, const uint8_t *in, size_t len,
                          ward_gw_event *ev, uint8_t *out, size_t cap, size_t *out_len)
{
    WARD_ASSERT(gw != NULL && (in != NULL || len == 0) && ev != NULL && out != NULL &&
                out_len != NULL);
    ward_gw_prov_state *s = st_of(gw);
    ward_hdr h;
    const uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    uint8_t d[32];
    memset(ev, 0, sizeof *ev);
    *out_len = 0;
    if (gw_parse_msg(in, len, &h, &sealed, &sealed_len) != WARD_OK ||
        h.flags != WARD_FLAG_SEALED || h.seq == 0 || h.type < WARD_MSG_GW_SSID_LIST ||
        h.type > WARD_MSG_GW_LAN_CREDENTIALS) {
        return WARD_ERR_FORMAT;
    }
    ward_err err = digest(s->cp, in, len, d);
    if (err != WARD_OK) {
        return err;
    }
    gw_sess *est = &s->est;
    if (est->used && h.seq == est->last_seq && memcmp(d, est->last_digest, sizeof d) == 0) {
        if (est->owed) {
            return WARD_ERR_BUSY;   /* its answer is the caller's to give */
        }
        if (cap < est->reply_len) {
            return WARD_ERR_NOSPACE;
        }
        memcpy(out, est->reply, est->reply_len);
        *out_len = est->reply_len;
        return WARD_OK;
    }
    gw_sess *ss = NULL;
    if (est->used && h.seq > est->last_seq && opens(s, est, in, &h, sealed, sealed_len)) {
        ss = est;
    } else if (opens(s, &s->pend, in, &h, sealed, sealed_len)) {
        /* A new app proved the PoP (its keys hold it): it takes the link. */
        sess_wipe(est);
        *est = s->pend;
        sess_wipe(&s->pend);
        ss = est;
    } else if (est->used && h.seq <= est->last_seq) {
        return WARD_ERR_AUTH;       /* a replay, or an old request: no answer */
    } else {
        err = gw_error_msg(h.type, h.seq, WARD_ERR_AUTH, out, cap, out_len);
        return err != WARD_OK ? err : WARD_ERR_AUTH;
    }
    ss->last_seq = h.seq;
    memcpy(ss->last_digest, d, sizeof d);
    ss->owed = false;
    ss->reply_len = 0;
    err = dispatch(s, ss, h.type, now_ms, ev, out, cap, out_len);
    if (ev->type != WARD_GW_EV_CLAIM && ev->type != WARD_GW_EV_CREDENTIALS) {
        ward_wipe(s->pt, sizeof s->pt);
        s->pt_len = 0;
    }
    return err;
}

ward_err ward_gw_prov_answer(ward_gw_prov *gw, const uint8_t *ans, size_t ans_len,
                             uint8_t *out, size_t cap, size_t *out_len)
{
    WARD_ASSERT(gw != NULL && (ans != NULL || ans_len == 0) && out != NULL && out_len != NULL);
    ward_gw_prov_state *s = st_of(gw);
    gw_sess *ss = &s->est;
    uint8_t pt[WARD_GW_LAN_PAYLOAD_MAX + WARD_TLV_HDR_MAX];
    size_t n = 0;
    *out_len = 0;
    if (!ss->used || !ss->owed) {
        return WARD_ERR_STATE;
    }
    size_t max = ss->owed_type == WARD_MSG_GW_LAN_CLAIM ? WARD_GW_REGISTRATION_MAX
                                                        : WARD_GW_ACK_MAX;
    if (ans_len == 0 || ans_len > max) {
        return WARD_ERR_PARAM;
    }
    ward_wipe(s->pt, sizeof s->pt);
    s->pt_len = 0;
    ward_err err = gw_payload_encode(ans, ans_len, pt, sizeof pt, &n);
    if (err == WARD_OK) {
        err = answer(s, ss, ss->owed_type, 0, pt, n, out, cap, out_len);
    }
    ward_wipe(pt, sizeof pt);
    return err;
}

ward_err ward_gw_prov_refuse(ward_gw_prov *gw, ward_err code, uint8_t *out, size_t cap,
                             size_t *out_len)
{
    WARD_ASSERT(gw != NULL && out != NULL && out_len != NULL);
    ward_gw_prov_state *s = st_of(gw);
    gw_sess *ss = &s->est;
    *out_len = 0;
    if (!ss->used || !ss->owed) {
        return WARD_ERR_STATE;
    }
    if (code == WARD_OK || code >= WARD_ERR_COUNT) {
        return WARD_ERR_PARAM;
    }
    ward_wipe(s->pt, sizeof s->pt);
    s->pt_len = 0;
    ward_err err = refuse(s, ss, ss->owed_type, code, out, cap, out_len);
    return err == code ? WARD_OK : err;
}

ward_err ward_gw_prov_join_result(ward_gw_prov *gw, uint8_t failure)
{
    WARD_ASSERT(gw != NULL);
    ward_gw_prov_state *s = st_of(gw);
    if (s->wifi_state != WARD_GW_WIFI_JOINING) {
        return WARD_ERR_STATE;
    }
    if (failure > WARD_GW_FAIL_MAX || failure == WARD_GW_FAIL_ROLLBACK) {
        return WARD_ERR_PARAM;
    }
    if (failure == WARD_GW_FAIL_NONE) {
        s->wifi_state = WARD_GW_WIFI_JOINED;   /* still armed until WIFI_COMMIT */
        return WARD_OK;
    }
    /* A wrong password costs nothing but this try: the next WIFI_SET is
     * welcome, no reset needed. */
    s->wifi_state = WARD_GW_WIFI_FAILED;
    forget_join(s);
    return put_failure(s, failure);
}

ward_err ward_gw_prov_tick(ward_gw_prov *gw, uint64_t now_ms, ward_gw_event *ev)
{
    WARD_ASSERT(gw != NULL && ev != NULL);
    ward_gw_prov_state *s = st_of(gw);
    memset(ev, 0, sizeof *ev);
    if ((s->wifi_state == WARD_GW_WIFI_JOINING || s->wifi_state == WARD_GW_WIFI_JOINED) &&
        now_ms >= s->failsafe_at) {
        s->wifi_state = WARD_GW_WIFI_IDLE;
        forget_join(s);
        ev->type = WARD_GW_EV_ROLLBACK;
        ev->ssid = s->ssid;
        ev->ssid_len = s->ssid_len;
        return put_failure(s, WARD_GW_FAIL_ROLLBACK);
    }
    return WARD_OK;
}

void ward_gw_prov_status(const ward_gw_prov *gw, ward_gw_status *st)
{
    WARD_ASSERT(gw != NULL && st != NULL);
    const ward_gw_prov_state *s = cst_of(gw);
    memset(st, 0, sizeof *st);
    st->state = (ward_gw_wifi_state)s->wifi_state;
    st->last_failure = s->last_failure;
    memcpy(st->ssid, s->ssid, s->ssid_len);
    st->ssid_len = s->ssid_len;
}

ward_err ward_gw_prov_wifi(const ward_gw_prov *gw, uint8_t ssid[WARD_GW_SSID_MAX],
                           size_t *ssid_len, uint8_t psk[WARD_GW_PSK_MAX], size_t *psk_len)
{
    WARD_ASSERT(gw != NULL && ssid != NULL && ssid_len != NULL && psk != NULL &&
                psk_len != NULL);
    const ward_gw_prov_state *s = cst_of(gw);
    *ssid_len = 0;
    *psk_len = 0;
    if (s->wifi_state != WARD_GW_WIFI_COMMITTED) {
        return WARD_ERR_NOTFOUND;
    }
    memcpy(ssid, s->ssid, s->ssid_len);
    *ssid_len = s->ssid_len;
    memcpy(psk, s->psk, s->psk_len);
    *psk_len = s->psk_len;
    return WARD_OK;
}
