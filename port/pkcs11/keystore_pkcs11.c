/* The keystore port on a PKCS#11 token through p11-kit; see ward_port_pkcs11.h. */
#define _POSIX_C_SOURCE 200809L
#include "ward/ward_port_pkcs11.h"
#include "ward/ward_suite.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>

#define MAX_SLOTS 64
#define LABEL_MAX 96
#define PIN_MAX 128

struct ward_pkcs11_keystore {
    CK_FUNCTION_LIST **modules;  /* all registered ones, when no module-path */
    CK_FUNCTION_LIST *single;    /* the one loaded by module-path */
    CK_FUNCTION_LIST *fn;        /* the module holding the token */
    CK_SESSION_HANDLE session;
    bool session_open;
    bool logged_in;
    const ward_crypto *cp;
    char prefix[LABEL_MAX / 2];
    char name[LABEL_MAX];
};

/* DER of the OID prime256v1 (1.2.840.10045.3.1.7): CKA_EC_PARAMS. */
static const CK_BYTE p256_params[] = { 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01,
                                       0x07 };

const char *ward_pkcs11_key_name(ward_key_id id)
{
    switch (id) {
    case WARD_KEY_LOCK_IDENTITY: return "lock-identity";
    case WARD_KEY_DEVICE_IDENTITY: return "device-identity";
    case WARD_KEY_APP_CLIENT: return "app-client";
    case WARD_KEY_FACTORY: return "factory";
    case WARD_KEY_SE: return "se";
    case WARD_KEY_RELEASE: return "release";
    case WARD_KEY_TIME: return "time";
    case WARD_KEY_GW_WRAP: return "gw-wrap";
    default: return NULL;
    }
}

/* A token that is gone or a session that died is an I/O failure (try
 * again, check the device); anything else the module refuses is a
 * crypto failure. */
static ward_err map_rv(CK_RV rv)
{
    switch (rv) {
    case CKR_OK: return WARD_OK;
    case CKR_PIN_INCORRECT: case CKR_PIN_LOCKED: case CKR_PIN_EXPIRED:
    case CKR_USER_NOT_LOGGED_IN: return WARD_ERR_AUTH;
    case CKR_DEVICE_ERROR: case CKR_DEVICE_REMOVED: case CKR_DEVICE_MEMORY:
    case CKR_TOKEN_NOT_PRESENT: case CKR_SESSION_CLOSED: case CKR_SESSION_HANDLE_INVALID:
    case CKR_HOST_MEMORY: case CKR_GENERAL_ERROR: return WARD_ERR_IO;
    default: return WARD_ERR_CRYPTO;
    }
}

static void say(char *why, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t cap, const char *fmt, ...)
{
    if (why != NULL && cap > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, cap, fmt, ap);
        va_end(ap);
    }
}

static bool label_of(const ward_pkcs11_keystore *p, ward_key_id id, char out[LABEL_MAX])
{
    const char *n = ward_pkcs11_key_name(id);
    return n != NULL && snprintf(out, LABEL_MAX, "%s-%s", p->prefix, n) < LABEL_MAX;
}

/* The one object of class cls labelled for id. NOTFOUND for none, STATE
 * for two (which one would be the key is not ours to guess). */
static ward_err find(ward_pkcs11_keystore *p, ward_key_id id, CK_OBJECT_CLASS cls,
                     CK_OBJECT_HANDLE *obj)
{
    char label[LABEL_MAX];
    CK_KEY_TYPE kt = CKK_EC;
    CK_OBJECT_HANDLE found[2];
    CK_ULONG n = 0;
    if (!label_of(p, id, label)) {
        return WARD_ERR_PARAM;
    }
    CK_ATTRIBUTE t[] = {
        { CKA_CLASS, &cls, sizeof cls },
        { CKA_KEY_TYPE, &kt, sizeof kt },
        { CKA_LABEL, label, strlen(label) },
    };
    CK_RV rv = p->fn->C_FindObjectsInit(p->session, t, 3);
    if (rv != CKR_OK) {
        return map_rv(rv);
    }
    rv = p->fn->C_FindObjects(p->session, found, 2, &n);
    p->fn->C_FindObjectsFinal(p->session);
    if (rv != CKR_OK) {
        return map_rv(rv);
    }
    if (n == 0) {
        return WARD_ERR_NOTFOUND;
    }
    if (n > 1) {
        return WARD_ERR_STATE;
    }
    *obj = found[0];
    return WARD_OK;
}

static ward_err public_once(void *ctx, ward_key_id id, uint8_t pub[WARD_P256_POINT_LEN])
{
    ward_pkcs11_keystore *p = ctx;
    CK_OBJECT_HANDLE obj;
    CK_BYTE point[2 + WARD_P256_POINT_LEN + 8];
    ward_err err = find(p, id, CKO_PUBLIC_KEY, &obj);
    if (err != WARD_OK) {
        return err;
    }
    CK_ATTRIBUTE a = { CKA_EC_POINT, point, sizeof point };
    CK_RV rv = p->fn->C_GetAttributeValue(p->session, obj, &a, 1);
    if (rv != CKR_OK) {
        return map_rv(rv);
    }
    /* PKCS#11 2.40 says a DER OCTET STRING; some modules give the bare
     * point. Both are taken, nothing else. */
    const CK_BYTE *q = NULL;
    if (a.ulValueLen == 2 + WARD_P256_POINT_LEN && point[0] == 0x04 &&
        point[1] == WARD_P256_POINT_LEN) {
        q = point + 2;
    } else if (a.ulValueLen == WARD_P256_POINT_LEN) {
        q = point;
    }
    if (q == NULL || p->cp->p256_point_check(q) != WARD_OK) {
        return WARD_ERR_FORMAT;
    }
    memcpy(pub, q, WARD_P256_POINT_LEN);
    return WARD_OK;
}

static ward_err generate_once(void *ctx, ward_key_id id, uint8_t pub[WARD_P256_POINT_LEN])
{
    ward_pkcs11_keystore *p = ctx;
    char label[LABEL_MAX];
    CK_OBJECT_HANDLE obj, hpub, hpriv;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    if (!label_of(p, id, label)) {
        return WARD_ERR_PARAM;
    }
    ward_err err = find(p, id, CKO_PRIVATE_KEY, &obj);
    if (err != WARD_ERR_NOTFOUND) {
        return err == WARD_OK ? WARD_ERR_STATE : err;
    }
    CK_MECHANISM mech = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
    CK_ATTRIBUTE pub_t[] = {
        { CKA_TOKEN, &yes, sizeof yes },
        { CKA_VERIFY, &yes, sizeof yes },
        { CKA_EC_PARAMS, (void *)p256_params, sizeof p256_params },
        { CKA_LABEL, label, strlen(label) },
        { CKA_ID, label, strlen(label) },
    };
    /* The private half never leaves the token: sensitive, not
     * extractable, good for signing and ECDH and nothing else. */
    CK_ATTRIBUTE priv_t[] = {
        { CKA_TOKEN, &yes, sizeof yes },
        { CKA_PRIVATE, &yes, sizeof yes },
        { CKA_SENSITIVE, &yes, sizeof yes },
        { CKA_EXTRACTABLE, &no, sizeof no },
        { CKA_SIGN, &yes, sizeof yes },
        { CKA_DERIVE, &yes, sizeof yes },
        { CKA_DECRYPT, &no, sizeof no },
        { CKA_LABEL, label, strlen(label) },
        { CKA_ID, label, strlen(label) },
    };
    CK_RV rv = p->fn->C_GenerateKeyPair(p->session, &mech, pub_t, 5, priv_t, 9, &hpub, &hpriv);
    if (rv != CKR_OK) {
        return map_rv(rv);
    }
    return public_once(p, id, pub);
}

static ward_err sign_once(void *ctx, ward_key_id id, const uint8_t digest[WARD_SHA256_LEN],
                         uint8_t sig[WARD_P256_SIG_LEN])
{
    ward_pkcs11_keystore *p = ctx;
    CK_OBJECT_HANDLE obj;
    CK_MECHANISM mech = { CKM_ECDSA, NULL, 0 };
    CK_BYTE out[WARD_P256_SIG_LEN];
    CK_ULONG n = sizeof out;
    ward_err err = find(p, id, CKO_PRIVATE_KEY, &obj);
    if (err != WARD_OK) {
        return err;
    }
    CK_RV rv = p->fn->C_SignInit(p->session, &mech, obj);
    if (rv == CKR_OK) {
        rv = p->fn->C_Sign(p->session, (CK_BYTE *)digest, WARD_SHA256_LEN, out, &n);
    }
    if (rv != CKR_OK) {
        return map_rv(rv);
    }
    /* CKM_ECDSA gives r || s, each the order's length: 64 bytes. */
    if (n != WARD_P256_SIG_LEN) {
        return WARD_ERR_CRYPTO;
    }
    memcpy(sig, out, WARD_P256_SIG_LEN);
    return WARD_OK;
}

static ward_err ecdh_once(void *ctx, ward_key_id id, const uint8_t peer[WARD_P256_POINT_LEN],
                         uint8_t shared[WARD_P256_SHARED_LEN])
{
    ward_pkcs11_keystore *p = ctx;
    CK_OBJECT_HANDLE obj, secret = CK_INVALID_HANDLE;
    CK_BYTE value[WARD_P256_SHARED_LEN];
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
    CK_ULONG len = WARD_P256_SHARED_LEN;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    /* Not every module checks the point; a point off the curve must not
     * reach the key. */
    if (p->cp->p256_point_check(peer) != WARD_OK) {
        return WARD_ERR_FORMAT;
    }
    ward_err err = find(p, id, CKO_PRIVATE_KEY, &obj);
    if (err != WARD_OK) {
        return err;
    }
    CK_ECDH1_DERIVE_PARAMS prm;
    memset(&prm, 0, sizeof prm);
    prm.kdf = CKD_NULL;
    prm.ulPublicDataLen = WARD_P256_POINT_LEN;
    prm.pPublicData = (CK_BYTE *)peer;
    CK_MECHANISM mech = { CKM_ECDH1_DERIVE, &prm, sizeof prm };
    /* A session object only, read once and destroyed: the shared secret
     * goes to the crypto port's KDF like an ephemeral ECDH's. */
    CK_ATTRIBUTE t[] = {
        { CKA_CLASS, &cls, sizeof cls },
        { CKA_KEY_TYPE, &kt, sizeof kt },
        { CKA_VALUE_LEN, &len, sizeof len },
        { CKA_TOKEN, &no, sizeof no },
        { CKA_SENSITIVE, &no, sizeof no },
        { CKA_EXTRACTABLE, &yes, sizeof yes },
    };
    CK_RV rv = p->fn->C_DeriveKey(p->session, &mech, obj, t, 6, &secret);
    if (rv == CKR_OK) {
        CK_ATTRIBUTE v = { CKA_VALUE, value, sizeof value };
        rv = p->fn->C_GetAttributeValue(p->session, secret, &v, 1);
        if (rv == CKR_OK && v.ulValueLen != WARD_P256_SHARED_LEN) {
            rv = CKR_GENERAL_ERROR;
        }
        p->fn->C_DestroyObject(p->session, secret);
    }
    if (rv == CKR_OK) {
        memcpy(shared, value, WARD_P256_SHARED_LEN);
    }
    ward_wipe(value, sizeof value);
    return map_rv(rv);
}

/* A token shared by several processes (SoftHSM2's file store) may fail
 * a call (CKR_GENERAL_ERROR, a token not listed) while another process
 * rewrites its files. Such a call is tried again up to RETRIES times,
 * 20 ms after the first failure and doubling (620 ms in all at most).
 * A PIN refused is never tried again: that would count against the
 * token's retry limit. */
#define RETRIES 5

static void back_off(int attempt)
{
    struct timespec ts = { 0, (20L << attempt) * 1000000L };
    nanosleep(&ts, NULL);
}

static CK_RV login(ward_pkcs11_keystore *p, const char *pin)
{
    return p->fn->C_Login(p->session, CKU_USER, (CK_UTF8CHAR *)pin, strlen(pin));
}

/* The entries: each call tried again on a transient failure (RETRIES). */
static ward_err p11_public(void *ctx, ward_key_id id, uint8_t pub[WARD_P256_POINT_LEN])
{
    ward_err err = public_once(ctx, id, pub);
    for (int i = 0; err == WARD_ERR_IO && i < RETRIES; i++) {
        back_off(i);
        err = public_once(ctx, id, pub);
    }
    return err;
}

/* A retried generate that finds the key its first try made answers
 * WARD_ERR_STATE; the callers then take the key (public_key()). */
static ward_err p11_generate(void *ctx, ward_key_id id, uint8_t pub[WARD_P256_POINT_LEN])
{
    ward_err err = generate_once(ctx, id, pub);
    for (int i = 0; err == WARD_ERR_IO && i < RETRIES; i++) {
        back_off(i);
        err = generate_once(ctx, id, pub);
    }
    return err;
}

static ward_err p11_sign(void *ctx, ward_key_id id, const uint8_t digest[WARD_SHA256_LEN],
                         uint8_t sig[WARD_P256_SIG_LEN])
{
    ward_err err = sign_once(ctx, id, digest, sig);
    for (int i = 0; err == WARD_ERR_IO && i < RETRIES; i++) {
        back_off(i);
        err = sign_once(ctx, id, digest, sig);
    }
    return err;
}

static ward_err p11_ecdh(void *ctx, ward_key_id id, const uint8_t peer[WARD_P256_POINT_LEN],
                         uint8_t shared[WARD_P256_SHARED_LEN])
{
    ward_err err = ecdh_once(ctx, id, peer, shared);
    for (int i = 0; err == WARD_ERR_IO && i < RETRIES; i++) {
        back_off(i);
        err = ecdh_once(ctx, id, peer, shared);
    }
    return err;
}

/* The PIN from pin-value, pin-source (a file's first line), or
 * WARD_PKCS11_PIN; "" for none. */
static bool read_pin(P11KitUri *u, char pin[PIN_MAX], char *why, size_t cap)
{
    const char *v = p11_kit_uri_get_pin_value(u);
    const char *src = p11_kit_uri_get_pin_source(u);
    pin[0] = 0;
    if (v == NULL && src == NULL) {
        v = getenv("WARD_PKCS11_PIN");
    }
    if (v != NULL) {
        if (strlen(v) >= PIN_MAX) {
            say(why, cap, "the PIN is too long");
            return false;
        }
        memcpy(pin, v, strlen(v) + 1);
        return true;
    }
    if (src == NULL) {
        return true;
    }
    if (strncmp(src, "file:", 5) == 0) {
        src += 5;
    }
    FILE *f = fopen(src, "r");
    if (f == NULL || fgets(pin, PIN_MAX, f) == NULL) {
        say(why, cap, "cannot read the PIN from %s", src);
        if (f != NULL) {
            fclose(f);
        }
        return false;
    }
    fclose(f);
    pin[strcspn(pin, "\r\n")] = 0;
    return true;
}

/* The first slot, over the modules given, whose token the URI matches. */
static bool find_token(ward_pkcs11_keystore *p, CK_FUNCTION_LIST **mods, P11KitUri *u,
                       CK_SLOT_ID *slot)
{
    for (size_t m = 0; mods[m] != NULL; m++) {
        CK_SLOT_ID slots[MAX_SLOTS];
        CK_ULONG n = MAX_SLOTS;
        if (mods[m]->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK) {
            continue;
        }
        for (CK_ULONG i = 0; i < n && i < MAX_SLOTS; i++) {
            CK_TOKEN_INFO info;
            if (mods[m]->C_GetTokenInfo(slots[i], &info) == CKR_OK &&
                p11_kit_uri_match_token_info(u, &info) == 1) {
                p->fn = mods[m];
                *slot = slots[i];
                size_t l = sizeof info.label;
                while (l > 0 && info.label[l - 1] == ' ') {
                    l--;
                }
                snprintf(p->name, sizeof p->name, "pkcs11 %.*s", (int)l,
                         (const char *)info.label);
                return true;
            }
        }
    }
    return false;
}

static ward_err open_uri(ward_pkcs11_keystore *p, P11KitUri *u, const char *uri, char *why,
                         size_t cap)
{
    CK_ATTRIBUTE *obj = p11_kit_uri_get_attribute(u, CKA_LABEL);
    if (obj != NULL) {
        if (obj->ulValueLen == 0 || obj->ulValueLen >= sizeof p->prefix) {
            say(why, cap, "object= is 1 to %zu bytes", sizeof p->prefix - 1);
            return WARD_ERR_FORMAT;
        }
        memcpy(p->prefix, obj->pValue, obj->ulValueLen);
        p->prefix[obj->ulValueLen] = 0;
    } else {
        snprintf(p->prefix, sizeof p->prefix, "ward");
    }
    const char *path = p11_kit_uri_get_module_path(u);
    CK_FUNCTION_LIST *one[2] = { NULL, NULL };
    CK_FUNCTION_LIST **mods;
    if (path != NULL) {
        p->single = p11_kit_module_load(path, 0);
        if (p->single == NULL) {
            say(why, cap, "cannot load the PKCS#11 module %s: %s", path, p11_kit_message());
            return WARD_ERR_NOTFOUND;
        }
        CK_RV rv = p11_kit_module_initialize(p->single);
        if (rv != CKR_OK) {
            p11_kit_module_release(p->single);
            p->single = NULL;
            say(why, cap, "cannot start the PKCS#11 module %s: %s", path, p11_kit_strerror(rv));
            return WARD_ERR_IO;
        }
        one[0] = p->single;
        mods = one;
    } else {
        p->modules = p11_kit_modules_load_and_initialize(0);
        if (p->modules == NULL) {
            say(why, cap, "cannot load the PKCS#11 modules registered with p11-kit: %s",
                p11_kit_message());
            return WARD_ERR_NOTFOUND;
        }
        mods = p->modules;
    }
    CK_SLOT_ID slot = 0;
    if (!find_token(p, mods, u, &slot)) {
        say(why, cap, "no PKCS#11 token matches %s", uri);
        return WARD_ERR_NOTFOUND;
    }
    CK_RV rv = p->fn->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
                                    &p->session);
    if (rv != CKR_OK) {
        say(why, cap, "cannot open a session on %s: %s", p->name, p11_kit_strerror(rv));
        return map_rv(rv);
    }
    p->session_open = true;
    char pin[PIN_MAX];
    if (!read_pin(u, pin, why, cap)) {
        return WARD_ERR_IO;
    }
    if (pin[0] != 0) {
        rv = login(p, pin);
        ward_wipe(pin, sizeof pin);
        if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
            say(why, cap, "the token %s refused the PIN: %s", p->name, p11_kit_strerror(rv));
            return map_rv(rv) == WARD_ERR_CRYPTO ? WARD_ERR_AUTH : map_rv(rv);
        }
        p->logged_in = rv == CKR_OK;
    }
    return WARD_OK;
}

ward_err ward_pkcs11_open(const char *uri, const ward_crypto *cp,
                          ward_pkcs11_keystore **out, ward_keystore *ks,
                          char *why, size_t why_cap)
{
    *out = NULL;
    memset(ks, 0, sizeof *ks);
    say(why, why_cap, "%s", "");
    P11KitUri *u = p11_kit_uri_new();
    if (u == NULL) {
        say(why, why_cap, "out of memory");
        return WARD_ERR_IO;
    }
    if (uri == NULL || p11_kit_uri_parse(uri, P11_KIT_URI_FOR_ANY, u) != P11_KIT_URI_OK) {
        p11_kit_uri_free(u);
        say(why, why_cap, "not a PKCS#11 URI (RFC 7512: pkcs11:token=...)");
        return WARD_ERR_FORMAT;
    }
    ward_pkcs11_keystore *p = NULL;
    ward_err err = WARD_ERR_IO;
    /* A token not listed, or a module fault, may be another process
     * rewriting the token's files: tried again (RETRIES). */
    for (int attempt = 0; attempt <= RETRIES; attempt++) {
        if (attempt > 0) {
            back_off(attempt - 1);
        }
        p = calloc(1, sizeof *p);
        if (p == NULL) {
            say(why, why_cap, "out of memory");
            err = WARD_ERR_IO;
            break;
        }
        p->cp = cp;
        err = open_uri(p, u, uri, why, why_cap);
        if (err == WARD_OK) {
            break;
        }
        ward_pkcs11_close(p);
        p = NULL;
        if (err != WARD_ERR_IO && err != WARD_ERR_NOTFOUND) {
            break;
        }
    }
    p11_kit_uri_free(u);
    if (err != WARD_OK) {
        return err;
    }
    ks->name = p->name;
    ks->generate = p11_generate;
    ks->public_key = p11_public;
    ks->sign = p11_sign;
    ks->ecdh = p11_ecdh;
    ks->ctx = p;
    *out = p;
    return WARD_OK;
}

void ward_pkcs11_close(ward_pkcs11_keystore *p)
{
    if (p == NULL) {
        return;
    }
    if (p->logged_in) {
        p->fn->C_Logout(p->session);
    }
    if (p->session_open) {
        p->fn->C_CloseSession(p->session);
    }
    if (p->single != NULL) {
        p11_kit_module_finalize(p->single);
        p11_kit_module_release(p->single);
    }
    if (p->modules != NULL) {
        p11_kit_modules_finalize_and_release(p->modules);
    }
    free(p);
}
