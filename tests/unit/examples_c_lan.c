/* Worked examples of flow C's LAN hand-over: the core's gateway and app talk (examples.h). */
#include "examples.h"

#include <stdio.h>
#include <string.h>

#include "ward/ward_gw_prov.h"
#include "ward/ward_port_sim.h"
#include "proto/gw_prov_inner.h"

#define ERASE 64
#define BANK 1024
#define MSG WARD_GW_PROV_MSG_MAX

typedef struct ce {
    uint8_t mem[2 * BANK];
    ward_sim_flash sf;
    ward_store_port port;
    ex_rng gw_rr, app_rr;
    ward_random gw_rng, app_rng;
    ward_gw_prov_config cfg;
    ward_gw_qr qr;
    ward_gw_prov gw;
    ward_gw_app app;
} ce;

static void up(ex_set *s, ce *x)
{
    static const uint8_t mac[WARD_GW_MAC_LEN] = { 0x02, 0x11, 0x22, 0xa3, 0xb4, 0xc5 };
    ward_wipe(x, sizeof *x);
    memset(x->mem, 0xFF, sizeof x->mem);
    ward_sim_flash_init(&x->sf, x->mem, sizeof x->mem, ERASE, &x->port);
    x->gw_rng = ex_rng_init(&x->gw_rr, s->cp, "gateway");
    x->app_rng = ex_rng_init(&x->app_rr, s->cp, "app");
    memcpy(x->cfg.mac, mac, sizeof mac);
    EX_OK(s, x->gw_rng.fill(x->gw_rng.ctx, x->cfg.pop, sizeof x->cfg.pop));
    EX_OK(s, x->gw_rng.fill(x->gw_rng.ctx, x->cfg.uuid, sizeof x->cfg.uuid));
    memset(x->cfg.hash, 0, sizeof x->cfg.hash);
    x->cfg.tcp_port = 10080;
    EX_OK(s, ward_gw_prov_open(&x->gw, s->cp, &x->gw_rng, &x->port, &x->cfg));
    ward_gw_ssid scan[1];
    memset(scan, 0, sizeof scan);
    memcpy(scan[0].ssid, "home", 4);
    scan[0].ssid_len = 4;
    scan[0].rssi = -42;
    EX_OK(s, ward_gw_prov_set_scan(&x->gw, scan, 1));
    memcpy(x->qr.mac, mac, sizeof mac);
    memcpy(x->qr.pop, x->cfg.pop, sizeof x->qr.pop);
    strcpy(x->qr.brand, "ward");
    strcpy(x->qr.category, "hub");
}

static void lan(ex_set *s, ce *x)
{
    const ward_crypto *cp = s->cp;
    uint8_t search[MSG], reply[MSG], refused[MSG], set[MSG], set_ans[MSG];
    size_t search_len = 0, reply_len = 0, refused_len = 0, set_len = 0, set_ans_len = 0;
    char qr[WARD_GW_QR_MAX + 1], ssid[WARD_GW_SOFTAP_SSID_MAX + 1];
    size_t n = 0;

    EX_OK(s, ward_gw_qr_encode(&x->qr, qr, sizeof qr, &n));
    ex_begin(s, "gw-lan",
             "### Flow C: discovery and Wi-Fi hand-over\n"
             "\n"
             "The gateway's QR code and SoftAP name, SEARCH with its proof, the sealed\n"
             "answer, then WIFI_SET and its answer on the TCP link (each TCP message\n"
             "goes with a 2-byte length before it, not shown). A wrong proof's answer\n"
             "closes the example.");
    ex_str(s, "qr", qr);
    EX_OK(s, ward_gw_softap_ssid(x->qr.brand, x->qr.category, x->qr.mac, ssid, sizeof ssid,
                                 &n));
    ex_str(s, "softap_ssid", ssid);
    ex_hex(s, "mac", x->cfg.mac, sizeof x->cfg.mac);
    ex_hex(s, "pop", x->cfg.pop, sizeof x->cfg.pop);
    ex_hex(s, "uuid", x->cfg.uuid, sizeof x->cfg.uuid);

    /* SEARCH */
    ex_rng_mark(&x->app_rr);
    EX_OK(s, ward_gw_app_start(&x->app, cp, &x->app_rng, &x->qr, search, sizeof search,
                               &search_len));
    uint8_t a[32], A[65], na[16];
    memcpy(a, x->app_rr.log, sizeof a);
    memcpy(na, x->app_rr.log + 32, sizeof na);
    EX_OK(s, ward_p256_public(cp, a, A));
    gw_search q;
    EX_OK(s, gw_search_parse(search, search_len, &q));
    EX_SAME(s, A, sizeof A, q.pub, sizeof A, "A = a*G in SEARCH");
    EX_SAME(s, na, sizeof na, q.nonce, sizeof na, "Na in SEARCH");
    ex_note(s, "drawn by the app: a (A = a*G), then Na");
    ex_hex(s, "a", a, sizeof a);
    ex_hex(s, "A", A, sizeof A);
    ex_hex(s, "Na", na, sizeof na);
    uint8_t kp[32], proof[32];
    ex_note(s, "Kp = ward_kdf(\"gw pop\", ikm = PoP, context = mac), 32 bytes");
    ex_kdf(s, "pop", WARD_LABEL_GW_POP, x->cfg.pop, sizeof x->cfg.pop, x->cfg.mac,
           sizeof x->cfg.mac, kp, sizeof kp);
    {
        ward_iov part = { search, q.proof_off };
        EX_OK(s, cp->hmac_sha256(kp, sizeof kp, &part, 1, proof));
    }
    EX_SAME(s, proof, 16, q.proof, 16, "proof = HMAC-SHA256(Kp, SEARCH before 0x05)[0..16)");
    ex_note(s, "proof = the first 16 bytes of HMAC-SHA256(Kp, every byte before field 0x05)");
    ex_hex(s, "proof", proof, 16);
    ex_note(s, "SEARCH: type 0x40, flags 0, key index 0, seq 0; 0x01 mac, 0x02 A, 0x03 Na,");
    ex_note(s, "0x04 command 1 (searchDevice), 0x05 proof");
    ex_msg(s, "search", search, search_len);

    /* the answer */
    ex_rng_mark(&x->gw_rr);
    EX_OK(s, ward_gw_prov_udp(&x->gw, EX_T0, search, search_len, reply, sizeof reply,
                              &reply_len));
    uint8_t g[32], G[65], ng[16];
    memcpy(g, x->gw_rr.log, sizeof g);
    memcpy(ng, x->gw_rr.log + 32, sizeof ng);
    EX_OK(s, ward_p256_public(cp, g, G));
    gw_search_ans ga;
    EX_OK(s, gw_search_ans_parse(reply, reply_len, &ga));
    EX_SAME(s, G, sizeof G, ga.pub, sizeof G, "G = g*G in the answer");
    ex_note(s, "drawn by the gateway: g (G = g*G), then Ng");
    ex_hex(s, "g", g, sizeof g);
    ex_hex(s, "G", G, sizeof G);
    ex_hex(s, "Ng", ng, sizeof ng);
    uint8_t shared[32], ikm[48], ctx[GW_LAN_CTX_LEN], okm[32];
    EX_OK(s, cp->p256_ecdh(a, G, shared));
    ex_hex(s, "ecdh_x", shared, sizeof shared);
    memcpy(ikm, shared, 32);
    memcpy(ikm + 32, x->cfg.pop, 16);
    n = 0;
    memcpy(ctx + n, x->cfg.mac, 6);
    n += 6;
    memcpy(ctx + n, A, 65);
    n += 65;
    memcpy(ctx + n, na, 16);
    n += 16;
    memcpy(ctx + n, G, 65);
    n += 65;
    memcpy(ctx + n, ng, 16);
    n += 16;
    ex_note(s, "k_ag || k_ga = ward_kdf(\"gw lan\", ikm = ecdh_x || PoP,");
    ex_note(s, "context = mac || A || Na || G || Ng), 32 bytes");
    ex_kdf(s, "lan", WARD_LABEL_GW_LAN, ikm, sizeof ikm, ctx, n, okm, sizeof okm);
    ex_hex(s, "k_ag", okm, 16);
    ex_hex(s, "k_ga", okm + 16, 16);
    uint8_t info_pt[GW_INFO_PT_MAX], nonce[13], sealed[MSG];
    size_t info_len = 0, sealed_len = 0;
    ward_gw_info info;
    memset(&info, 0, sizeof info);
    memcpy(info.mac, x->cfg.mac, 6);
    memcpy(info.uuid, x->cfg.uuid, 16);
    info.tcp_port = x->cfg.tcp_port;
    info.state = WARD_GW_WIFI_IDLE;
    EX_OK(s, gw_info_encode(&info, info_pt, sizeof info_pt, &info_len));
    ex_note(s, "device info: 0x01 mac, 0x02 uuid, 0x03 reset flag, 0x04 hash, 0x05 last");
    ex_note(s, "failure, 0x06 TCP port, 0x07 Wi-Fi state");
    ex_hex(s, "info", info_pt, info_len);
    gw_nonce(GW_DIR_GW, 0, nonce);
    ex_hex(s, "info_nonce", nonce, sizeof nonce);
    ex_note(s, "ad = every byte before field 0x03");
    ex_hex(s, "info_ad", reply, ga.ad_len);
    EX_OK(s, ward_aead_seal(cp, okm + 16, nonce, reply, ga.ad_len, info_pt, info_len, sealed,
                            sizeof sealed, &sealed_len));
    EX_SAME(s, sealed, sealed_len, ga.sealed, ga.sealed_len,
            "0x03 = AES-128-CCM(k_ga, info_nonce, info_ad, info)");
    ex_note(s, "answer: flags REPLY|SEALED; 0x01 G, 0x02 Ng, 0x03 sealed info and tag");
    ex_msg(s, "search_answer", reply, reply_len);
    ward_gw_info got;
    EX_OK(s, ward_gw_app_search_reply(&x->app, reply, reply_len, &got));

    /* WIFI_SET and its answer */
    static const char SSID[] = "home", PSK[] = "correct horse";
    EX_OK(s, ward_gw_app_wifi_set(&x->app, (const uint8_t *)SSID, 4, (const uint8_t *)PSK,
                                  strlen(PSK), set, sizeof set, &set_len));
    uint8_t pt[64];
    size_t pt_len = 0;
    {
        ward_tlv_writer w;
        ward_tlv_writer_init(&w, pt, sizeof pt);
        ward_tlv_put(&w, 0x01, (const uint8_t *)SSID, 4);
        ward_tlv_put(&w, 0x02, (const uint8_t *)PSK, strlen(PSK));
        EX_OK(s, ward_tlv_writer_finish(&w, &pt_len));
    }
    ex_note(s, "WIFI_SET plaintext: 0x01 ssid, 0x02 psk");
    ex_hex(s, "wifi_set_pt", pt, pt_len);
    gw_nonce(GW_DIR_APP, 1, nonce);
    ex_hex(s, "wifi_set_nonce", nonce, sizeof nonce);
    EX_OK(s, ward_aead_seal(cp, okm, nonce, set, WARD_HDR_BASE_LEN, pt, pt_len, sealed,
                            sizeof sealed, &sealed_len));
    EX_SAME(s, sealed, sealed_len, set + WARD_HDR_BASE_LEN + 2, set_len - WARD_HDR_BASE_LEN - 2,
            "WIFI_SET 0x01 = AES-128-CCM(k_ag, nonce, header, plaintext)");
    ex_note(s, "WIFI_SET: type 0x42, flags SEALED, seq 1; ad = the header (11 bytes)");
    ex_msg(s, "wifi_set", set, set_len);
    ward_gw_event ev;
    EX_OK(s, ward_gw_prov_tcp(&x->gw, EX_T0, set, set_len, &ev, set_ans, sizeof set_ans,
                              &set_ans_len));
    EX_OK(s, gw_state_encode(WARD_GW_WIFI_JOINING, WARD_GW_FAIL_NONE, pt, sizeof pt, &pt_len));
    ex_note(s, "its answer: flags REPLY|SEALED, seq 1, under k_ga; 0x01 state 1 (joining),");
    ex_note(s, "0x02 last failure 0");
    ex_hex(s, "wifi_set_answer_pt", pt, pt_len);
    gw_nonce(GW_DIR_GW, 1, nonce);
    EX_OK(s, ward_aead_seal(cp, okm + 16, nonce, set_ans, WARD_HDR_BASE_LEN, pt, pt_len, sealed,
                            sizeof sealed, &sealed_len));
    EX_SAME(s, sealed, sealed_len, set_ans + WARD_HDR_BASE_LEN + 2,
            set_ans_len - WARD_HDR_BASE_LEN - 2, "the answer's 0x01");
    ex_msg(s, "wifi_set_answer", set_ans, set_ans_len);
    ward_gw_answer ans;
    EX_OK(s, ward_gw_app_reply(&x->app, set_ans, set_ans_len, &ans));

    /* The other requests, each sealed as WIFI_SET is (seq 2, 3, ...). */
    EX_OK(s, ward_gw_prov_join_result(&x->gw, WARD_GW_FAIL_NONE));
    ex_begin(s, "gw-lan-requests",
             "The same link goes on: the station join succeeded, and the other requests\n"
             "and their answers follow, each sealed as WIFI_SET and its answer are, with\n"
             "the next seq (2 to 6). CLAIM and CREDENTIALS carry the cloud stage's\n"
             "bytes, here stand-ins.");
    static const char *const names[] = { "ssid_list", "wifi_status", "wifi_commit", "claim",
                                         "credentials" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        uint8_t req[MSG], res[MSG];
        size_t rq = 0, rs = 0;
        char name[EX_NAME_MAX];
        static const uint8_t CLAIM[] = "claim bytes", REG[] = "registration bytes";
        static const uint8_t CRED[] = "credential bytes", ACK[] = "ack";
        switch (i) {
        case 0:
            EX_OK(s, ward_gw_app_list(&x->app, req, sizeof req, &rq));
            break;
        case 1:
            EX_OK(s, ward_gw_app_status(&x->app, req, sizeof req, &rq));
            break;
        case 2:
            EX_OK(s, ward_gw_app_commit(&x->app, req, sizeof req, &rq));
            break;
        case 3:
            EX_OK(s, ward_gw_app_claim(&x->app, CLAIM, sizeof CLAIM - 1, req, sizeof req, &rq));
            break;
        default:
            EX_OK(s, ward_gw_app_credentials(&x->app, CRED, sizeof CRED - 1, req, sizeof req,
                                             &rq));
            break;
        }
        EX_OK(s, ward_gw_prov_tcp(&x->gw, EX_T0, req, rq, &ev, res, sizeof res, &rs));
        if (i == 3) {
            EX_OK(s, ward_gw_prov_answer(&x->gw, REG, sizeof REG - 1, res, sizeof res, &rs));
        } else if (i == 4) {
            EX_OK(s, ward_gw_prov_answer(&x->gw, ACK, sizeof ACK - 1, res, sizeof res, &rs));
        }
        EX_OK(s, ward_gw_app_reply(&x->app, res, rs, &ans));
        ex_msg(s, names[i], req, rq);
        snprintf(name, sizeof name, "%s_answer", names[i]);
        ex_msg(s, name, res, rs);
    }

    /* a wrong proof */
    ex_begin(s, "gw-search-refused",
             "A SEARCH whose proof does not hold gets an unsealed refusal.");
    search[search_len - 1] ^= 1;
    if (ward_gw_prov_udp(&x->gw, EX_T0, search, search_len, refused, sizeof refused,
                         &refused_len) != WARD_ERR_AUTH) {
        ex_fail(s, "a wrong proof was not refused");
    }
    ex_note(s, "SEARCH with its last byte changed: flags REPLY|ERROR, 0x01 code 4 (AUTH)");
    ex_msg(s, "search_refused", refused, refused_len);
    ward_wipe(kp, sizeof kp);
    ward_wipe(okm, sizeof okm);
    ward_wipe(ikm, sizeof ikm);
}

void ex_gen_flow_c_lan(ex_set *s)
{
    /* Static: a failure longjmps out, and nothing may leak then. */
    static ce env;
    up(s, &env);
    lan(s, &env);
    ward_gw_prov_close(&env.gw);
    ward_gw_app_wipe(&env.app);
    ward_wipe(&env, sizeof env);
}
