/* The device's half of flow D binding: PIN_REQUEST, PAKE_INIT, PAKE_FINISH, PAKE_END. */
#include <string.h>

#include "ward/ward_device.h"
#include "ward/ward_suite.h"
#include "ward_inner.h"
#include "lock_inner.h"
#include "dev_inner.h"
#include "proto_inner.h"

static bool same(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* The window may close at now (its time run out, its attempts spent with
 * nothing left in a PAKE): a binding message outside one is LOCKED. */
static bool window_open(ward_device *dev, uint64_t now)
{
    ward_err ignored;   /* a failed removal leaves the window closing:
                           it takes no binding, and the next look (this
                           one's next call, ward_dev_window_state) tries
                           the removal again */
    return ward_dev_window_sync(dev, now, &ignored);
}

/* The binding of (kind, tid, CliID): two apps never share one, because
 * they differ in port near-field, in cloud id far-field, or in CliID. */
static ward_dev_binding *bind_find(ward_device *dev, uint8_t kind,
                                   const uint8_t *tid, size_t tid_len,
                                   const ward_hdr *h)
{
    for (size_t i = 0; i < WARD_DEV_MAX_BINDINGS; i++) {
        ward_dev_binding *b = &dev_st(dev)->bind[i];
        if (b->stage != DEV_STAGE_FREE && b->kind == kind &&
            same(b->tid, b->tid_len, tid, tid_len) &&
            same(b->client_id, b->client_id_len, h->client_id,
                 h->client_id_len)) {
            return b;
        }
    }
    return NULL;
}

/* UDIDx, app name, and (optional: an older app sends none, and cannot
 * end its binding early) the commitment to the app's PAKE_END token. */
static const ward_tlv_spec pin_req_spec[] = {
    { 0x01, true, 1, WARD_DEV_UDIDX_MAX },
    { 0x02, true, 1, WARD_DEV_APP_NAME_MAX },
    { DEV_TAG_END_COMMIT, false, WARD_DEV_END_TOKEN_LEN, WARD_DEV_END_TOKEN_LEN },
};

/* How a PIN_REQUEST gets its binding (take_slot). */
enum { SLOT_FRESH = 0, SLOT_AGAIN, SLOT_TAKEOVER };

/* The slot for a new binding. The app's own binding while it waits for
 * PAKE_INIT is answered again as it is (same salt, same UDIDx and name:
 * a lost answer resent, or a copy of the PIN_REQUEST replayed), never
 * replaced: the transport id and CliID travel in clear, so anyone on the
 * path can forge a PIN_REQUEST with other fields, and a new salt would
 * make the genuine app's PAKE fail as a wrong PIN (WARD_ERR_STATE when
 * the fields differ). A binding in its PAKE is never replaced either
 * (WARD_ERR_STATE): it has spent an attempt, and it ends within
 * WARD_DEV_PAKE_TTL_MS. Otherwise a free slot, or else the oldest binding
 * still waiting for PAKE_INIT is taken over: that costs the window one
 * attempt (SLOT_TAKEOVER, counted by the caller before it answers), so
 * PIN_REQUESTs from strangers knock genuine apps out at most
 * WARD_DEV_PIN_MAX_ATTEMPTS times per window, no more than their wrong
 * PAKE_INITs could spend, and a stranger still cannot hold the slots
 * for free. With every slot in its PAKE, WARD_ERR_BUSY. */
static ward_err take_slot(ward_device *dev, uint8_t kind, const uint8_t *tid,
                          size_t tid_len, const ward_hdr *h,
                          const ward_tlv_field f[3], uint64_t now,
                          ward_dev_binding **slot, int *how)
{
    ward_dev_binding *b = bind_find(dev, kind, tid, tid_len, h);
    *how = SLOT_FRESH;
    if (b != NULL && ward_dev_bind_live(dev, b, now)) {
        if (b->stage != DEV_STAGE_PIN ||
            !same(b->udidx, b->udidx_len, f[0].ptr, f[0].len) ||
            !same(b->app_name, b->app_name_len, f[1].ptr, f[1].len)) {
            return WARD_ERR_STATE;
        }
        *how = SLOT_AGAIN;
        *slot = b;
        return WARD_OK;
    }
    b = NULL;
    for (size_t i = 0; b == NULL && i < WARD_DEV_MAX_BINDINGS; i++) {
        if (!ward_dev_bind_live(dev, &dev_st(dev)->bind[i], now)) {
            b = &dev_st(dev)->bind[i];
        }
    }
    if (b == NULL) {
        for (size_t i = 0; i < WARD_DEV_MAX_BINDINGS; i++) {
            ward_dev_binding *o = &dev_st(dev)->bind[i];
            if (o->stage == DEV_STAGE_PIN && (b == NULL || o->since_ms < b->since_ms)) {
                b = o;
            }
        }
        *how = SLOT_TAKEOVER;
    }
    *slot = b;
    return b != NULL ? WARD_OK : WARD_ERR_BUSY;
}

/* The PIN_REQUEST answer for binding b (device id, name, type, its
 * salt), and the event that shows the window's PIN. */
static ward_err pin_answer(ward_device *dev, const ward_dev_binding *b,
                           const ward_hdr *h, const ward_dev_info *info,
                           uint8_t *out, size_t cap, size_t *out_len,
                           ward_dev_event *ev)
{
    uint8_t ans[WARD_TLV_SIZE(WARD_DEV_ID_MAX) + WARD_TLV_SIZE(WARD_DEV_NAME_MAX) +
                WARD_TLV_SIZE(WARD_DEV_TYPE_MAX) +
                WARD_TLV_SIZE(WARD_DEV_SALT_LEN)];
    size_t ans_len = 0;
    ward_tlv_writer w;
    ward_hdr ah;
    ward_tlv_writer_init(&w, ans, sizeof ans);
    ward_tlv_put(&w, 0x01, (const uint8_t *)info->id, strlen(info->id));
    ward_tlv_put(&w, 0x02, (const uint8_t *)info->name, strlen(info->name));
    ward_tlv_put(&w, 0x03, (const uint8_t *)info->type, strlen(info->type));
    ward_tlv_put(&w, 0x04, b->salt, sizeof b->salt);
    ward_err err = ward_tlv_writer_finish(&w, &ans_len);
    if (err == WARD_OK) {
        ward_dev_answer_hdr(h, h->type, WARD_FLAG_REPLY, &ah);
        err = ward_dev_plain_answer(&ah, ans, ans_len, out, cap, out_len);
    }
    if (err == WARD_OK) {
        ev->type = WARD_DEV_EV_SHOW_PIN;
        memcpy(ev->pin, dev_st(dev)->win.pin, WARD_DEV_PIN_LEN);
        ev->pin[WARD_DEV_PIN_LEN] = '\0';
    }
    return err;
}

ward_err ward_dev_on_pin_request(ward_device *dev, uint8_t kind,
                                 const uint8_t *tid, size_t tid_len,
                                 const ward_hdr *h, const uint8_t *body,
                                 uint8_t *out, size_t cap, size_t *out_len,
                                 ward_dev_event *ev)
{
    ward_tlv_field f[3];
    ward_dev_info info;
    uint64_t now = 0;

    ward_err err = ward_tlv_parse(body, h->body_len, pin_req_spec, 3, f);
    if (err == WARD_OK && !ward_proto_canonical(f, 3, h->body_len)) {
        err = WARD_ERR_FORMAT;
    }
    if (err == WARD_OK && (h->key_index != 0 || h->flags != 0)) {
        err = WARD_ERR_FORMAT;
    }
    if (err == WARD_OK) {
        err = ward_dev_get_info(dev, &info);
    }
    if (err == WARD_OK) {
        err = ward_dev_now(dev, &now);
    }
    if (err != WARD_OK) {
        return err;
    }
    /* Only inside a window a local action opened, with attempts left. */
    if (!window_open(dev, now) || !ward_dev_window_has_attempts(dev)) {
        return WARD_ERR_LOCKED;
    }
    ward_dev_binding *b = NULL;
    int how = SLOT_FRESH;
    err = take_slot(dev, kind, tid, tid_len, h, f, now, &b, &how);
    /* A takeover is counted before the answer: a power cut after it
     * cannot give the attempt back. */
    if (err == WARD_OK && how == SLOT_TAKEOVER) {
        err = ward_dev_window_count(dev);
    }
    if (err != WARD_OK) {
        return err;
    }
    if (how == SLOT_AGAIN) {
        return pin_answer(dev, b, h, &info, out, cap, out_len, ev);
    }
    ward_dev_bind_free(b);
    b->kind = kind;
    b->tid_len = (uint8_t)tid_len;
    memcpy(b->tid, tid, tid_len);
    b->client_id_len = h->client_id_len;
    memcpy(b->client_id, h->client_id, h->client_id_len);
    b->udidx_len = (uint8_t)f[0].len;
    memcpy(b->udidx, f[0].ptr, f[0].len);
    b->app_name_len = (uint8_t)f[1].len;
    memcpy(b->app_name, f[1].ptr, f[1].len);
    if (f[2].present) {
        b->has_end = 1;
        memcpy(b->end_commit, f[2].ptr, WARD_DEV_END_TOKEN_LEN);
    }
    b->since_ms = now;
    /* A fresh salt per binding: every app of the window types the one
     * PIN, and each gets its own w0, w1 and data key. */
    err = dev_lk(dev)->rng.fill(dev_lk(dev)->rng.ctx, b->salt, sizeof b->salt);
    if (err == WARD_OK) {
        b->stage = DEV_STAGE_PIN;
        err = pin_answer(dev, b, h, &info, out, cap, out_len, ev);
    }
    if (err != WARD_OK) {
        ward_dev_bind_free(b);
    }
    return err;
}

/* Where the app goes: its own slot if this UDIDx and CliID are bound (a
 * binding again replaces the node and its key), else a free one. */
static ward_err node_slot(const ward_device *dev, const ward_dev_binding *b,
                          size_t *slot, bool *again)
{
    size_t free_slot = WARD_MAX_NODES;
    for (size_t s = 0; s < WARD_MAX_NODES; s++) {
        const ward_dev_node *n = &dev_cst(dev)->nodes[s];
        if (!n->used) {
            if (free_slot == WARD_MAX_NODES) {
                free_slot = s;
            }
            continue;
        }
        if (same(n->udidx, n->udidx_len, b->udidx, b->udidx_len) &&
            same(n->client_id, n->client_id_len, b->client_id,
                 b->client_id_len)) {
            *slot = s;
            *again = true;
            return WARD_OK;
        }
    }
    *again = false;
    *slot = free_slot;
    return free_slot == WARD_MAX_NODES ? WARD_ERR_NOSPACE : WARD_OK;
}

/* Whether key index ki is held: by a bound node, or reserved by another
 * binding past PAKE_INIT (it names that binding until PAKE_FINISH). */
static bool index_taken(const ward_device *dev, const ward_dev_binding *self,
                        unsigned ki, uint64_t now)
{
    bool taken = false;
    for (size_t s = 0; s < WARD_MAX_NODES; s++) {
        taken = taken || (dev_cst(dev)->nodes[s].used && dev_cst(dev)->nodes[s].key_index == ki);
    }
    for (size_t i = 0; i < WARD_DEV_MAX_BINDINGS; i++) {
        const ward_dev_binding *o = &dev_cst(dev)->bind[i];
        taken = taken || (o != self && o->stage == DEV_STAGE_PAKE &&
                          ward_dev_bind_live(dev, o, now) &&
                          o->key_index == ki);
    }
    return taken;
}

/* A key index no bound node uses (the app binding again included, so
 * its new index differs from its old) and no other binding reserved. */
static ward_err next_key_index(const ward_device *dev,
                               const ward_dev_binding *self, uint64_t now,
                               uint8_t *ki)
{
    uint8_t rec[1];
    size_t len = 0;
    unsigned cand = 1;
    ward_err err = ward_store_get(&dev_clk(dev)->store, DEV_REC_NEXT_KEY, rec,
                                  sizeof rec, &len);
    if (err == WARD_OK && len == 1 && rec[0] != 0) {
        cand = rec[0];
    } else if (err != WARD_ERR_NOTFOUND && err != WARD_OK) {
        return err;
    }
    for (unsigned tries = 0; tries < 255u; tries++) {
        if (!index_taken(dev, self, cand, now)) {
            *ki = (uint8_t)cand;
            return WARD_OK;
        }
        cand = cand == 255u ? 1u : cand + 1u;
    }
    return WARD_ERR_NOSPACE;
}

/* The PAKE_INIT answer after its header: compressed shareV, confirmV,
 * then the device's name and type sealed under the new data key. */
static ward_err pake_answer(ward_device *dev, const ward_dev_binding *b,
                            const ward_dev_info *info,
                            const uint8_t data_key[WARD_DEV_DATA_KEY_LEN],
                            const uint8_t share_v[WARD_SPAKE2P_SHARE_LEN],
                            const uint8_t confirm_v[WARD_SPAKE2P_CONFIRM_LEN],
                            uint8_t *out, size_t cap, size_t *out_len)
{
    uint8_t pt[WARD_TLV_SIZE(WARD_DEV_NAME_MAX) +
               WARD_TLV_SIZE(WARD_DEV_TYPE_MAX)];
    size_t pt_len = 0, hlen = 0, ct_len = 0;
    ward_tlv_writer w;
    ward_hdr ah;
    *out_len = 0;
    ward_tlv_writer_init(&w, pt, sizeof pt);
    ward_tlv_put(&w, 0x01, (const uint8_t *)info->name, strlen(info->name));
    ward_tlv_put(&w, 0x02, (const uint8_t *)info->type, strlen(info->type));
    ward_err err = ward_tlv_writer_finish(&w, &pt_len);
    if (err != WARD_OK) {
        return err;
    }
    /* No CliID: the app knows who it is, and finds its binding by the
     * exchange it has in flight. The key index rides in the header, so
     * the tag covers it. */
    memset(&ah, 0, sizeof ah);
    ah.version = WARD_PROTOCOL_VERSION;
    ah.type = WARD_MSG_DEV_PAKE_INIT;
    ah.flags = WARD_FLAG_REPLY | WARD_FLAG_SEALED;
    ah.key_index = b->key_index;
    ah.body_len = (uint16_t)(WARD_P256_COMPRESSED_LEN +
                             WARD_SPAKE2P_CONFIRM_LEN + pt_len +
                             WARD_AEAD_TAG_LEN);
    err = ward_hdr_encode(&ah, out, cap, &hlen);
    if (err == WARD_OK && cap - hlen < ah.body_len) {
        err = WARD_ERR_NOSPACE;
    }
    if (err == WARD_OK) {
        uint8_t *p = out + hlen;
        ward_p256_compress(share_v, p);
        p += WARD_P256_COMPRESSED_LEN;
        memcpy(p, confirm_v, WARD_SPAKE2P_CONFIRM_LEN);
        p += WARD_SPAKE2P_CONFIRM_LEN;
        size_t ad_len = (size_t)(p - out);
        err = ward_dev_pake_seal(dev_lk(dev)->cp, data_key, out, ad_len,
                                 b->app_name, b->app_name_len, pt, pt_len, p,
                                 cap - ad_len, &ct_len);
    }
    if (err == WARD_OK) {
        *out_len = hlen + ah.body_len;
    }
    ward_wipe(pt, sizeof pt);
    return err;
}

ward_err ward_dev_on_pake_init(ward_device *dev, uint8_t kind,
                               const uint8_t *tid, size_t tid_len,
                               const ward_hdr *h, const uint8_t *body,
                               uint8_t *out, size_t cap, size_t *out_len,
                               ward_dev_event *ev)
{
    ward_dev_info info;
    uint64_t now = 0;
    uint8_t w0[WARD_P256_SCALAR_LEN], w1[WARD_P256_SCALAR_LEN];
    uint8_t l[WARD_P256_POINT_LEN], share_p[WARD_SPAKE2P_SHARE_LEN];
    uint8_t share_v[WARD_SPAKE2P_SHARE_LEN], confirm_v[WARD_SPAKE2P_CONFIRM_LEN];
    uint8_t data_key[WARD_DEV_DATA_KEY_LEN];
    uint8_t early[WARD_SPAKE2P_KEY_LEN];
    size_t slot = 0;
    bool again = false;
    uint8_t ki = 0;
    (void)ev;

    /* The body is shareP, compressed: fixed size, no fields. */
    if (h->body_len != WARD_P256_COMPRESSED_LEN || h->key_index != 0 ||
        h->flags != 0) {
        return WARD_ERR_FORMAT;
    }
    ward_err err = ward_dev_now(dev, &now);
    if (err != WARD_OK) {
        return err;
    }
    if (!window_open(dev, now)) {
        return WARD_ERR_LOCKED;   /* its closing ended every binding */
    }
    ward_dev_binding *b = bind_find(dev, kind, tid, tid_len, h);
    if (b == NULL) {
        return WARD_ERR_NOTFOUND;   /* none, or another app took the slot */
    }
    if (b->stage != DEV_STAGE_PIN) {
        return WARD_ERR_STATE;   /* one PAKE per PIN_REQUEST */
    }
    if (!ward_dev_window_has_attempts(dev)) {
        ward_dev_bind_free(b);   /* spent by others' bindings in flight */
        return WARD_ERR_LOCKED;
    }
    /* Bytes that are no point cost no attempt: they test no PIN. */
    err = dev_lk(dev)->cp->p256_decompress(body, share_p);
    if (err == WARD_OK) {
        err = ward_dev_get_info(dev, &info);
    }
    /* Room for the node and a key index to name it, before the attempt
     * is spent: the answer carries the index. */
    if (err == WARD_OK) {
        err = node_slot(dev, b, &slot, &again);
    }
    if (err == WARD_OK) {
        err = next_key_index(dev, b, now, &ki);
    }
    /* The attempt is stored before the answer that lets a guesser test
     * one PIN: a power cut after the answer cannot give it back. */
    if (err == WARD_OK) {
        err = ward_dev_window_count(dev);
    }
    if (err != WARD_OK) {
        if (err == WARD_ERR_NOSPACE) {
            ward_dev_bind_free(b);   /* no binding could come of it */
        }
        return err;
    }
    err = ward_dev_pin_w(dev_lk(dev)->cp, dev_st(dev)->win.pin, WARD_DEV_PIN_LEN,
                         (const uint8_t *)info.id, strlen(info.id), b->udidx,
                         b->udidx_len, b->client_id, b->client_id_len, b->salt,
                         w0, w1);
    /* This binding has had its one attempt; its slot is held at most
     * WARD_DEV_PAKE_TTL_MS from now. */
    b->stage = DEV_STAGE_PAKE;
    b->since_ms = now;
    b->key_index = ki;
    if (err == WARD_OK) {
        err = ward_spake2p_register(dev_lk(dev)->cp, w1, l);
    }
    if (err == WARD_OK) {
        /* The transcript keeps the uncompressed shares (RFC 9383). */
        err = ward_spake2p_verifier_respond(
            &b->pake, dev_lk(dev)->cp, &dev_lk(dev)->rng,
            (const uint8_t *)WARD_DEV_PAKE_CONTEXT, WARD_DEV_PAKE_CONTEXT_LEN,
            b->client_id, b->client_id_len,
            (const uint8_t *)info.id, strlen(info.id), w0, l, share_p,
            share_v, confirm_v);
    }
    if (err == WARD_OK) {
        /* The verifier holds the shared key once it has responded; only
         * a prover who knew the PIN derives it too, so the info sealed
         * under it reaches nobody else. Nothing is stored until confirmP
         * verifies in PAKE_FINISH. */
        err = ward_spake2p_verifier_early_key(&b->pake, early);
    }
    if (err == WARD_OK) {
        err = ward_dev_data_key(dev_lk(dev)->cp, early,
                                (const uint8_t *)info.id, strlen(info.id),
                                b->udidx, b->udidx_len, b->client_id,
                                b->client_id_len, b->salt, data_key);
    }
    ward_wipe(early, sizeof early);
    if (err == WARD_OK) {
        err = pake_answer(dev, b, &info, data_key, share_v, confirm_v, out,
                          cap, out_len);
    }
    if (err != WARD_OK) {
        *out_len = 0;
        ward_dev_bind_free(b);   /* its attempt stays counted */
    }
    ward_wipe(w0, sizeof w0);
    ward_wipe(w1, sizeof w1);
    ward_wipe(data_key, sizeof data_key);
    return err;
}

/* The binding PAKE_FINISH names: by the key index reserved for it at
 * PAKE_INIT (unique among bindings and nodes, so it separates apps as the
 * CliID does), on the same transport. A CliID, if sent, must match. */
static ward_dev_binding *bind_find_index(ward_device *dev, uint8_t kind,
                                         const uint8_t *tid, size_t tid_len,
                                         const ward_hdr *h)
{
    for (size_t i = 0; i < WARD_DEV_MAX_BINDINGS; i++) {
        ward_dev_binding *b = &dev_st(dev)->bind[i];
        if (b->stage == DEV_STAGE_PAKE && b->kind == kind &&
            b->key_index == h->key_index &&
            same(b->tid, b->tid_len, tid, tid_len) &&
            (h->client_id_len == 0 ||
             same(b->client_id, b->client_id_len, h->client_id,
                  h->client_id_len))) {
            return b;
        }
    }
    return NULL;
}

ward_err ward_dev_on_pake_finish(ward_device *dev, uint8_t kind,
                                 const uint8_t *tid, size_t tid_len,
                                 const ward_hdr *h, const uint8_t *msg,
                                 size_t msg_len, size_t body_off,
                                 uint8_t *out, size_t cap, size_t *out_len,
                                 ward_dev_event *ev)
{
    ward_dev_info info;
    uint64_t now = 0;
    uint8_t shared[WARD_SPAKE2P_KEY_LEN];
    uint8_t rec[WARD_DEV_NODE_REC_MAX], next_rec[1];
    uint8_t win_rec[DEV_WINDOW_LEN];
    uint8_t refund = 0;
    size_t slot = 0;
    bool again = false;
    dev_node_rec r;
    ward_hdr ah;
    uint8_t ki = 0;

    memset(&r, 0, sizeof r);
    /* The body is confirmP alone: fixed size, no fields. */
    if (h->key_index == 0 || h->flags != 0 ||
        h->body_len != WARD_SPAKE2P_CONFIRM_LEN ||
        msg_len - body_off != WARD_SPAKE2P_CONFIRM_LEN) {
        return WARD_ERR_FORMAT;
    }
    ward_err err = ward_dev_now(dev, &now);
    if (err != WARD_OK) {
        return err;
    }
    if (!window_open(dev, now)) {
        return WARD_ERR_LOCKED;
    }
    ward_dev_binding *b = bind_find_index(dev, kind, tid, tid_len, h);
    if (b == NULL) {
        return WARD_ERR_NOTFOUND;
    }
    if (!ward_dev_bind_live(dev, b, now)) {
        ward_dev_bind_free(b);
        (void)window_open(dev, now);
        return WARD_ERR_EXPIRED;
    }
    ki = b->key_index;
    err = ward_dev_get_info(dev, &info);
    if (err == WARD_OK) {
        err = ward_spake2p_verifier_finish(&b->pake, dev_lk(dev)->cp,
                                           msg + body_off, shared);
    }
    if (err == WARD_OK) {
        err = ward_dev_data_key(dev_lk(dev)->cp, shared, (const uint8_t *)info.id,
                                strlen(info.id), b->udidx, b->udidx_len,
                                b->client_id, b->client_id_len, b->salt,
                                r.data_key);
    }
    if (err == WARD_OK) {
        err = node_slot(dev, b, &slot, &again);
    }
    if (err == WARD_OK && index_taken(dev, b, ki, now)) {
        err = WARD_ERR_STATE;   /* cannot happen: reserved at PAKE_INIT */
    }
    if (err == WARD_OK) {
        next_rec[0] = (uint8_t)(ki == 255u ? 1u : ki + 1u);
        r.node.used = 1;
        r.node.key_index = ki;
        r.node.udidx_len = b->udidx_len;
        memcpy(r.node.udidx, b->udidx, b->udidx_len);
        r.node.client_id_len = b->client_id_len;
        memcpy(r.node.client_id, b->client_id, b->client_id_len);
        if (again) {
            /* wardd's cloud id is per (device, app): it outlives the key. */
            r.node.cloud_id_len = dev_st(dev)->nodes[slot].cloud_id_len;
            memcpy(r.node.cloud_id, dev_st(dev)->nodes[slot].cloud_id,
                   dev_st(dev)->nodes[slot].cloud_id_len);
        }
        r.bound_at_ms = now;
        /* The name from PIN_REQUEST: the app checked it in the answer's
         * AD, and confirmP says it did. */
        r.name_len = b->app_name_len;
        memcpy(r.name, b->app_name, b->app_name_len);
        /* A success gives its attempt back to the window: what the window
         * counts are failures (and attempts still in flight). This
         * binding's own attempt is among them: counted at its PAKE_INIT
         * in this window (bindings do not outlive one), refunded once. */
        WARD_ASSERT(dev_st(dev)->win.fails > 0);
        refund = (uint8_t)(dev_st(dev)->win.fails - 1u);
        ward_dev_window_encode(&dev_st(dev)->win, refund, win_rec);
        ward_record_change ch[3] = {
            { (uint16_t)(DEV_REC_NODE_FIRST + slot), rec, 0, false },
            { DEV_REC_NEXT_KEY, next_rec, 1, false },
            { DEV_REC_WINDOW, win_rec, sizeof win_rec, false },
        };
        ch[0].len = ward_dev_node_encode(&r, rec);
        /* The node, its fresh key index and the refund land together or
         * not at all. */
        err = ward_store_update(&dev_lk(dev)->store, ch, 3);
    }
    if (err == WARD_OK) {
        dev_st(dev)->win.fails = refund;
        if (again) {
            ward_dev_channels_close(dev, slot);
        }
        dev_st(dev)->nodes[slot] = r.node;
        if (kind == WARD_DEV_NEAR) {
            dev_st(dev)->nodes[slot].near_len = (uint8_t)tid_len;
            memcpy(dev_st(dev)->nodes[slot].near_tid, tid, tid_len);
        }
        ev->type = WARD_DEV_EV_BOUND;
        ev->key_index = ki;
        /* The app has everything; this empty answer only gives request-
         * answer transports (CoAP, wardd's relay) something to carry. */
        memset(&ah, 0, sizeof ah);
        ah.version = WARD_PROTOCOL_VERSION;
        ah.type = WARD_MSG_DEV_PAKE_FINISH;
        ah.flags = WARD_FLAG_REPLY;
        ah.key_index = ki;
        if (ward_dev_plain_answer(&ah, NULL, 0, out, cap, out_len) !=
            WARD_OK) {
            *out_len = 0;   /* bound all the same */
        }
    }
    /* Success or not, this binding is over (PAKE_END is implicit); a
     * failure frees its slot now, and may close a spent window. */
    ward_dev_bind_free(b);
    (void)window_open(dev, now);
    ward_wipe(shared, sizeof shared);
    ward_wipe(rec, sizeof rec);
    ward_wipe(win_rec, sizeof win_rec);
    ward_wipe(&r, sizeof r);
    return err;
}

static const ward_tlv_spec pake_end_spec[] = {
    { DEV_TAG_END_TOKEN, true, WARD_DEV_END_TOKEN_LEN, WARD_DEV_END_TOKEN_LEN },
};

/* Whether a PAKE_END's body opens b's commitment. The transport id and
 * CliID that name b travel in clear; the token is the app's secret until
 * this message, so only the app that asked can end its binding. */
static bool end_token_opens(ward_device *dev, const ward_dev_binding *b,
                            const ward_hdr *h, const uint8_t *body)
{
    ward_tlv_field f[1];
    uint8_t commit[WARD_DEV_END_TOKEN_LEN];
    bool ok = false;
    if (!b->has_end || h->body_len == 0 ||
        ward_tlv_parse(body, h->body_len, pake_end_spec, 1, f) != WARD_OK ||
        !ward_proto_canonical(f, 1, h->body_len)) {
        return false;
    }
    if (ward_dev_end_commit(dev_lk(dev)->cp, f[0].ptr, commit) == WARD_OK) {
        ok = ward_ct_equal(commit, b->end_commit, sizeof commit);
    }
    ward_wipe(commit, sizeof commit);
    return ok;
}

ward_err ward_dev_on_pake_end(ward_device *dev, uint8_t kind,
                              const uint8_t *tid, size_t tid_len,
                              const ward_hdr *h, const uint8_t *body,
                              uint8_t *out, size_t cap, size_t *out_len)
{
    ward_hdr ah;
    if (h->key_index != 0 || h->flags != 0 ||
        (h->body_len != 0 && h->body_len != WARD_TLV_SIZE(WARD_DEV_END_TOKEN_LEN))) {
        return WARD_ERR_FORMAT;
    }
    ward_dev_binding *b = bind_find(dev, kind, tid, tid_len, h);
    uint64_t now = 0;
    if (b != NULL) {
        /* Anyone on the path can name the binding: without its token
         * (none sent, a wrong one, or an app that committed to none) it
         * goes on, and lives its stage's time (WARD_ERR_AUTH). */
        if (!end_token_opens(dev, b, h, body)) {
            return WARD_ERR_AUTH;
        }
        ward_dev_bind_free(b);   /* after PAKE_INIT, its attempt stays */
        if (ward_dev_now(dev, &now) == WARD_OK) {
            (void)window_open(dev, now);
        }
    }
    /* No binding (never one, or already over): nothing to end. */
    ward_dev_answer_hdr(h, h->type, WARD_FLAG_REPLY, &ah);
    return ward_dev_plain_answer(&ah, NULL, 0, out, cap, out_len);
}
