/* devices_probe: one signed request to wardd with a key from a hex file,
 * for the flow D API checks of tests/e2e/test_wardd_api.py.
 *
 *   devices_probe URL KEYFILE KEYID METHOD TARGET [BODY]
 *
 * KEYFILE holds a P-256 private key in hex (wardd_probe's lock-SN.key and
 * user-UID.key). Prints "status=NNN", then the answer's body. Exits 0
 * when an answer came, 2 otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ward/ward_http.h"
#include "ward/ward_httpsig.h"

static uint8_t priv[WARD_P256_SCALAR_LEN];
static const ward_crypto *crypto;

static ward_err sign(void *ctx, const char *base, size_t base_len,
                     uint8_t sig[WARD_P256_SIG_LEN])
{
    (void)ctx;
    /* The key file's key, signing through a software keystore as the
     * library takes long-term keys by handle only. */
    ward_keystore_soft soft;
    ward_keystore ks;
    ward_keystore_soft_init(&soft, crypto, NULL, &ks);
    ward_err err = ward_keystore_soft_load(&soft, WARD_KEY_APP_CLIENT, priv);
    if (err == WARD_OK) {
        err = ward_httpsig_sign_by(crypto, &ks, WARD_KEY_APP_CLIENT, base, base_len, sig);
    }
    ward_keystore_soft_wipe(&soft);
    return err;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: devices_probe URL KEYFILE KEYID METHOD TARGET [BODY]\n");
        return 2;
    }
    ward_host host;
    ward_host_init(&host);
    crypto = host.crypto;
    char hex[256];
    FILE *f = fopen(argv[2], "r");
    size_t n = 0;
    if (f == NULL || fgets(hex, sizeof hex, f) == NULL ||
        ward_hex_decode(hex, strcspn(hex, "\r\n"), priv, sizeof priv, &n) != WARD_OK ||
        n != sizeof priv) {
        fprintf(stderr, "devices_probe: cannot read the key %s\n", argv[2]);
        if (f != NULL) {
            fclose(f);
        }
        return 2;
    }
    fclose(f);
    const char *body = argc > 6 ? argv[6] : "";
    ward_http_signer s;
    memset(&s, 0, sizeof s);
    snprintf(s.keyid, sizeof s.keyid, "%s", argv[3]);
    s.sign = sign;
    ward_http_response r;
    ward_err err = ward_http_request(&host, argv[1], argv[4], argv[5], (const uint8_t *)body,
                                     strlen(body), &s, &r);
    if (err != WARD_OK) {
        fprintf(stderr, "devices_probe: no answer: %s\n", ward_strerror(err));
        return 2;
    }
    printf("status=%ld\n%s\n", r.status, r.body);
    ward_http_response_free(&r);
    return 0;
}
