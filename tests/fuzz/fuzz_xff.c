/* libFuzzer harness for wardd's X-Forwarded-For reader and address block
 * parser (server/proxy.c), which read what a client sends. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An oracle failure is a finding: crash so libFuzzer keeps the input. */
#define CHECK(c) do { if (!(c)) { abort(); } } while (0)

/* Input: one byte choosing the peer and the trusted blocks, then the
 * header's text (also tried as a block, and as an address). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4 * WARDD_XFF_MAX) {
        return 0;
    }
    static const char *const peers[] = { "127.0.0.1", "10.1.2.3", "::1", "192.0.2.1" };
    static const char *const trust[] = { "127.0.0.1/32", "10.0.0.0/8", "::1/128", "0.0.0.0/0" };
    char *text = malloc(size);
    CHECK(text != NULL);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';

    wardd_cidrs t;
    memset(&t, 0, sizeof t);
    for (unsigned i = 0; i < 4; i++) {
        if (data[0] & (1u << i)) {
            CHECK(wardd_cidr_parse(trust[i], &t.v[t.n++]));
        }
    }
    wardd_cidr c;
    if (wardd_cidr_parse(text, &c)) {
        CHECK(c.bits <= 128);
    }
    uint8_t peer[16], client[16], a[16];
    const char *p = peers[(data[0] >> 4) & 3];
    CHECK(wardd_addr_parse(p, strlen(p), peer));
    bool forwarded = wardd_client_resolve(&t, peer, text, client);
    CHECK(forwarded == (memcmp(client, peer, 16) != 0));
    if (!wardd_cidrs_match(&t, peer)) {
        CHECK(!forwarded);                /* an untrusted peer is the client */
    }
    char out[64];
    wardd_addr_text(client, out, sizeof out);
    CHECK(wardd_addr_parse(out, strlen(out), a) && memcmp(a, client, 16) == 0);
    (void)wardd_addr_parse(text, size - 1, a);
    free(text);
    return 0;
}
