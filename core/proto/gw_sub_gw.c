/* Flow C's gateway side of sub-devices: the join window, the table in records, the channels. */
#include <string.h>

#include "ward/ward_gw_sub.h"
#include "ward/ward_records.h"
#include "ward_inner.h"
#include "proto_inner.h"
#include "gw_sub_inner.h"

#define REC_META WARD_REC_GW_SUB_FIRST
#define REC_SLOT(i) ((uint16_t)(WARD_REC_GW_SUB_FIRST + 1u + (i)))
/* sub_id || sub_pub || generation (4) */
#define SLOT_REC_LEN (WARD_GW_SUB_ID_LEN + WARD_P256_POINT_LEN + 4)

typedef char gws_slots_fit[WARD_REC_GW_SUB_FIRST + WARD_GW_SUB_MAX <= WARD_REC_GW_SUB_LAST
                               ? 1 : -1];
typedef char gws_in_range[WARD_REC_GW_SUB_FIRST >= WARD_REC_GW_FIRST &&
                                  WARD_REC_GW_SUB_LAST <= WARD_REC_GW_LAST
                              ? 1 : -1];

typedef struct gws_entry {
    bool used;
    bool hello;                                 /* nonce_s/nonce_g name the channel */
    uint32_t gen;
    uint8_t sub_id[WARD_GW_SUB_ID_LEN];
    uint8_t sub_pub[WARD_P256_POINT_LEN];
    uint8_t nonce_s[WARD_GW_SUB_NONCE_LEN];
    uint8_t nonce_g[WARD_GW_SUB_NONCE_LEN];
    gws_chan chan;
} gws_entry;

typedef struct gws_gw {
    ward_store *st;
    uint32_t next_gen;
    uint32_t tries;                             /* refused JOINs left */
    uint64_t window_end_ms;                     /* 0: closed */
    uint8_t factory_pub[WARD_P256_POINT_LEN];
    uint8_t localkey[WARD_GW_SUB_LOCALKEY_LEN];
    /* The last JOIN answered, for a retransmission to get the same bytes. */
    bool last_join;
    uint8_t last_nonce[WARD_GW_SUB_NONCE_LEN];
    uint8_t last_id[WARD_GW_SUB_ID_LEN];
    uint8_t last_reply[WARD_GW_SUB_JOIN_REPLY_LEN];
    gws_entry e[WARD_GW_SUB_MAX];
} gws_gw;

typedef char gws_gw_fits[sizeof(gws_gw) <= WARD_GW_SUB_GW_CTX_SIZE ? 1 : -1];

static const ward_tlv_spec hello_spec[] = {
    { GWS_H_ID, true, WARD_GW_SUB_ID_LEN, WARD_GW_SUB_ID_LEN },
    { GWS_H_GEN, true, 4, 4 },
    { GWS_H_NONCE, true, WARD_GW_SUB_NONCE_LEN, WARD_GW_SUB_NONCE_LEN },
};

static gws_gw *gw(ward_gw_sub_gw *g)
{
    return (gws_gw *)(void *)g->opaque.bytes;
}

static const gws_gw *cgw(const ward_gw_sub_gw *g)
{
    return (const gws_gw *)(const void *)g->opaque.bytes;
}

static gws_entry *find(gws_gw *s, const uint8_t *sub_id)
{
    for (size_t i = 0; i < WARD_GW_SUB_MAX; i++) {
        if (s->e[i].used && memcmp(s->e[i].sub_id, sub_id, WARD_GW_SUB_ID_LEN) == 0) {
            return &s->e[i];
        }
    }
    return NULL;
}

ward_err ward_gw_sub_gw_init(ward_gw_sub_gw *g, ward_store *st,
                             const uint8_t factory_pub[WARD_P256_POINT_LEN],
                             const uint8_t localkey[WARD_GW_SUB_LOCALKEY_LEN])
{
    uint8_t rec[SLOT_REC_LEN];
    size_t n = 0;
    WARD_ASSERT(g != NULL && st != NULL && factory_pub != NULL && localkey != NULL);
    ward_gw_sub_gw_wipe(g);
    gws_gw *s = gw(g);
    s->st = st;
    s->next_gen = 1;
    memcpy(s->factory_pub, factory_pub, WARD_P256_POINT_LEN);
    memcpy(s->localkey, localkey, WARD_GW_SUB_LOCALKEY_LEN);
    ward_err err = ward_store_get(st, REC_META, rec, sizeof rec, &n);
    if (err == WARD_OK) {
        if (n != 4 || gws_get_be32(rec) == 0) {
            ward_gw_sub_gw_wipe(g);
            return WARD_ERR_FORMAT;
        }
        s->next_gen = gws_get_be32(rec);
    } else if (err != WARD_ERR_NOTFOUND) {
        ward_gw_sub_gw_wipe(g);
        return err;
    }
    for (size_t i = 0; i < WARD_GW_SUB_MAX; i++) {
        err = ward_store_get(st, REC_SLOT(i), rec, sizeof rec, &n);
        if (err == WARD_ERR_NOTFOUND) {
            continue;
        }
        if (err != WARD_OK || n != SLOT_REC_LEN) {
            ward_gw_sub_gw_wipe(g);
            return err != WARD_OK ? err : WARD_ERR_FORMAT;
        }
        gws_entry *e = &s->e[i];
        e->used = true;
        memcpy(e->sub_id, rec, WARD_GW_SUB_ID_LEN);
        memcpy(e->sub_pub, rec + WARD_GW_SUB_ID_LEN, WARD_P256_POINT_LEN);
        e->gen = gws_get_be32(rec + WARD_GW_SUB_ID_LEN + WARD_P256_POINT_LEN);
    }
    return WARD_OK;
}

ward_err ward_gw_sub_window_open(ward_gw_sub_gw *g, uint64_t now_ms, uint32_t duration_ms,
                                 uint32_t tries)
{
    WARD_ASSERT(g != NULL);
    if (duration_ms == 0 || duration_ms > WARD_GW_SUB_WINDOW_MAX_MS || tries == 0 ||
        tries > WARD_GW_SUB_TRIES_MAX || now_ms > UINT64_MAX - duration_ms) {
        return WARD_ERR_PARAM;
    }
    gw(g)->window_end_ms = now_ms + duration_ms;
    gw(g)->tries = tries;
    return WARD_OK;
}

void ward_gw_sub_window_close(ward_gw_sub_gw *g)
{
    WARD_ASSERT(g != NULL);
    gw(g)->window_end_ms = 0;
    gw(g)->tries = 0;
}

bool ward_gw_sub_window_is_open(const ward_gw_sub_gw *g, uint64_t now_ms)
{
    WARD_ASSERT(g != NULL);
    return cgw(g)->tries > 0 && now_ms < cgw(g)->window_end_ms;
}

static ward_err refuse(const uint8_t *sub_id, uint8_t code, uint8_t *out, size_t cap,
                       size_t *out_len, ward_gw_sub_event *ev)
{
    ev->kind = WARD_GW_SUB_EV_REFUSED;
    ev->code = code;
    return gws_refused_encode(sub_id, code, out, cap, out_len);
}

/* Files the sub-device (same slot if it joined before: its old key stops). */
static ward_err file_entry(gws_gw *s, const uint8_t *sub_id, const uint8_t *sub_pub,
                           gws_entry **slot)
{
    uint8_t meta[4], rec[SLOT_REC_LEN];
    size_t i;
    gws_entry *e = find(s, sub_id);
    if (e == NULL) {
        for (i = 0; i < WARD_GW_SUB_MAX && s->e[i].used; i++) {
        }
        if (i == WARD_GW_SUB_MAX) {
            return WARD_ERR_NOSPACE;
        }
        e = &s->e[i];
    }
    i = (size_t)(e - s->e);
    if (s->next_gen == UINT32_MAX) {
        return WARD_ERR_NOSPACE;
    }
    uint32_t gen = s->next_gen;
    gws_put_be32(meta, gen + 1);
    memcpy(rec, sub_id, WARD_GW_SUB_ID_LEN);
    memcpy(rec + WARD_GW_SUB_ID_LEN, sub_pub, WARD_P256_POINT_LEN);
    gws_put_be32(rec + WARD_GW_SUB_ID_LEN + WARD_P256_POINT_LEN, gen);
    ward_record_change ch[2] = {
        { REC_META, meta, sizeof meta, false },
        { REC_SLOT(i), rec, sizeof rec, false },
    };
    /* One update: a power cut leaves the old table or the new, and a
     * generation is never given twice. */
    ward_err err = ward_store_update(s->st, ch, 2);
    if (err != WARD_OK) {
        return err;
    }
    s->next_gen = gen + 1;
    gws_chan_wipe(&e->chan);
    memset(e, 0, sizeof *e);
    e->used = true;
    e->gen = gen;
    memcpy(e->sub_id, sub_id, WARD_GW_SUB_ID_LEN);
    memcpy(e->sub_pub, sub_pub, WARD_P256_POINT_LEN);
    *slot = e;
    return WARD_OK;
}

static ward_err handle_join(gws_gw *s, const ward_crypto *cp, const ward_random *rng,
                            uint64_t now_ms, const uint8_t *in, size_t in_len, uint8_t *out,
                            size_t cap, size_t *out_len, ward_gw_sub_event *ev)
{
    ward_tlv_field f[GWS_JOIN_NFIELDS];
    ward_tlv_writer w;
    uint8_t key[WARD_GW_SUB_KEY_LEN];
    size_t n = 0;
    gws_entry *e = NULL;
    if (gws_join_parse(in, in_len, f) != WARD_OK) {
        return WARD_ERR_FORMAT;
    }
    const uint8_t *sub_id = f[0].ptr, *pub = f[1].ptr, *nonce = f[2].ptr;
    memcpy(ev->sub_id, sub_id, WARD_GW_SUB_ID_LEN);
    /* The same JOIN again (its answer was lost): the same answer. */
    if (s->last_join && memcmp(s->last_id, sub_id, WARD_GW_SUB_ID_LEN) == 0 &&
        memcmp(s->last_nonce, nonce, WARD_GW_SUB_NONCE_LEN) == 0) {
        if (cap < WARD_GW_SUB_JOIN_REPLY_LEN) {
            return WARD_ERR_NOSPACE;
        }
        memcpy(out, s->last_reply, WARD_GW_SUB_JOIN_REPLY_LEN);
        *out_len = WARD_GW_SUB_JOIN_REPLY_LEN;
        return WARD_OK;
    }
    if (!(s->tries > 0 && now_ms < s->window_end_ms)) {
        return refuse(sub_id, WARD_GW_SUB_NO_WINDOW, out, cap, out_len, ev);
    }
    if (cp->p256_point_check(pub) != WARD_OK ||
        ward_proto_verify(cp, WARD_LABEL_GW_SUB_JOIN, pub, in, in_len) != WARD_OK ||
        gws_activation_matches(cp, f[3].ptr, f[3].len, sub_id, pub, s->factory_pub) != WARD_OK) {
        /* Each refused JOIN spends a try: a window cannot be ground at. */
        if (--s->tries == 0) {
            s->window_end_ms = 0;
        }
        return refuse(sub_id, WARD_GW_SUB_BAD_JOIN, out, cap, out_len, ev);
    }
    if (cap < WARD_GW_SUB_JOIN_REPLY_LEN) {
        return WARD_ERR_NOSPACE;
    }
    ward_err err = file_entry(s, sub_id, pub, &e);
    if (err == WARD_ERR_NOSPACE) {
        return refuse(sub_id, WARD_GW_SUB_FULL, out, cap, out_len, ev);
    }
    if (err != WARD_OK) {
        return err;
    }
    err = gws_subkey(cp, s->localkey, sub_id, pub, e->gen, key);
    if (err == WARD_OK) {
        ward_tlv_writer_init(&w, out + WARD_HDR_BASE_LEN, GWS_JR_AD_LEN - WARD_HDR_BASE_LEN);
        ward_tlv_put(&w, GWS_JR_ID, sub_id, WARD_GW_SUB_ID_LEN);
        ward_tlv_put(&w, GWS_JR_NONCE, nonce, WARD_GW_SUB_NONCE_LEN);
        ward_tlv_put_u32(&w, GWS_JR_GEN, e->gen);
        WARD_ASSERT(ward_tlv_writer_finish(&w, &n) == WARD_OK);
        WARD_ASSERT(ward_proto_hdr(WARD_MSG_GW_SUB_JOIN, WARD_FLAG_REPLY,
                                   WARD_GW_SUB_JOIN_REPLY_LEN - WARD_HDR_BASE_LEN, out,
                                   cap) == WARD_OK);
        out[GWS_JR_AD_LEN] = GWS_JR_SEALED;
        out[GWS_JR_AD_LEN + 1] = (uint8_t)GWS_JR_SEALED_LEN;
        err = ward_seal_to(cp, rng, pub, out, GWS_JR_AD_LEN, key, sizeof key,
                           out + GWS_JR_AD_LEN + 2, GWS_JR_SEALED_LEN, &n);
    }
    ward_wipe(key, sizeof key);
    if (err != WARD_OK) {
        /* Filed but unanswered: the sub-device joins again in a new window. */
        ward_wipe(out, WARD_GW_SUB_JOIN_REPLY_LEN);
        return err;
    }
    s->last_join = true;
    memcpy(s->last_id, sub_id, WARD_GW_SUB_ID_LEN);
    memcpy(s->last_nonce, nonce, WARD_GW_SUB_NONCE_LEN);
    memcpy(s->last_reply, out, WARD_GW_SUB_JOIN_REPLY_LEN);
    s->window_end_ms = 0;   /* one sub-device per opening */
    s->tries = 0;
    *out_len = WARD_GW_SUB_JOIN_REPLY_LEN;
    ev->kind = WARD_GW_SUB_EV_JOINED;
    return WARD_OK;
}

static ward_err handle_hello(gws_gw *s, const ward_crypto *cp, const ward_random *rng,
                             const uint8_t *in, size_t in_len, uint8_t *out, size_t cap,
                             size_t *out_len, ward_gw_sub_event *ev)
{
    ward_tlv_field f[3];
    uint8_t key[WARD_GW_SUB_KEY_LEN];
    uint8_t nonce_g[WARD_GW_SUB_NONCE_LEN];
    uint32_t gen = 0;
    if (gws_parse(in, in_len, WARD_MSG_GW_SUB_HELLO, 0, hello_spec, 3, f) != WARD_OK ||
        ward_tlv_get_u32(&f[1], &gen) != WARD_OK) {
        return WARD_ERR_FORMAT;
    }
    memcpy(ev->sub_id, f[0].ptr, WARD_GW_SUB_ID_LEN);
    gws_entry *e = find(s, f[0].ptr);
    if (e == NULL || e->gen != gen) {
        return refuse(f[0].ptr, WARD_GW_SUB_UNKNOWN, out, cap, out_len, ev);
    }
    /* The same HELLO again: the same reply, the channel goes on. */
    if (e->hello && e->chan.open &&
        memcmp(e->nonce_s, f[2].ptr, WARD_GW_SUB_NONCE_LEN) == 0) {
        return gws_hello_reply(&e->chan, cp, e->sub_id, e->nonce_g, out, cap, out_len);
    }
    if (cap < WARD_GW_SUB_HELLO_REPLY_LEN) {
        return WARD_ERR_NOSPACE;
    }
    ward_err err = rng->fill(rng->ctx, nonce_g, sizeof nonce_g);
    if (err == WARD_OK) {
        err = gws_subkey(cp, s->localkey, e->sub_id, e->sub_pub, e->gen, key);
    }
    if (err == WARD_OK) {
        err = gws_chan_keys(&e->chan, cp, key, e->sub_id, e->gen, f[2].ptr, nonce_g,
                            GWS_DIR_DOWN);
    }
    ward_wipe(key, sizeof key);
    if (err == WARD_OK) {
        err = gws_hello_reply(&e->chan, cp, e->sub_id, nonce_g, out, cap, out_len);
    }
    if (err != WARD_OK) {
        gws_chan_wipe(&e->chan);
        e->hello = false;
        return err;
    }
    e->hello = true;
    memcpy(e->nonce_s, f[2].ptr, WARD_GW_SUB_NONCE_LEN);
    memcpy(e->nonce_g, nonce_g, WARD_GW_SUB_NONCE_LEN);
    ev->kind = WARD_GW_SUB_EV_CHANNEL;
    return WARD_OK;
}

static ward_err handle_packet(gws_gw *s, const ward_crypto *cp, const uint8_t *in,
                              size_t in_len, uint8_t *out, size_t cap, size_t *out_len,
                              ward_gw_sub_event *ev)
{
    ward_hdr h;
    ward_tlv_field f[2];
    if (gws_packet_parse(in, in_len, &h, f) != WARD_OK) {
        return WARD_ERR_FORMAT;
    }
    memcpy(ev->sub_id, f[0].ptr, WARD_GW_SUB_ID_LEN);
    gws_entry *e = find(s, f[0].ptr);
    if (e == NULL) {
        return refuse(f[0].ptr, WARD_GW_SUB_UNKNOWN, out, cap, out_len, ev);
    }
    if (!e->chan.open) {
        return refuse(f[0].ptr, WARD_GW_SUB_NO_CHANNEL, out, cap, out_len, ev);
    }
    /* Opened under this sub-device's own keys: another's key, a replay or
     * a forgery is dropped without an answer. */
    ward_err err = gws_open(&e->chan, cp, in, &h, f, ev->payload, sizeof ev->payload,
                            &ev->payload_len);
    if (err != WARD_OK) {
        return err;
    }
    if (h.type == WARD_MSG_GW_SUB_LEAVE) {
        gws_chan_wipe(&e->chan);
        e->hello = false;
        ev->kind = WARD_GW_SUB_EV_LEFT;
    } else {
        ev->kind = WARD_GW_SUB_EV_DATA;
    }
    return WARD_OK;
}

ward_err ward_gw_sub_handle(ward_gw_sub_gw *g, const ward_crypto *cp, const ward_random *rng,
                            uint64_t now_ms, const uint8_t *in, size_t in_len, uint8_t *out,
                            size_t cap, size_t *out_len, ward_gw_sub_event *ev)
{
    WARD_ASSERT(g != NULL && cp != NULL && rng != NULL && out != NULL && out_len != NULL &&
                ev != NULL);
    WARD_ASSERT(in != NULL || in_len == 0);
    gws_gw *s = gw(g);
    *out_len = 0;
    memset(ev, 0, sizeof *ev);
    if (s->st == NULL) {
        return WARD_ERR_STATE;
    }
    if (in_len < WARD_HDR_BASE_LEN) {
        return WARD_ERR_FORMAT;
    }
    ward_err err;
    switch (in[1]) {
    case WARD_MSG_GW_SUB_JOIN:
        err = handle_join(s, cp, rng, now_ms, in, in_len, out, cap, out_len, ev);
        break;
    case WARD_MSG_GW_SUB_HELLO:
        err = handle_hello(s, cp, rng, in, in_len, out, cap, out_len, ev);
        break;
    case WARD_MSG_GW_SUB_DATA:
    case WARD_MSG_GW_SUB_LEAVE:
        err = handle_packet(s, cp, in, in_len, out, cap, out_len, ev);
        break;
    default:
        err = WARD_ERR_FORMAT;
        break;
    }
    if (err != WARD_OK) {
        *out_len = 0;
        ward_wipe(ev->payload, sizeof ev->payload);
        ev->payload_len = 0;
        ev->kind = WARD_GW_SUB_EV_NONE;
    }
    return err;
}

ward_err ward_gw_sub_seal(ward_gw_sub_gw *g, const ward_crypto *cp,
                          const uint8_t sub_id[WARD_GW_SUB_ID_LEN], uint8_t type,
                          const uint8_t *pt, size_t pt_len, uint8_t *out, size_t cap,
                          size_t *len)
{
    WARD_ASSERT(g != NULL && cp != NULL && sub_id != NULL && out != NULL && len != NULL);
    WARD_ASSERT(pt != NULL || pt_len == 0);
    *len = 0;
    gws_entry *e = find(gw(g), sub_id);
    if (e == NULL) {
        return WARD_ERR_NOTFOUND;
    }
    ward_err err = gws_seal(&e->chan, cp, e->sub_id, type, pt, pt_len, out, cap, len);
    if (err == WARD_OK && type == WARD_MSG_GW_SUB_LEAVE) {
        gws_chan_wipe(&e->chan);
        e->hello = false;
    }
    return err;
}

ward_err ward_gw_sub_remove(ward_gw_sub_gw *g, const uint8_t sub_id[WARD_GW_SUB_ID_LEN])
{
    WARD_ASSERT(g != NULL && sub_id != NULL);
    gws_gw *s = gw(g);
    gws_entry *e = find(s, sub_id);
    if (e == NULL) {
        return WARD_ERR_NOTFOUND;
    }
    ward_err err = ward_store_remove(s->st, REC_SLOT((size_t)(e - s->e)));
    if (err != WARD_OK && err != WARD_ERR_NOTFOUND) {
        return err;
    }
    ward_wipe(e, sizeof *e);
    if (s->last_join && memcmp(s->last_id, sub_id, WARD_GW_SUB_ID_LEN) == 0) {
        ward_wipe(s->last_reply, sizeof s->last_reply);
        s->last_join = false;
    }
    return WARD_OK;
}

size_t ward_gw_sub_count(const ward_gw_sub_gw *g)
{
    size_t n = 0;
    WARD_ASSERT(g != NULL);
    for (size_t i = 0; i < WARD_GW_SUB_MAX; i++) {
        n += cgw(g)->e[i].used ? 1u : 0u;
    }
    return n;
}

ward_err ward_gw_sub_at(const ward_gw_sub_gw *g, size_t i, uint8_t sub_id[WARD_GW_SUB_ID_LEN])
{
    WARD_ASSERT(g != NULL && sub_id != NULL);
    for (size_t k = 0; k < WARD_GW_SUB_MAX; k++) {
        if (cgw(g)->e[k].used && i-- == 0) {
            memcpy(sub_id, cgw(g)->e[k].sub_id, WARD_GW_SUB_ID_LEN);
            return WARD_OK;
        }
    }
    memset(sub_id, 0, WARD_GW_SUB_ID_LEN);
    return WARD_ERR_NOTFOUND;
}

void ward_gw_sub_gw_wipe(ward_gw_sub_gw *g)
{
    WARD_ASSERT(g != NULL);
    ward_wipe(g->opaque.bytes, sizeof g->opaque.bytes);
}
