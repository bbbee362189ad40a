/* libFuzzer harness for wardd's parse of a signed request's
 * Signature-Input and Signature headers (auth.c, every signed request).
 * Input: the two header values, split at the first newline. What parses
 * writes back byte for byte as Signature-Input (it is the signed
 * parameters), and its Signature re-parses to the same signature. */
#include <stdint.h>
#include <string.h>

#include "ward/ward_httpsig.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char input[WARD_HTTPSIG_INPUT_HDR_MAX + 64], sig_hdr[WARD_HTTPSIG_SIG_HDR_MAX + 64];
    const uint8_t *nl = memchr(data, '\n', size);
    if (nl == NULL) {
        return 0;
    }
    size_t a = (size_t)(nl - data), b = size - a - 1;
    /* A header value holds no NUL; longer ones are refused before this. */
    if (a >= sizeof input || b >= sizeof sig_hdr || memchr(data, 0, size) != NULL) {
        return 0;
    }
    memcpy(input, data, a);
    input[a] = '\0';
    memcpy(sig_hdr, nl + 1, b);
    sig_hdr[b] = '\0';

    ward_httpsig_params p, q;
    uint8_t sig[WARD_P256_SIG_LEN], sig2[WARD_P256_SIG_LEN];
    ward_err err = ward_httpsig_parse(input, sig_hdr, &p, sig);
    CHECK(err == WARD_OK || err == WARD_ERR_FORMAT);
    if (err != WARD_OK) {
        return 0;
    }
    char in2[WARD_HTTPSIG_INPUT_HDR_MAX], sh2[WARD_HTTPSIG_SIG_HDR_MAX];
    CHECK(ward_httpsig_headers(&p, sig, in2, sizeof in2, sh2, sizeof sh2) == WARD_OK);
    CHECK(strcmp(in2, input) == 0);
    CHECK(ward_httpsig_parse(in2, sh2, &q, sig2) == WARD_OK);
    CHECK(memcmp(&p, &q, sizeof p) == 0 && memcmp(sig, sig2, sizeof sig) == 0);
    return 0;
}
