/* Flow C's LAN hand-over: the gateway and app halves of the core, message by
 * message, with relays that swap keys, replays and a failing Wi-Fi join.
 * WARD_TEST_PER_BACKEND */
#include "ward_test.h"

#include <string.h>

#include "ward/ward_gw_prov.h"
#include "ward/ward_port_sim.h"
#include "proto/gw_prov_inner.h"

#define BANK 1024
#define ERASE 64
#define T0 1700000000000ull
#define MSG WARD_GW_PROV_MSG_MAX

typedef struct rig {
    uint8_t mem[2 * BANK];
    ward_sim_flash sf;
    ward_store_port port;
    ward_random rng;
    ward_gw_prov_config cfg;
    ward_gw_qr qr;
    ward_gw_prov gw;
    ward_gw_app app;
    uint64_t now;
} rig;

static void rig_open_gw(rig *r)
{
    ward_sim_flash_init(&r->sf, r->mem, sizeof r->mem, ERASE, &r->port);
    assert_int_equal(ward_gw_prov_open(&r->gw, ward_test_cp, &r->rng, &r->port, &r->cfg),
                     WARD_OK);
    ward_gw_ssid scan[2];
    memset(scan, 0, sizeof scan);
    memcpy(scan[0].ssid, "home", 4);
    scan[0].ssid_len = 4;
    scan[0].rssi = -40;
    memcpy(scan[1].ssid, "neighbour", 9);
    scan[1].ssid_len = 9;
    scan[1].rssi = -80;
    assert_int_equal(ward_gw_prov_set_scan(&r->gw, scan, 2), WARD_OK);
}

static void rig_init(rig *r)
{
    memset(r, 0, sizeof *r);
    memset(r->mem, 0xFF, sizeof r->mem);
    r->rng = ward_test_rng();
    r->now = T0;
    static const uint8_t mac[6] = { 0x02, 0x11, 0x22, 0xa3, 0xb4, 0xc5 };
    memcpy(r->cfg.mac, mac, 6);
    memset(r->cfg.uuid, 0x55, sizeof r->cfg.uuid);
    memset(r->cfg.hash, 0x66, sizeof r->cfg.hash);
    assert_int_equal(r->rng.fill(r->rng.ctx, r->cfg.pop, sizeof r->cfg.pop), WARD_OK);
    r->cfg.tcp_port = 10080;
    r->cfg.failsafe_ms = 60000;
    memcpy(r->qr.mac, mac, 6);
    memcpy(r->qr.pop, r->cfg.pop, sizeof r->qr.pop);
    strcpy(r->qr.brand, "ward");
    strcpy(r->qr.category, "hub");
    ward_sim_flash_init(&r->sf, r->mem, sizeof r->mem, ERASE, &r->port);
    ward_sim_flash_format(&r->sf);
    rig_open_gw(r);
}

/* SEARCH from the app, answered by the gateway, read by the app. */
static void link_up(rig *r, ward_gw_info *info)
{
    uint8_t q[MSG], a[MSG];
    size_t ql = 0, al = 0;
    assert_int_equal(ward_gw_app_start(&r->app, ward_test_cp, &r->rng, &r->qr, q, sizeof q, &ql),
                     WARD_OK);
    assert_int_equal(ward_gw_prov_udp(&r->gw, r->now, q, ql, a, sizeof a, &al), WARD_OK);
    assert_int_equal(ward_gw_app_search_reply(&r->app, a, al, info), WARD_OK);
}

/* One TCP round: the gateway's verdict; the answer goes to the app. */
static ward_err round_trip(rig *r, const uint8_t *q, size_t ql, ward_gw_event *ev,
                           ward_gw_answer *ans)
{
    uint8_t a[MSG];
    size_t al = 0;
    ward_err err = ward_gw_prov_tcp(&r->gw, r->now, q, ql, ev, a, sizeof a, &al);
    if (al > 0) {
        assert_int_equal(ward_gw_app_reply(&r->app, a, al, ans), WARD_OK);
    }
    return err;
}

static void test_qr_and_ssid(void **state)
{
    (void)state;
    rig r;
    rig_init(&r);
    char text[WARD_GW_QR_MAX + 1];
    size_t n = 0;
    assert_int_equal(ward_gw_qr_encode(&r.qr, text, sizeof text, &n), WARD_OK);
    assert_int_equal(n, strlen(text));
    assert_memory_equal(text, "WGW1:021122a3b4c5:", 18);
    ward_gw_qr back;
    assert_int_equal(ward_gw_qr_parse(text, n, &back), WARD_OK);
    assert_memory_equal(&back, &r.qr, sizeof back);
    /* upper-case hex, a missing field, a bad brand, trailing bytes */
    char bad[WARD_GW_QR_MAX + 8];
    strcpy(bad, text);
    bad[6] = 'A';
    assert_int_equal(ward_gw_qr_parse(bad, n, &back), WARD_ERR_FORMAT);
    assert_int_equal(ward_gw_qr_parse(text, 55, &back), WARD_ERR_FORMAT);
    strcpy(bad, text);
    bad[n - 2] = '_';
    assert_int_equal(ward_gw_qr_parse(bad, n, &back), WARD_ERR_FORMAT);
    strcpy(bad, text);
    strcat(bad, ":x");
    assert_int_equal(ward_gw_qr_parse(bad, n + 2, &back), WARD_ERR_FORMAT);
    char ssid[WARD_GW_SOFTAP_SSID_MAX + 1];
    assert_int_equal(ward_gw_softap_ssid("ward", "hub", r.cfg.mac, ssid, sizeof ssid, &n),
                     WARD_OK);
    assert_string_equal(ssid, "ward_hub_A3B4C5");
    assert_int_equal(ward_gw_softap_ssid("ward_x", "hub", r.cfg.mac, ssid, sizeof ssid, &n),
                     WARD_ERR_FORMAT);
    assert_int_equal(ward_gw_softap_ssid("123456789012", "123456789012", r.cfg.mac, ssid,
                                         sizeof ssid, &n), WARD_OK);
    assert_int_equal(n, 32);
}

/* The whole hand-over, then a power cycle keeps the committed network. */
static void test_handover(void **state)
{
    (void)state;
    rig r;
    rig_init(&r);
    ward_gw_info info;
    link_up(&r, &info);
    assert_int_equal(info.tcp_port, 10080);
    assert_memory_equal(info.mac, r.cfg.mac, 6);
    assert_memory_equal(info.uuid, r.cfg.uuid, 16);
    assert_int_equal(info.state, WARD_GW_WIFI_IDLE);

    uint8_t q[MSG];
    size_t ql = 0;
    ward_gw_event ev;
    ward_gw_answer ans;
    assert_int_equal(ward_gw_app_list(&r.app, q, sizeof q, &ql), WARD_OK);
    assert_int_equal(round_trip(&r, q, ql, &ev, &ans), WARD_OK);
    assert_int_equal(ans.n, 2);
    assert_memory_equal(ans.list[1].ssid, "neighbour", 9);
    assert_int_equal(ans.list[1].rssi, -80);

    assert_int_equal(ward_gw_app_wifi_set(&r.app, (const uint8_t *)"home", 4,
                                          (const uint8_t *)"correct horse", 13, q, sizeof q,
                                          &ql), WARD_OK);
    assert_int_equal(round_trip(&r, q, ql, &ev, &ans), WARD_OK);
    assert_int_equal(ev.type, WARD_GW_EV_JOIN);
    assert_int_equal(ev.psk_len, 13);
    assert_memory_equal(ev.psk, "correct horse", 13);
    assert_int_equal(ans.state, WARD_GW_WIFI_JOINING);
    assert_int_equal(ward_gw_prov_join_result(&r.gw, WARD_GW_FAIL_NONE), WARD_OK);

    assert_int_equal(ward_gw_app_status(&r.app, q, sizeof q, &ql), WARD_OK);
    assert_int_equal(round_trip(&r, q, ql, &ev, &ans), WARD_OK);
    assert_int_equal(ans.state, WARD_GW_WIFI_JOINED);
    /* Not committed yet: a power cut now forgets the network. */
    uint8_t ssid[32], psk[64];
    size_t sl = 0, pl = 0;
    assert_int_equal(ward_gw_prov_wifi(&r.gw, ssid, &sl, psk, &pl), WARD_ERR_NOTFOUND);

    assert_int_equal(ward_gw_app_commit(&r.app, q, sizeof q, &ql), WARD_OK);
    assert_int_equal(round_trip(&r, q, ql, &ev, &ans), WARD_OK);
    assert_int_equal(ev.type, WARD_GW_EV_COMMITTED);
    assert_int_equal(ans.state, WARD_GW_WIFI_COMMITTED);

    ward_gw_prov_close(&r.gw);
    rig_open_gw(&r);
    assert_int_equal(ward_gw_prov_wifi(&r.gw, ssid, &sl, psk, &pl), WARD_OK);
    assert_int_equal(sl, 4);
    assert_memory_equal(ssid, "home", 4);
    assert_memory_equal(psk, "correct horse", 13);
    ward_gw_status st;
    ward_gw_prov_status(&r.gw, &st);
    assert_int_equal(st.state, WARD_GW_WIFI_COMMITTED);
    /* Provisioned: another WIFI_SET is refused (sealed), nothing changes. */
    link_up(&r, &info);
    assert_int_equal(info.state, WARD_GW_WIFI_COMMITTED);
    assert_int_equal(ward_gw_app_wifi_set(&r.app, (const uint8_t *)"evil", 4, NULL, 0, q,
                                          sizeof q, &ql), WARD_OK);
    assert_int_equal(round_trip(&r, q, ql, &ev, &ans), WARD_ERR_STATE);
    assert_int_equal(ans.refused, WARD_ERR_STATE);
    assert_int_equal(ev.type, WARD_GW_EV_NONE);
}

/* The same request bytes get the same answer bytes, and act once. */
static void test_retransmission(void **state)
{
    (void)state;
    rig r;
    rig_init(&r);
    uint8_t q[MSG], a1[MSG], a2[MSG];
    size_t ql = 0, l1 = 0, l2 = 0;
    assert_int_equal(ward_gw_app_start(&r.app, ward_test_cp, &r.rng, &r.qr, q, sizeof q, &ql),
                     WARD_OK);
    assert_int_equal(ward_gw_prov_udp(&r.gw, r.now, q, ql, a1, sizeof a1, &l1), WARD_OK);
    assert_int_equal(ward_gw_prov_udp(&r.gw, r.now, q, ql, a2, sizeof a2, &l2), WARD_OK);
    assert_int_equal(l1, l2);
    assert_memory_equal(a1, a2, l1);
    ward_gw_info info;
    assert_int_equal(ward_gw_app_search_reply(&r.app, a2, l2, &info), WARD_OK);

    ward_gw_event ev;
    assert_int_equal(ward_gw_app_wifi_set(&r.app, (const uint8_t *)"home", 4,
                                          (const uint8_t *)"12345678", 8, q, sizeof q, &ql),
                     WARD_OK);
    assert_int_equal(ward_gw_prov_tcp(&r.gw, r.now, q, ql, &ev, a1, sizeof a1, &l1), WARD_OK);
    assert_int_equal(ev.type, WARD_GW_EV_JOIN);
    assert_int_equal(ward_gw_prov_tcp(&r.gw, r.now, q, ql, &ev, a2, sizeof a2, &l2), WARD_OK);
    assert_int_equal(ev.type, WARD_GW_EV_NONE);   /* no second join */
    assert_int_equal(l1, l2);
    assert_memory_equal(a1, a2, l1);
    ward_gw_answer ans;
    assert_int_equal(ward_gw_app_reply(&r.app, a2, l2, &ans), WARD_OK);

    /* CLAIM: the caller owes the answer; a retransmission waits for it,
     * then gets the same bytes. */
    assert_int_equal(ward_gw_app_claim(&r.app, (const uint8_t *)"claim-1", 7, q, sizeof q, &ql),
                     WARD_OK);
    assert_int_equal(ward_gw_prov_tcp(&r.gw, r.now, q, ql, &ev, a1, sizeof a1, &l1), WARD_OK);
    assert_int_equal(ev.type, WARD_GW_EV_CLAIM);
    assert_int_equal(ev.len, 7);
    assert_memory_equal(ev.data, "claim-1", 7);
    assert_int_equal(l1, 0);
    assert_int_equal(ward_gw_prov_tcp(&r.gw, r.now, q, ql, &ev, a1, sizeof a1, &l1),
                     WARD_ERR_BUSY);
    assert_int_equal(l1, 0);
    uint8_t reg[WARD_GW_REGISTRATION_MAX];
    memset(reg, 0xAB, sizeof reg);
    assert_int_equal(ward_gw_prov_answer(&r.gw, reg, sizeof reg, a1, sizeof a1, &l1), WARD_OK);
    assert_int_equal(ward_gw_prov_answer(&r.gw, reg, 1, a2, sizeof a2, &l2), WARD_ERR_STATE);
    assert_int_equal(ward_gw_prov_tcp(&r.gw, r.now, q, ql, &ev, a2, sizeof a2, &l2), WARD_OK);
    assert_int_equal(l1, l2);
    assert_memory_equal(a1, a2, l1);
    assert_int_equal(ward_gw_app_reply(&r.app, a2, l2, &ans), WARD_OK);
    assert_int_equal(ans.data_len, sizeof reg);
    assert_memory_equal(ans.data, reg, sizeof reg);

    /* CREDENTIALS the caller refuses: a sealed refusal. */
    uint8_t cred[WARD_GW_CREDENTIALS_MAX];
    memset(cred, 0x11, sizeof cred);
    assert_int_equal(ward_gw_app_credentials(&r.app, cred, sizeof cred, q, sizeof q, &ql),
                     WARD_OK);
    assert_int_equal(ward_gw_prov_tcp(&r.gw, r.now, q, ql, &ev, a1, sizeof a1, &l1), WARD_OK);
    assert_int_equal(ev.type, WARD_GW_EV_CREDENTIALS);
    assert_int_equal(ward_gw_prov_refuse(&r.gw, WARD_ERR_AUTH, a1, sizeof a1, &l1), WARD_OK);
    assert_int_equal(ward_gw_app_reply(&r.app, a1, l1, &ans), WARD_OK);
    assert_int_equal(ans.refused, WARD_ERR_AUTH);
}

/* A wrong PoP is refused; five in a row start a back-off that a right one
 * after it ends. */
static void test_wrong_pop_and_backoff(void **state)
{
    (void)state;
    rig r;
    rig_init(&r);
    ward_gw_qr wrong = r.qr;
    wrong.pop[0] ^= 1;
    uint8_t q[MSG], a[MSG];
    size_t ql = 0, al = 0;
    ward_gw_info info;
    for (int i = 0; i < WARD_GW_POP_FREE_FAILS; i++) {
        assert_int_equal(ward_gw_app_start(&r.app, ward_test_cp, &r.rng, &wrong, q, sizeof q,
                                           &ql), WARD_OK);
        assert_int_equal(ward_gw_prov_udp(&r.gw, r.now, q, ql, a, sizeof a, &al),
                         WARD_ERR_AUTH);
        assert_int_equal(ward_gw_app_search_reply(&r.app, a, al, &info), WARD_ERR_AUTH);
    }
    assert_int_equal(ward_gw_app_start(&r.app, ward_test_cp, &r.rng, &r.qr, q, sizeof q, &ql),
                     WARD_OK);
    assert_int_equal(ward_gw_prov_udp(&r.gw, r.now, q, ql, a, sizeof a, &al), WARD_ERR_LOCKED);
    assert_int_equal(ward_gw_app_search_reply(&r.app, a, al, &info), WARD_ERR_LOCKED);
    r.now += 1000;
    assert_int_equal(ward_gw_prov_udp(&r.gw, r.now, q, ql, a, sizeof a, &al), WARD_OK);
    assert_int_equal(ward_gw_app_search_reply(&r.app, a, al, &info), WARD_OK);
    /* one wrong one after a success starts counting afresh */
    assert_int_equal(ward_gw_app_start(&r.app, ward_test_cp, &r.rng, &wrong, q, sizeof q, &ql),
                     WARD_OK);
    assert_int_equal(ward_gw_prov_udp(&r.gw, r.now, q, ql, a, sizeof a, &al), WARD_ERR_AUTH);
    link_up(&r, &info);
    /* another MAC: no answer at all */
    ward_gw_qr other = r.qr;
    other.mac[5] ^= 1;
    assert_int_equal(ward_gw_app_start(&r.app, ward_test_cp, &r.rng, &other, q, sizeof q, &ql),
                     WARD_OK);
    assert_int_equal(ward_gw_prov_udp(&r.gw, r.now, q, ql, a, sizeof a, &al), WARD_ERR_NOTFOUND);
    assert_int_equal(al, 0);
}

/* A relay between app and gateway swaps the public keys for its own. */
static void test_relay_swaps_keys(void **state)
{
    (void)state;
    rig r;
    rig_init(&r);
    const ward_crypto *cp = ward_test_cp;
    uint8_t q[MSG], a[MSG];
    size_t ql = 0, al = 0;
    uint8_t m_priv[32], m_pub[65];
    assert_int_equal(ward_p256_keygen(cp, &r.rng, m_priv, m_pub), WARD_OK);
    assert_int_equal(ward_gw_app_start(&r.app, ward_test_cp, &r.rng, &r.qr, q, sizeof q, &ql),
                     WARD_OK);
    /* 1. its key in SEARCH: the proof no longer holds */
    uint8_t swapped[MSG];
    memcpy(swapped, q, ql);
    gw_search s;
    assert_int_equal(gw_search_parse(swapped, ql, &s), WARD_OK);
    memcpy((uint8_t *)s.pub, m_pub, 65);
    assert_int_equal(ward_gw_prov_udp(&r.gw, r.now, swapped, ql, a, sizeof a, &al),
                     WARD_ERR_AUTH);
    /* 2. SEARCH passed on as it is, its key in the answer, the info
     *    sealed again under what it shares with the app (no PoP) */
    assert_int_equal(ward_gw_prov_udp(&r.gw, r.now, q, ql, a, sizeof a, &al), WARD_OK);
    gw_search_ans ga;
    assert_int_equal(gw_search_ans_parse(a, al, &ga), WARD_OK);
    uint8_t shared[32], k_ag[16], k_ga[16], guess[16] = { 0 }, nonce[13];
    assert_int_equal(gw_search_parse(q, ql, &s), WARD_OK);
    assert_int_equal(cp->p256_ecdh(m_priv, s.pub, shared), WARD_OK);
    assert_int_equal(gw_lan_keys(cp, shared, guess, r.cfg.mac, s.pub, s.nonce, m_pub, ga.nonce,
                                 k_ag, k_ga), WARD_OK);
    uint8_t forged[MSG];
    memcpy(forged, a, al);
    memcpy(forged + (ga.pub - a), m_pub, 65);
    ward_gw_info info;
    memset(&info, 0, sizeof info);
    memcpy(info.mac, r.cfg.mac, 6);
    info.tcp_port = 4444;
    uint8_t pt[GW_INFO_PT_MAX];
    size_t pl = 0, n = 0;
    assert_int_equal(gw_info_encode(&info, pt, sizeof pt, &pl), WARD_OK);
    assert_int_equal(pl + 16, ga.sealed_len);
    gw_nonce(GW_DIR_GW, 0, nonce);
    assert_int_equal(ward_aead_seal(cp, k_ga, nonce, forged, ga.ad_len, pt, pl,
                                    forged + (ga.sealed - a), ga.sealed_len, &n), WARD_OK);
    assert_int_equal(ward_gw_app_search_reply(&r.app, forged, al, &info), WARD_ERR_AUTH);
    assert_int_equal(info.tcp_port, 0);
    /* the genuine answer still works after the attempt */
    assert_int_equal(ward_gw_app_search_reply(&r.app, a, al, &info), WARD_OK);
    assert_int_equal(info.tcp_port, 10080);
    /* 3. its own sealed request on the TCP link (keys without the PoP):
     *    an unsealed refusal, nothing done */
    ward_gw_event ev;
    assert_int_equal(gw_seal_msg(cp, k_ag, GW_DIR_APP, WARD_MSG_GW_WIFI_STATUS, 0, 1, NULL, 0,
                                 q, sizeof q, &ql), WARD_OK);
    assert_int_equal(ward_gw_prov_tcp(&r.gw, r.now, q, ql, &ev, a, sizeof a, &al),
                     WARD_ERR_AUTH);
    assert_true(al > 0);
    ward_gw_answer ans;
    assert_int_equal(ward_gw_app_status(&r.app, q, sizeof q, &ql), WARD_OK);
    assert_int_equal(ward_gw_app_reply(&r.app, a, al, &ans), WARD_ERR_AUTH);
    assert_int_equal(round_trip(&r, q, ql, &ev, &ans), WARD_OK);
    assert_int_equal(ans.state, WARD_GW_WIFI_IDLE);
}

/* Replayed, reordered or tampered requests do nothing. */
static void test_replay_and_tamper(void **state)
{
    (void)state;
    rig r;
    rig_init(&r);
    ward_gw_info info;
    link_up(&r, &info);
    uint8_t q1[MSG], q2[MSG], a[MSG];
    size_t l1 = 0, l2 = 0, al = 0;
    ward_gw_event ev;
    ward_gw_answer ans;
    assert_int_equal(ward_gw_app_wifi_set(&r.app, (const uint8_t *)"home", 4,
                                          (const uint8_t *)"wrongpass", 9, q1, sizeof q1, &l1),
                     WARD_OK);
    assert_int_equal(round_trip(&r, q1, l1, &ev, &ans), WARD_OK);
    assert_int_equal(ward_gw_prov_join_result(&r.gw, WARD_GW_FAIL_PSK), WARD_OK);
    assert_int_equal(ward_gw_app_status(&r.app, q2, sizeof q2, &l2), WARD_OK);
    assert_int_equal(round_trip(&r, q2, l2, &ev, &ans), WARD_OK);
    assert_int_equal(ans.state, WARD_GW_WIFI_FAILED);
    /* the old WIFI_SET again, after a later request: ignored */
    assert_int_equal(ward_gw_prov_tcp(&r.gw, r.now, q1, l1, &ev, a, sizeof a, &al),
                     WARD_ERR_AUTH);
    assert_int_equal(al, 0);
    assert_int_equal(ev.type, WARD_GW_EV_NONE);
    /* a flipped bit in a new request: an unsealed refusal */
    assert_int_equal(ward_gw_app_status(&r.app, q2, sizeof q2, &l2), WARD_OK);
    q2[l2 - 1] ^= 1;
    assert_int_equal(ward_gw_prov_tcp(&r.gw, r.now, q2, l2, &ev, a, sizeof a, &al),
                     WARD_ERR_AUTH);
    assert_true(al > 0);
    assert_int_equal(ward_gw_app_reply(&r.app, a, al, &ans), WARD_ERR_AUTH);
    q2[l2 - 1] ^= 1;
    assert_int_equal(round_trip(&r, q2, l2, &ev, &ans), WARD_OK);
    /* a tampered answer is refused by the app */
    assert_int_equal(ward_gw_app_status(&r.app, q2, sizeof q2, &l2), WARD_OK);
    assert_int_equal(ward_gw_prov_tcp(&r.gw, r.now, q2, l2, &ev, a, sizeof a, &al), WARD_OK);
    a[al - 3] ^= 0x40;
    assert_int_equal(ward_gw_app_reply(&r.app, a, al, &ans), WARD_ERR_AUTH);
}

/* A wrong password, then the right one, without a reset; the fail-safe
 * rolls an uncommitted join back. */
static void test_wrong_psk_then_right_and_failsafe(void **state)
{
    (void)state;
    rig r;
    rig_init(&r);
    ward_gw_info info;
    link_up(&r, &info);
    uint8_t q[MSG];
    size_t ql = 0;
    ward_gw_event ev;
    ward_gw_answer ans;
    assert_int_equal(ward_gw_app_wifi_set(&r.app, (const uint8_t *)"home", 4,
                                          (const uint8_t *)"wrongpass", 9, q, sizeof q, &ql),
                     WARD_OK);
    assert_int_equal(round_trip(&r, q, ql, &ev, &ans), WARD_OK);
    /* while it joins, another WIFI_SET is told to wait */
    assert_int_equal(ward_gw_app_wifi_set(&r.app, (const uint8_t *)"home", 4,
                                          (const uint8_t *)"rightpass", 9, q, sizeof q, &ql),
                     WARD_OK);
    assert_int_equal(round_trip(&r, q, ql, &ev, &ans), WARD_ERR_BUSY);
    assert_int_equal(ans.refused, WARD_ERR_BUSY);
    assert_int_equal(ward_gw_prov_join_result(&r.gw, WARD_GW_FAIL_PSK), WARD_OK);
    assert_int_equal(ward_gw_app_status(&r.app, q, sizeof q, &ql), WARD_OK);
    assert_int_equal(round_trip(&r, q, ql, &ev, &ans), WARD_OK);
    assert_int_equal(ans.state, WARD_GW_WIFI_FAILED);
    assert_int_equal(ans.last_failure, WARD_GW_FAIL_PSK);
    /* the right one now; joined but never committed */
    assert_int_equal(ward_gw_app_wifi_set(&r.app, (const uint8_t *)"home", 4,
                                          (const uint8_t *)"rightpass", 9, q, sizeof q, &ql),
                     WARD_OK);
    assert_int_equal(round_trip(&r, q, ql, &ev, &ans), WARD_OK);
    assert_int_equal(ev.type, WARD_GW_EV_JOIN);
    assert_int_equal(ward_gw_prov_join_result(&r.gw, WARD_GW_FAIL_NONE), WARD_OK);
    assert_int_equal(ward_gw_prov_tick(&r.gw, r.now + 59999, &ev), WARD_OK);
    assert_int_equal(ev.type, WARD_GW_EV_NONE);
    assert_int_equal(ward_gw_prov_tick(&r.gw, r.now + 60000, &ev), WARD_OK);
    assert_int_equal(ev.type, WARD_GW_EV_ROLLBACK);
    ward_gw_status st;
    ward_gw_prov_status(&r.gw, &st);
    assert_int_equal(st.state, WARD_GW_WIFI_IDLE);
    assert_int_equal(st.last_failure, WARD_GW_FAIL_ROLLBACK);
    assert_int_equal(ward_gw_app_commit(&r.app, q, sizeof q, &ql), WARD_OK);
    assert_int_equal(round_trip(&r, q, ql, &ev, &ans), WARD_ERR_STATE);
    /* after a power cycle: nothing kept, the failure remembered */
    ward_gw_prov_close(&r.gw);
    rig_open_gw(&r);
    uint8_t ssid[32], psk[64];
    size_t sl = 0, pl = 0;
    assert_int_equal(ward_gw_prov_wifi(&r.gw, ssid, &sl, psk, &pl), WARD_ERR_NOTFOUND);
    link_up(&r, &info);
    assert_int_equal(info.last_failure, WARD_GW_FAIL_ROLLBACK);
    assert_int_equal(info.state, WARD_GW_WIFI_IDLE);
}

/* A second app takes the link over only once it proves the PoP; the first
 * keeps it until then. */
static void test_takeover(void **state)
{
    (void)state;
    rig r;
    rig_init(&r);
    ward_gw_info info;
    link_up(&r, &info);
    uint8_t q[MSG], a[MSG];
    size_t ql = 0, al = 0;
    ward_gw_event ev;
    ward_gw_answer ans;
    assert_int_equal(ward_gw_app_list(&r.app, q, sizeof q, &ql), WARD_OK);
    assert_int_equal(round_trip(&r, q, ql, &ev, &ans), WARD_OK);
    ward_gw_app first = r.app;
    /* a second SEARCH answered: the first app still holds the link */
    ward_gw_app second;
    assert_int_equal(ward_gw_app_start(&second, ward_test_cp, &r.rng, &r.qr, q, sizeof q, &ql),
                     WARD_OK);
    assert_int_equal(ward_gw_prov_udp(&r.gw, r.now, q, ql, a, sizeof a, &al), WARD_OK);
    assert_int_equal(ward_gw_app_search_reply(&second, a, al, &info), WARD_OK);
    assert_int_equal(ward_gw_app_status(&r.app, q, sizeof q, &ql), WARD_OK);
    assert_int_equal(round_trip(&r, q, ql, &ev, &ans), WARD_OK);
    first = r.app;
    /* the second speaks: it holds the link, the first is refused */
    r.app = second;
    assert_int_equal(ward_gw_app_status(&r.app, q, sizeof q, &ql), WARD_OK);
    assert_int_equal(round_trip(&r, q, ql, &ev, &ans), WARD_OK);
    r.app = first;
    assert_int_equal(ward_gw_app_status(&r.app, q, sizeof q, &ql), WARD_OK);
    assert_int_equal(ward_gw_prov_tcp(&r.gw, r.now, q, ql, &ev, a, sizeof a, &al),
                     WARD_ERR_AUTH);
    ward_gw_app_wipe(&first);
    ward_gw_app_wipe(&second);
}

/* Garbage of every length: no crash, no answer. */
static void test_garbage(void **state)
{
    (void)state;
    rig r;
    rig_init(&r);
    uint8_t junk[MSG], a[MSG];
    size_t al = 0;
    ward_gw_event ev;
    for (size_t n = 0; n < sizeof junk; n += 7) {
        assert_int_equal(r.rng.fill(r.rng.ctx, junk, n), WARD_OK);
        if (n > 1) {
            junk[0] = 1;
            junk[1] = (uint8_t)(0x40 + n % 7);
        }
        assert_int_not_equal(ward_gw_prov_udp(&r.gw, r.now, junk, n, a, sizeof a, &al), WARD_OK);
        assert_int_equal(al, 0);
        assert_int_not_equal(ward_gw_prov_tcp(&r.gw, r.now, junk, n, &ev, a, sizeof a, &al),
                             WARD_OK);
    }
}

int main(int argc, char **argv)
{
    ward_test_backend(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qr_and_ssid),
        cmocka_unit_test(test_handover),
        cmocka_unit_test(test_retransmission),
        cmocka_unit_test(test_wrong_pop_and_backoff),
        cmocka_unit_test(test_relay_swaps_keys),
        cmocka_unit_test(test_replay_and_tamper),
        cmocka_unit_test(test_wrong_psk_then_right_and_failsafe),
        cmocka_unit_test(test_takeover),
        cmocka_unit_test(test_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
