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

/* A channel and the HELLO nonces that name it (open: chan.open). */
typedef struct gws_link {
    uint8_t nonce_s[WARD_GW_SUB_NONCE_LEN];
    uint8_t nonce_g[WARD_GW_SUB_NONCE_LEN];
    gws_chan chan;
} gws_link;

typedef struct gws_entry {
    bool used;
    uint32_t gen;
    uint8_t sub_id[WARD_GW_SUB_ID_LEN];
    uint8_t sub_pub[WARD_P256_POINT_LEN];
    /* cur carries the traffic; a HELLO opens a pending channel (gws_pend),
     * which replaces cur at its first authenticated packet: a stranger's
     * HELLO closes nothing. */
    gws_link cur;
} gws_entry;

/* A pending channel: which entry, and when its HELLO came (for eviction). */
typedef struct gws_pend {
    bool used;
    uint8_t slot;       /* index into e[] */
    uint32_t stamp;     /* larger: newer */
    gws_link link;
} gws_pend;

typedef struct gws_gw {
    ward_store *st;
    uint32_t next_gen;
    uint32_t tries;                             /* refused JOINs left */
    uint64_t window_end_ms;                     /* 0: closed */
    bool chal_set;                              /* the window's challenge is drawn */
    uint8_t chal[WARD_GW_SUB_CHALLENGE_LEN];
    /* What a JOIN's identity is checked against (ward_gw_sub_gw_trust). */
    bool have_factory, have_root;
    uint8_t factory_pub[WARD_P256_POINT_LEN];
    uint8_t root[WARD_P256_POINT_LEN];
    const ward_cert_list *list;
    uint32_t now_s;
    uint8_t localkey[WARD_GW_SUB_LOCALKEY_LEN];
    /* The last JOIN answered, for a retransmission to get the same bytes. */
    bool last_join;
    uint8_t last_nonce[WARD_GW_SUB_NONCE_LEN];
    uint8_t last_id[WARD_GW_SUB_ID_LEN];
    uint8_t last_reply[WARD_GW_SUB_JOIN_REPLY_LEN];
    gws_entry e[WARD_GW_SUB_MAX];
    /* Pending channels, shared by the table: HELLOs a stranger sends
     * (sub_id and generation travel in clear) evict the oldest, and at most
     * WARD_GW_SUB_PENDING_PER_SUB of them name one sub-device, so they
     * cannot fill the pool nor push out a genuine HELLO of another one. */
    uint32_t pend_clock;
    gws_pend pend[WARD_GW_SUB_PENDING_MAX];
} gws_gw;

typedef char gws_gw_fits[sizeof(gws_gw) <= WARD_GW_SUB_GW_CTX_SIZE ? 1 : -1];

/* The window closes: its challenge with it (a JOIN made for it is refused later). */
static void window_shut(gws_gw *s)
{
    s->window_end_ms = 0;
    s->tries = 0;
    s->chal_set = false;
    ward_wipe(s->chal, sizeof s->chal);
}

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

/* Forgets every pending channel of entry e. */
static void pend_drop(gws_gw *s, const gws_entry *e)
{
    for (size_t i = 0; i < WARD_GW_SUB_PENDING_MAX; i++) {
        if (s->pend[i].used && s->pend[i].slot == (uint8_t)(e - s->e)) {
            ward_wipe(&s->pend[i], sizeof s->pend[i]);
        }
    }
}

/* The pending channel of e whose HELLO carried nonce_s, or NULL. */
static gws_pend *pend_find(gws_gw *s, const gws_entry *e, const uint8_t *nonce_s)
{
    for (size_t i = 0; i < WARD_GW_SUB_PENDING_MAX; i++) {
        gws_pend *p = &s->pend[i];
        if (p->used && p->slot == (uint8_t)(e - s->e) &&
            memcmp(p->link.nonce_s, nonce_s, WARD_GW_SUB_NONCE_LEN) == 0) {
            return p;
        }
    }
    return NULL;
}

/* A place for a new pending channel of e: a free one while e holds fewer
 * than its share, else the oldest of e's own; when the pool is full, the
 * oldest of all. Always succeeds, wiped. */
static gws_pend *pend_take(gws_gw *s, const gws_entry *e)
{
    gws_pend *free_p = NULL, *oldest_own = NULL, *oldest = NULL;
    size_t own = 0;
    for (size_t i = 0; i < WARD_GW_SUB_PENDING_MAX; i++) {
        gws_pend *p = &s->pend[i];
        if (!p->used) {
            free_p = free_p != NULL ? free_p : p;
            continue;
        }
        if (p->slot == (uint8_t)(e - s->e)) {
            own++;
            oldest_own = oldest_own == NULL || p->stamp < oldest_own->stamp ? p : oldest_own;
        }
        oldest = oldest == NULL || p->stamp < oldest->stamp ? p : oldest;
    }
    gws_pend *p = own >= WARD_GW_SUB_PENDING_PER_SUB ? oldest_own
                  : free_p != NULL                  ? free_p
                                                    : oldest;
    ward_wipe(p, sizeof *p);
    return p;
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

void ward_gw_sub_gw_trust(ward_gw_sub_gw *g, const uint8_t *root, const ward_cert_list *list,
                          uint32_t now_s)
{
    WARD_ASSERT(g != NULL);
    gws_gw *s = gw(g);
    s->have_root = root != NULL;
    if (root != NULL) {
        memcpy(s->root, root, WARD_P256_POINT_LEN);
    }
    s->list = list;
    s->now_s = now_s;
}

/* The JOIN's identity names this sub-device and its key, and verifies: a
 * chain of role sub-device under the root, or an ACTIVATION by the
 * factory key. */
static bool identity_ok(const gws_gw *s, const ward_crypto *cp, const uint8_t *in, size_t len,
                        const uint8_t sub_id[WARD_GW_SUB_ID_LEN],
                        const uint8_t pub[WARD_P256_POINT_LEN])
{
    ward_identity_trust t;
    t.root = s->have_root ? s->root : NULL;
    t.factory = s->have_factory ? s->factory_pub : NULL;
    t.list = s->list;
    t.now_s = s->now_s;
    return gw_activation_matches(cp, in, len, sub_id, pub, &t,
                                 WARD_IDENTITY_ROLE(WARD_CERT_ROLE_SUBDEVICE)) == WARD_OK;
}

ward_err ward_gw_sub_gw_init(ward_gw_sub_gw *g, ward_store *st,
                             const uint8_t factory_pub[WARD_P256_POINT_LEN],
                             const uint8_t localkey[WARD_GW_SUB_LOCALKEY_LEN])
{
    uint8_t rec[SLOT_REC_LEN];
    size_t n = 0;
    WARD_ASSERT(g != NULL && st != NULL && localkey != NULL);
    ward_gw_sub_gw_wipe(g);
    gws_gw *s = gw(g);
    s->st = st;
    s->next_gen = 1;
    s->have_factory = factory_pub != NULL;
    if (factory_pub != NULL) {
        memcpy(s->factory_pub, factory_pub, WARD_P256_POINT_LEN);
    }
    memcpy(s->localkey, localkey, WARD_GW_SUB_LOCALKEY_LEN);
    ward_err err = ward_store_get(st, REC_META, rec, sizeof rec, &n);
    if (err == WARD_OK) {
        if (n != 4 || ward_load32(rec) == 0) {
            ward_gw_sub_gw_wipe(g);
            return WARD_ERR_FORMAT;
        }
        s->next_gen = ward_load32(rec);
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
        e->gen = ward_load32(rec + WARD_GW_SUB_ID_LEN + WARD_P256_POINT_LEN);
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
    window_shut(gw(g));   /* a new opening gets a new challenge */
    gw(g)->window_end_ms = now_ms + duration_ms;
    gw(g)->tries = tries;
    return WARD_OK;
}

void ward_gw_sub_window_close(ward_gw_sub_gw *g)
{
    WARD_ASSERT(g != NULL);
    window_shut(gw(g));
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
    ward_store32(meta, gen + 1);
    memcpy(rec, sub_id, WARD_GW_SUB_ID_LEN);
    memcpy(rec + WARD_GW_SUB_ID_LEN, sub_pub, WARD_P256_POINT_LEN);
    ward_store32(rec + WARD_GW_SUB_ID_LEN + WARD_P256_POINT_LEN, gen);
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
    pend_drop(s, e);
    ward_wipe(e, sizeof *e);
    e->used = true;
    e->gen = gen;
    memcpy(e->sub_id, sub_id, WARD_GW_SUB_ID_LEN);
    memcpy(e->sub_pub, sub_pub, WARD_P256_POINT_LEN);
    *slot = e;
    return WARD_OK;
}

/* Spends a try of the window; the last one closes it. */
static void spend_try(gws_gw *s)
{
    if (--s->tries == 0) {
        window_shut(s);
    }
}

static ward_err handle_challenge(gws_gw *s, const ward_random *rng, uint64_t now_ms,
                                 const uint8_t *in, size_t in_len, uint8_t *out, size_t cap,
                                 size_t *out_len, ward_gw_sub_event *ev)
{
    ward_tlv_field f[2];
    if (gws_challenge_parse(in, in_len, 0, f) != WARD_OK) {
        return WARD_ERR_FORMAT;
    }
    memcpy(ev->sub_id, f[0].ptr, WARD_GW_SUB_ID_LEN);
    if (!(s->tries > 0 && now_ms < s->window_end_ms)) {
        return refuse(f[0].ptr, WARD_GW_SUB_NO_WINDOW, out, cap, out_len, ev);
    }
    /* One challenge per opening, drawn at the first ask: every ask in the
     * window gets the same answer. */
    if (!s->chal_set) {
        ward_err err = rng->fill(rng->ctx, s->chal, sizeof s->chal);
        if (err != WARD_OK) {
            return err;
        }
        s->chal_set = true;
    }
    return gws_challenge_encode(f[0].ptr, s->chal, out, cap, out_len);
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
    /* A JOIN made for another window (recorded and replayed, or late):
     * refused before any signature work, and it spends a try. */
    if (!s->chal_set || !ward_ct_equal(f[4].ptr, s->chal, WARD_GW_SUB_CHALLENGE_LEN)) {
        spend_try(s);
        return refuse(sub_id, WARD_GW_SUB_STALE, out, cap, out_len, ev);
    }
    if (cp->p256_point_check(pub) != WARD_OK ||
        ward_proto_verify(cp, WARD_LABEL_GW_SUB_JOIN, pub, in, in_len) != WARD_OK ||
        !identity_ok(s, cp, f[3].ptr, f[3].len, sub_id, pub)) {
        /* Each refused JOIN spends a try: a window cannot be ground at. */
        spend_try(s);
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
    window_shut(s);   /* one sub-device per opening */
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
    if (gw_msg_parse(in, in_len, WARD_MSG_GW_SUB_HELLO, 0, hello_spec, 3, f) != WARD_OK ||
        ward_tlv_get_u32(&f[1], &gen) != WARD_OK) {
        return WARD_ERR_FORMAT;
    }
    memcpy(ev->sub_id, f[0].ptr, WARD_GW_SUB_ID_LEN);
    gws_entry *e = find(s, f[0].ptr);
    if (e == NULL || e->gen != gen) {
        return refuse(f[0].ptr, WARD_GW_SUB_UNKNOWN, out, cap, out_len, ev);
    }
    /* The same HELLO again (its reply was lost): the same reply, and
     * nothing changes. */
    gws_pend *pp = pend_find(s, e, f[2].ptr);
    gws_link *l = pp != NULL ? &pp->link : NULL;
    if (l == NULL && e->cur.chan.open &&
        memcmp(e->cur.nonce_s, f[2].ptr, WARD_GW_SUB_NONCE_LEN) == 0) {
        l = &e->cur;
    }
    if (l != NULL) {
        return gws_hello_reply(&l->chan, cp, e->sub_id, l->nonce_g, out, cap, out_len);
    }
    if (cap < WARD_GW_SUB_HELLO_REPLY_LEN) {
        return WARD_ERR_NOSPACE;
    }
    /* A new HELLO opens a pending channel only (evicting the oldest when
     * the pool or this sub-device's share is full); the open channel
     * carries on until a pending one's first authenticated packet, so
     * anyone may send HELLOs and close nothing, nor push out a genuine
     * HELLO unless they send more than the share in its round trip. */
    ward_err err = rng->fill(rng->ctx, nonce_g, sizeof nonce_g);
    gws_pend *p = pend_take(s, e);
    if (err == WARD_OK) {
        err = gws_subkey(cp, s->localkey, e->sub_id, e->sub_pub, e->gen, key);
    }
    if (err == WARD_OK) {
        err = gws_chan_keys(&p->link.chan, cp, key, e->sub_id, e->gen, f[2].ptr, nonce_g,
                            GWS_DIR_DOWN);
    }
    ward_wipe(key, sizeof key);
    if (err == WARD_OK) {
        err = gws_hello_reply(&p->link.chan, cp, e->sub_id, nonce_g, out, cap, out_len);
    }
    if (err != WARD_OK) {
        ward_wipe(p, sizeof *p);
        return err;
    }
    p->used = true;
    p->slot = (uint8_t)(e - s->e);
    p->stamp = ++s->pend_clock;
    if (s->pend_clock == UINT32_MAX) {
        /* Never reached in practice (4e9 HELLOs); kept ordered anyway. */
        for (size_t i = 0; i < WARD_GW_SUB_PENDING_MAX; i++) {
            s->pend[i].stamp = s->pend[i].used ? s->pend[i].stamp / 2u : 0u;
        }
        s->pend_clock /= 2u;
    }
    memcpy(p->link.nonce_s, f[2].ptr, WARD_GW_SUB_NONCE_LEN);
    memcpy(p->link.nonce_g, nonce_g, WARD_GW_SUB_NONCE_LEN);
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
    bool any_pend = false;
    for (size_t i = 0; i < WARD_GW_SUB_PENDING_MAX; i++) {
        any_pend = any_pend || (s->pend[i].used && s->pend[i].slot == (uint8_t)(e - s->e));
    }
    if (!e->cur.chan.open && !any_pend) {
        return refuse(f[0].ptr, WARD_GW_SUB_NO_CHANNEL, out, cap, out_len, ev);
    }
    /* Opened under this sub-device's own keys: another's key, a replay or
     * a forgery is dropped without an answer. */
    ward_err err = WARD_ERR_AUTH;
    if (e->cur.chan.open) {
        err = gws_open(&e->cur.chan, cp, in, &h, f, ev->payload, sizeof ev->payload,
                       &ev->payload_len);
    }
    bool took_over = false;
    for (size_t i = 0; err == WARD_ERR_AUTH && i < WARD_GW_SUB_PENDING_MAX; i++) {
        gws_pend *p = &s->pend[i];
        if (!p->used || p->slot != (uint8_t)(e - s->e)) {
            continue;
        }
        err = gws_open(&p->link.chan, cp, in, &h, f, ev->payload, sizeof ev->payload,
                       &ev->payload_len);
        if (err == WARD_OK) {
            /* The new channel proved itself: it replaces the old one, and
             * the other pending ones (a stranger's, or older) go. */
            ward_wipe(&e->cur, sizeof e->cur);
            e->cur = p->link;
            pend_drop(s, e);
            took_over = true;
        }
    }
    if (err != WARD_OK) {
        return err;
    }
    if (h.type == WARD_MSG_GW_SUB_LEAVE) {
        ward_wipe(&e->cur, sizeof e->cur);
        pend_drop(s, e);
        ev->kind = WARD_GW_SUB_EV_LEFT;
    } else {
        ev->kind = took_over ? WARD_GW_SUB_EV_CHANNEL : WARD_GW_SUB_EV_DATA;
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
    case WARD_MSG_GW_SUB_CHALLENGE:
        err = handle_challenge(s, rng, now_ms, in, in_len, out, cap, out_len, ev);
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
    gws_gw *s = gw(g);
    gws_entry *e = find(s, sub_id);
    if (e == NULL) {
        return WARD_ERR_NOTFOUND;
    }
    ward_err err = gws_seal(&e->cur.chan, cp, e->sub_id, type, pt, pt_len, out, cap, len);
    if (err == WARD_OK && type == WARD_MSG_GW_SUB_LEAVE) {
        ward_wipe(&e->cur, sizeof e->cur);
        pend_drop(s, e);
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
    pend_drop(s, e);
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
