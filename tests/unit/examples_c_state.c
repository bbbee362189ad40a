/* Worked examples of flow C's state files: provision.bin, cloud.bin, DB.gwkey (examples.h). */
#include "examples_c.h"

#include <string.h>

#include "ward/ward_encode.h"
#include "ward/ward_gw_cloud.h"
#include "ward/ward_gw_prov.h"
#include "ward/ward_port_sim.h"
#include "ward/ward_store.h"

#define PROV_FILE 8192   /* G/provision.bin */
#define CLOUD_FILE 4096  /* G/cloud.bin */
#define CREDS_REC WARD_GW_CREDS_REC_LEN   /* 92 */
#define WRAP_KEY ((ward_key_id)0x0100u)   /* wardd's handle (server/gateways.c) */

typedef struct sx {
    ex_rng rr;
    ward_random rng;
    uint8_t prov[PROV_FILE], cloud[CLOUD_FILE];
    ward_sim_flash sf;
    ward_store_port port;
    ward_store st;
    ward_gw_prov gw;
    ward_keystore_soft soft;
    ward_keystore ks;
} sx;

/* Where the valid bank of a two-bank file starts (the newer one, by the
 * documented header), so the example shows the bank a reader takes. */
static size_t active_bank(ex_set *s, const uint8_t *mem, size_t size)
{
    size_t best = size;
    uint32_t best_seq = 0;
    for (size_t off = 0; off < size; off += size / 2) {
        uint32_t seq = (uint32_t)mem[off + 4] << 24 | (uint32_t)mem[off + 5] << 16 |
                       (uint32_t)mem[off + 6] << 8 | mem[off + 7];
        if (memcmp(mem + off, "WRD1", 4) == 0 && seq > best_seq) {
            best_seq = seq;
            best = off;
        }
    }
    if (best == size) {
        ex_fail(s, "no bank written");
    }
    return best;
}

static size_t bank_len(const uint8_t *bank)
{
    return WARD_STORE_BANK_HDR_LEN + ((size_t)bank[8] << 24 | (size_t)bank[9] << 16 |
                                      (size_t)bank[10] << 8 | bank[11]);
}

static void show_bank(ex_set *s, const char *name, const uint8_t *mem, size_t size)
{
    size_t off = active_bank(s, mem, size);
    uint8_t o[2] = { (uint8_t)(off >> 8), (uint8_t)off };
    char what[EX_NAME_MAX];
    snprintf(what, sizeof what, "%s.offset", name);
    ex_hex(s, what, o, sizeof o);
    ex_hex(s, name, mem + off, bank_len(mem + off));
}

static void put_be(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = n; i-- > 0;) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static void provision_file(ex_set *s, sx *x)
{
    static const char ssid[] = "home", psk[] = "correct-horse";
    uint8_t wifi[2 + sizeof ssid + sizeof psk], none = 0, got_ssid[WARD_GW_SSID_MAX];
    uint8_t got_psk[WARD_GW_PSK_MAX];
    size_t o = 0, sl = 0, pl = 0;
    wifi[o++] = (uint8_t)(sizeof ssid - 1);
    memcpy(wifi + o, ssid, sizeof ssid - 1);
    o += sizeof ssid - 1;
    wifi[o++] = (uint8_t)(sizeof psk - 1);
    memcpy(wifi + o, psk, sizeof psk - 1);
    o += sizeof psk - 1;
    /* A blank file (0xFF), then WIFI_COMMIT's one update. */
    ward_sim_flash_init(&x->sf, x->prov, sizeof x->prov, sizeof x->prov / 2, &x->port);
    ward_sim_flash_format(&x->sf);
    EX_OK(s, ward_store_open(&x->st, &x->port));
    ward_record_change ch[2] = { { 0x0400u, wifi, o, false }, { 0x0401u, &none, 1, false } };
    EX_OK(s, ward_store_update(&x->st, ch, 2));
    /* The gateway's core reads it back as its committed network. */
    ward_gw_prov_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.tcp_port = 10080;
    EX_OK(s, ward_gw_prov_open(&x->gw, s->cp, &x->rng, &x->port, &cfg));
    EX_OK(s, ward_gw_prov_wifi(&x->gw, got_ssid, &sl, got_psk, &pl));
    EX_SAME(s, got_ssid, sl, ssid, sizeof ssid - 1, "provision.bin's SSID");
    EX_SAME(s, got_psk, pl, psk, sizeof psk - 1, "provision.bin's password");
    ward_gw_prov_close(&x->gw);
    ward_wipe(got_psk, sizeof got_psk);

    ex_begin(s, "gw-provision-file",
             "### Flow C: the gateway's state files\n"
             "\n"
             "Each is a record store file (\"Record store layout\"): the file is the\n"
             "region, its two halves the banks, 0xFF where nothing was written; a reader\n"
             "takes the valid bank with the higher seq. Shown: the offset of that bank\n"
             "in the file and its bytes up to the end of its records. First\n"
             "`G/provision.bin` (8192 bytes, banks of 4096) after WIFI_COMMIT of\n"
             "SSID \"home\", password \"correct-horse\".");
    ex_note(s, "0x0400: ssid_len (1) || ssid || psk_len (1) || psk; 0x0401: last failure");
    ex_note(s, "(1), 0 = none; both in one update");
    ex_hex(s, "wifi_record", wifi, o);
    show_bank(s, "provision_bank", x->prov, sizeof x->prov);
}

static void cloud_file(ex_set *s, sx *x, const ward_gw_creds *c, uint64_t counter)
{
    uint8_t rec[CREDS_REC + 8], cb[8];
    /* The codec the gateway keeps them with (cli/gw_cloud.c), from the core. */
    ward_gw_creds_rec_encode(c, rec);
    ward_sim_flash_init(&x->sf, x->cloud, sizeof x->cloud, sizeof x->cloud / 2, &x->port);
    ward_sim_flash_format(&x->sf);
    EX_OK(s, ward_store_open(&x->st, &x->port));
    /* CREDENTIALS kept: the record and a zero counter in one update. */
    memset(cb, 0, sizeof cb);
    ward_record_change keep[2] = { { 0x0480u, rec, CREDS_REC, false },
                                   { 0x0481u, cb, sizeof cb, false } };
    EX_OK(s, ward_store_update(&x->st, keep, 2));

    ex_begin(s, "gw-cloud-file",
             "`G/cloud.bin` (4096 bytes, banks of 2048) after the gateway kept its\n"
             "credentials (generation 1, expiry one year after the example clock),\n"
             "then after one login, then after a reset wardd was not told of yet.");
    ex_note(s, "0x0480: tid (16) || generation (4) || expiry ms (8) || password (16) ||");
    ex_note(s, "accesskey (16) || localkey (32), 92 bytes; 0x0481: login counter (8)");
    ex_hex(s, "creds_record", rec, CREDS_REC);
    show_bank(s, "kept_bank", x->cloud, sizeof x->cloud);
    /* Login: the counter is stored before the LOGIN goes out. */
    put_be(cb, counter, 8);
    EX_OK(s, ward_store_put(&x->st, 0x0481u, cb, sizeof cb));
    ex_note(s, "the first login's counter stored before LOGIN goes: a new image in the");
    ex_note(s, "other bank, seq 2");
    show_bank(s, "login_bank", x->cloud, sizeof x->cloud);
    /* Reset: 0x0480 and 0x0481 out, 0x0482 = both, in one update. */
    memcpy(rec + CREDS_REC, cb, sizeof cb);
    ward_record_change reset[3] = { { 0x0482u, rec, sizeof rec, false },
                                    { 0x0480u, NULL, 0, true },
                                    { 0x0481u, NULL, 0, true } };
    EX_OK(s, ward_store_update(&x->st, reset, 3));
    ex_note(s, "reset: 0x0482 = the 0x0480 record || the counter (100 bytes); 0x0480 and");
    ex_note(s, "0x0481 removed; one update, seq 3, back in the first bank");
    show_bank(s, "reset_bank", x->cloud, sizeof x->cloud);
    ward_wipe(rec, sizeof rec);
}

/* wardd's DB.gwkey and the gateways row's wrapped accesskey. */
static void wrap_file(ex_set *s, sx *x, const ward_gw_creds *c)
{
    static const char label[] = "gw accesskey";
    char text[2 * WARD_P256_SCALAR_LEN + 2];
    uint8_t priv[WARD_P256_SCALAR_LEN], pub[WARD_P256_POINT_LEN], e[WARD_P256_SCALAR_LEN];
    uint8_t ad[sizeof label - 1 + WARD_GW_TID_LEN + 4];
    uint8_t wrapped[WARD_GW_ACCESSKEY_LEN + WARD_SEAL_OVERHEAD], back[WARD_GW_ACCESSKEY_LEN];
    size_t wl = 0, n = 0;
    /* A scalar below n, as wardd's 32 random bytes must be to load. */
    ex_rng_mark(&x->rr);
    EX_OK(s, x->rng.fill(x->rng.ctx, priv, sizeof priv));
    ward_keystore_soft_init(&x->soft, s->cp, &x->rng, &x->ks);
    EX_OK(s, ward_keystore_soft_load(&x->soft, WRAP_KEY, priv));
    EX_OK(s, x->ks.public_key(x->ks.ctx, WRAP_KEY, pub));
    EX_OK(s, ward_hex_encode(priv, sizeof priv, text, sizeof text));
    text[2 * WARD_P256_SCALAR_LEN] = '\n';
    memcpy(ad, label, sizeof label - 1);
    memcpy(ad + sizeof label - 1, c->tid, WARD_GW_TID_LEN);
    put_be(ad + sizeof label - 1 + WARD_GW_TID_LEN, c->generation, 4);
    ex_rng_mark(&x->rr);
    EX_OK(s, ward_seal_to(s->cp, &x->rng, pub, ad, sizeof ad, c->accesskey,
                          sizeof c->accesskey, wrapped, sizeof wrapped, &wl));
    if (x->rr.log_len != sizeof e) {
        ex_fail(s, "the wrap drew %zu bytes", x->rr.log_len);
    }
    memcpy(e, x->rr.log, sizeof e);
    EX_OK(s, ward_seal_open_by(s->cp, &x->ks, WRAP_KEY, pub, ad, sizeof ad, wrapped, wl, back,
                               sizeof back, &n));
    EX_SAME(s, back, n, c->accesskey, sizeof c->accesskey, "the unwrapped accesskey");

    ex_begin(s, "gw-wrap-key",
             "wardd's `DB.gwkey` (beside the database DB, mode 0600, made at first\n"
             "start) and the `wrapped` column of the gateway's row in `gateways`, for\n"
             "the credentials of `gw-cloud-file`.");
    ex_note(s, "the file: the wrap key's private scalar as 64 lowercase hex digits, then");
    ex_note(s, "a newline (0x0A), 65 bytes exactly; a scalar of 0 or >= n is refused");
    ex_note(s, "(event gw_key_bad, wardd does not start)");
    ex_text(s, "gwkey_digits", (const uint8_t *)text, 2 * WARD_P256_SCALAR_LEN);
    ex_hex(s, "wrap_pub", pub, sizeof pub);
    ex_note(s, "ad = \"gw accesskey\" || tid || generation (4)");
    ex_hex(s, "wrap_ad", ad, sizeof ad);
    ex_note(s, "drawn by wardd: the seal's e; wrapped = ward_seal_to(wrap_pub, ad,");
    ex_note(s, "accesskey) = E (65) || AES-128-CCM ciphertext (16) || tag (16)");
    ex_hex(s, "wrap_e", e, sizeof e);
    ex_hex(s, "wrapped", wrapped, wl);
    ward_keystore_soft_wipe(&x->soft);
    ward_wipe(priv, sizeof priv);
    ward_wipe(text, sizeof text);
}

void ex_gen_flow_c_state(ex_set *s)
{
    static sx x;
    ward_wipe(&x, sizeof x);
    x.rng = ex_rng_init(&x.rr, s->cp, "gw state");
    ward_gw_creds c;
    ex_c_draw_creds(s, &x.rng, &c);
    provision_file(s, &x);
    cloud_file(s, &x, &c, 1);
    wrap_file(s, &x, &c);
    ward_wipe(&c, sizeof c);
}
