/* gw_probe: the gateway's side of flow C's cloud stage on the real core,
 * sans-I/O, for tests/e2e/test_gateways_api.py (which carries the bytes
 * to and from wardd, and replays them as an attacker would).
 *
 *   gw_probe DIR init FACTORY_KEYFILE   gateway key, uuid, activation
 *   gw_probe DIR register CLAIM_B64     prints register=B64 and owner=HEX (the owner
 *                                       hash its device info carries this epoch)
 *   gw_probe DIR epoch                  a new provisioning epoch (what a reset does)
 *   gw_probe DIR creds CREDS_B64        opens and keeps the credentials
 *   gw_probe DIR login-start            prints login=B64 (counter + 1 kept first)
 *   gw_probe DIR login-finish REPLY_B64 the session opens (exit 1: refused)
 *   gw_probe DIR seal TEXT              prints packet=B64 (a DATA)
 *   gw_probe DIR logout                 prints packet=B64 (a LOGOUT)
 *   gw_probe DIR open PACKET_B64        prints payload=TEXT (exit 1: refused)
 *   gw_probe DIR agent URL TEXT         through the agent library (ward_agent_gw.h):
 *                                       login, TEXT up and back, logout; prints
 *                                       payload=TEXT, or status=N and why (exit 1)
 *
 * The session's bytes are kept in DIR/session between calls (a
 * ward_gw_session holds no pointer). Exits 2 on a usage or file error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ward/ward.h"
#include "ward/ward_encode.h"
#include "ward/ward_gw_cloud.h"
#include "ward/ward_agent_gw.h"
#include "ward/ward_host.h"

#define GW_KEY WARD_KEY_DEVICE_IDENTITY

static const char *dir;
static const ward_crypto *cp;
static ward_random rng;

static void die(const char *what)
{
    fprintf(stderr, "gw_probe: %s\n", what);
    exit(2);
}

static void path(const char *name, char *out, size_t cap)
{
    if (snprintf(out, cap, "%s/%s", dir, name) >= (int)cap) {
        die("path too long");
    }
}

static size_t file_read(const char *name, uint8_t *buf, size_t cap, bool must)
{
    char p[1024];
    path(name, p, sizeof p);
    FILE *f = fopen(p, "rb");
    if (f == NULL) {
        if (must) {
            die(name);
        }
        return 0;
    }
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static void file_write(const char *name, const uint8_t *buf, size_t len)
{
    char p[1024];
    path(name, p, sizeof p);
    FILE *f = fopen(p, "wb");
    if (f == NULL || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
        die(name);
    }
}

static void print_b64(const char *name, const uint8_t *v, size_t len)
{
    char out[2048];
    if (ward_b64_encode(v, len, out, sizeof out) != WARD_OK) {
        die("base64");
    }
    printf("%s=%s\n", name, out);
}

static size_t arg_b64(const char *in, uint8_t *out, size_t cap)
{
    size_t n = 0;
    if (ward_b64_decode(in, strlen(in), out, cap, &n) != WARD_OK) {
        die("bad base64");
    }
    return n;
}

static void keystore(ward_keystore_soft *soft, ward_keystore *ks)
{
    uint8_t priv[WARD_P256_SCALAR_LEN];
    ward_keystore_soft_init(soft, cp, &rng, ks);
    if (file_read("gw.key", priv, sizeof priv, true) != sizeof priv ||
        ward_keystore_soft_load(soft, GW_KEY, priv) != WARD_OK) {
        die("gw.key");
    }
    ward_wipe(priv, sizeof priv);
}

static int cmd_init(const char *factory_file)
{
    ward_keystore_soft soft, fsoft;
    ward_keystore ks, fks;
    uint8_t pub[WARD_P256_POINT_LEN], priv[WARD_P256_SCALAR_LEN], uuid[WARD_GW_UUID_LEN];
    char hex[128], uuid_hex[2 * WARD_GW_UUID_LEN + 1];
    size_t n = 0;
    ward_keystore_soft_init(&soft, cp, &rng, &ks);
    if (ks.generate(ks.ctx, GW_KEY, pub) != WARD_OK ||
        ward_keystore_soft_export(&soft, GW_KEY, priv) != WARD_OK) {
        die("keygen");
    }
    file_write("gw.key", priv, sizeof priv);
    FILE *f = fopen(factory_file, "r");
    if (f == NULL || fgets(hex, sizeof hex, f) == NULL ||
        ward_hex_decode(hex, strcspn(hex, "\r\n"), priv, sizeof priv, &n) != WARD_OK ||
        n != sizeof priv) {
        die("factory key");
    }
    fclose(f);
    ward_keystore_soft_init(&fsoft, cp, &rng, &fks);
    if (ward_keystore_soft_load(&fsoft, WARD_KEY_FACTORY, priv) != WARD_OK ||
        rng.fill(rng.ctx, uuid, sizeof uuid) != WARD_OK ||
        ward_hex_encode(uuid, sizeof uuid, uuid_hex, sizeof uuid_hex) != WARD_OK) {
        die("factory key");
    }
    ward_wipe(priv, sizeof priv);
    ward_activation a = { (const uint8_t *)uuid_hex, 2 * WARD_GW_UUID_LEN, pub };
    uint8_t act[WARD_ACTIVATION_MAX];
    if (ward_activation_sign_by(cp, &fks, WARD_KEY_FACTORY, &a, act, sizeof act, &n) != WARD_OK) {
        die("activation");
    }
    file_write("uuid", uuid, sizeof uuid);
    file_write("activation", act, n);
    /* The verification code and the first epoch's random. */
    uint8_t owner[WARD_GW_OWNER_CODE_LEN + WARD_GW_OWNER_RANDOM_LEN];
    if (rng.fill(rng.ctx, owner, sizeof owner) != WARD_OK) {
        die("random");
    }
    file_write("owner", owner, sizeof owner);
    ward_keystore_soft_wipe(&soft);
    ward_keystore_soft_wipe(&fsoft);
    printf("uuid=%s\n", uuid_hex);
    return 0;
}

static int cmd_register(const char *claim_b64)
{
    ward_keystore_soft soft;
    ward_keystore ks;
    uint8_t msg[WARD_GW_REGISTER_MAX], claim[WARD_GW_CLAIM_LEN], act[WARD_ACTIVATION_MAX];
    uint8_t uuid[WARD_GW_UUID_LEN];
    static const uint8_t mac[WARD_GW_MAC_LEN] = { 0x24, 0x0a, 0xc4, 0x00, 0x00, 0x01 };
    size_t len = arg_b64(claim_b64, msg, sizeof msg), alen = 0;
    if (ward_gw_claim_parse(msg, len, claim) != WARD_OK) {
        fprintf(stderr, "gw_probe: not a CLAIM\n");
        return 1;
    }
    keystore(&soft, &ks);
    file_read("uuid", uuid, sizeof uuid, true);
    alen = file_read("activation", act, sizeof act, true);
    uint8_t owner[WARD_GW_OWNER_CODE_LEN + WARD_GW_OWNER_RANDOM_LEN];
    uint8_t hash[WARD_GW_OWNER_HASH_LEN];
    char hex[2 * WARD_GW_OWNER_HASH_LEN + 1];
    if (file_read("owner", owner, sizeof owner, true) != sizeof owner ||
        ward_gw_owner_hash(cp, owner, owner + WARD_GW_OWNER_CODE_LEN, uuid, hash) != WARD_OK ||
        ward_hex_encode(hash, sizeof hash, hex, sizeof hex) != WARD_OK) {
        die("owner");
    }
    if (ward_gw_register_sign_by(cp, &ks, GW_KEY, claim, mac, uuid, act, alen, hash, msg,
                                 sizeof msg, &len) != WARD_OK) {
        die("register");
    }
    ward_keystore_soft_wipe(&soft);
    print_b64("register", msg, len);
    printf("owner=%s\n", hex);
    return 0;
}

static int cmd_epoch(void)
{
    uint8_t owner[WARD_GW_OWNER_CODE_LEN + WARD_GW_OWNER_RANDOM_LEN];
    if (file_read("owner", owner, sizeof owner, true) != sizeof owner ||
        rng.fill(rng.ctx, owner + WARD_GW_OWNER_CODE_LEN, WARD_GW_OWNER_RANDOM_LEN) != WARD_OK) {
        die("owner");
    }
    file_write("owner", owner, sizeof owner);
    return 0;
}

static int cmd_creds(const char *b64)
{
    ward_keystore_soft soft;
    ward_keystore ks;
    uint8_t msg[WARD_GW_CREDS_MSG_LEN + 8];
    ward_gw_creds c;
    size_t len = arg_b64(b64, msg, sizeof msg);
    keystore(&soft, &ks);
    ward_err err = ward_gw_creds_open_by(cp, &ks, GW_KEY, msg, len, &c);
    ward_keystore_soft_wipe(&soft);
    if (err != WARD_OK) {
        fprintf(stderr, "gw_probe: credentials refused: %s\n", ward_strerror(err));
        return 1;
    }
    /* Kept only once opened: the previous generation stays until then. */
    file_write("creds", (const uint8_t *)&c, sizeof c);
    ward_wipe(&c, sizeof c);
    return 0;
}

static void load_session(ward_gw_session *s)
{
    if (file_read("session", s->opaque.bytes, sizeof s->opaque.bytes, true) !=
        sizeof s->opaque.bytes) {
        die("session");
    }
}

static int cmd_login_start(void)
{
    ward_gw_creds c;
    ward_gw_session s;
    uint8_t msg[WARD_GW_LOGIN_LEN], cb[8] = { 0 };
    size_t len = 0;
    uint64_t counter = 0;
    if (file_read("creds", (uint8_t *)&c, sizeof c, true) != sizeof c) {
        die("creds");
    }
    file_read("counter", cb, sizeof cb, false);
    memcpy(&counter, cb, sizeof counter);
    counter++;
    /* The counter is kept before the login goes: never sent twice. */
    memcpy(cb, &counter, sizeof counter);
    file_write("counter", cb, sizeof cb);
    if (ward_gw_login_start(&s, cp, &rng, &c, counter, msg, sizeof msg, &len) != WARD_OK) {
        die("login");
    }
    ward_wipe(&c, sizeof c);
    file_write("session", s.opaque.bytes, sizeof s.opaque.bytes);
    print_b64("login", msg, len);
    return 0;
}

static int cmd_login_finish(const char *b64)
{
    ward_gw_session s;
    uint8_t msg[WARD_GW_LOGIN_REPLY_LEN + 8];
    size_t len = arg_b64(b64, msg, sizeof msg);
    load_session(&s);
    ward_err err = ward_gw_login_finish(&s, cp, msg, len);
    if (err != WARD_OK) {
        fprintf(stderr, "gw_probe: login reply refused: %s\n", ward_strerror(err));
        return 1;
    }
    file_write("session", s.opaque.bytes, sizeof s.opaque.bytes);
    printf("ttl=%u\n", (unsigned)ward_gw_session_ttl(&s));
    return 0;
}

static int cmd_seal(uint8_t type, const char *text)
{
    ward_gw_session s;
    uint8_t msg[WARD_GW_DATA_MAX];
    size_t len = 0;
    load_session(&s);
    ward_err err = ward_gw_session_seal(&s, cp, type, (const uint8_t *)text, strlen(text), msg,
                                        sizeof msg, &len);
    if (err != WARD_OK) {
        fprintf(stderr, "gw_probe: seal: %s\n", ward_strerror(err));
        return 1;
    }
    file_write("session", s.opaque.bytes, sizeof s.opaque.bytes);
    print_b64("packet", msg, len);
    return 0;
}

static int cmd_open(const char *b64)
{
    ward_gw_session s;
    uint8_t msg[WARD_GW_DATA_MAX + 8], pt[WARD_GW_SESSION_PAYLOAD_MAX + 1], type = 0;
    size_t len = arg_b64(b64, msg, sizeof msg), n = 0;
    load_session(&s);
    ward_err err = ward_gw_session_open(&s, cp, msg, len, &type, pt, sizeof pt - 1, &n);
    if (err != WARD_OK) {
        fprintf(stderr, "gw_probe: packet refused: %s\n", ward_strerror(err));
        return 1;
    }
    file_write("session", s.opaque.bytes, sizeof s.opaque.bytes);
    pt[n] = '\0';
    printf("payload=%s\n", (const char *)pt);
    return 0;
}

/* The whole round through the agent: what a gateway's main loop does. */
static int cmd_agent(const ward_host *host, const char *url, const char *text)
{
    ward_agent ag;
    ward_gw_creds c;
    ward_gw_session s;
    uint8_t cb[8] = { 0 }, out[WARD_GW_SESSION_PAYLOAD_MAX + 1];
    uint64_t counter = 0;
    size_t n = 0;
    char why[256] = "";
    if (ward_agent_init(&ag, &ward_agent_http, host, url, NULL) != WARD_OK ||
        file_read("creds", (uint8_t *)&c, sizeof c, true) != sizeof c) {
        die("agent");
    }
    file_read("counter", cb, sizeof cb, false);
    memcpy(&counter, cb, sizeof counter);
    counter++;
    memcpy(cb, &counter, sizeof counter);
    file_write("counter", cb, sizeof cb);
    long st = ward_agent_gw_login(&ag, &s, &c, counter, why, sizeof why);
    ward_wipe(&c, sizeof c);
    if (st == 0) {
        st = ward_agent_gw_send(&ag, &s, (const uint8_t *)text, strlen(text), out,
                                sizeof out - 1, &n, why, sizeof why);
    }
    if (st == 0) {
        out[n] = '\0';
        printf("payload=%s\n", (const char *)out);
        st = ward_agent_gw_logout(&ag, &s, why, sizeof why);
    }
    if (st != 0) {
        printf("status=%ld\n", st);
        fprintf(stderr, "gw_probe: %s\n", why);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        die("usage: gw_probe DIR CMD [ARG]");
    }
    ward_host host;
    ward_host_init(&host);
    cp = host.crypto;
    rng = host.rng;
    dir = argv[1];
    const char *cmd = argv[2], *arg = argc > 3 ? argv[3] : NULL;
    if (strcmp(cmd, "init") == 0 && arg != NULL) {
        return cmd_init(arg);
    }
    if (strcmp(cmd, "register") == 0 && arg != NULL) {
        return cmd_register(arg);
    }
    if (strcmp(cmd, "epoch") == 0) {
        return cmd_epoch();
    }
    if (strcmp(cmd, "creds") == 0 && arg != NULL) {
        return cmd_creds(arg);
    }
    if (strcmp(cmd, "login-start") == 0) {
        return cmd_login_start();
    }
    if (strcmp(cmd, "login-finish") == 0 && arg != NULL) {
        return cmd_login_finish(arg);
    }
    if (strcmp(cmd, "seal") == 0 && arg != NULL) {
        return cmd_seal(WARD_MSG_GW_DATA, arg);
    }
    if (strcmp(cmd, "logout") == 0) {
        return cmd_seal(WARD_MSG_GW_LOGOUT, "");
    }
    if (strcmp(cmd, "agent") == 0 && arg != NULL && argc > 4) {
        return cmd_agent(&host, arg, argv[4]);
    }
    if (strcmp(cmd, "open") == 0 && arg != NULL) {
        return cmd_open(arg);
    }
    die("unknown command");
    return 2;
}
