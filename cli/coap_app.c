/* The app's end of the near-field CoAP link (libcoap3): one confirmable
 * request, retransmitted by libcoap, and its answer's payload. */
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <coap3/coap.h>

#include "cli.h"
#include "coap_ward.h"

/* Why the last wcoap_exchange() failed (wcoap_why()). Per thread: the
 * probes of wcoap_get() run side by side. */
static __thread char last_why[320];

typedef struct exchange {
    bool done;
    ward_err err;
    uint8_t *out;
    size_t cap;
    size_t len;
    uint8_t token[8];      /* the request's: an answer must carry it */
    size_t token_len;
    const char *why;       /* for WARD_ERR_IO: what went wrong, for a person */
} exchange;

/* libcoap's reason for giving up on a request, in words. */
static const char *nack_text(coap_nack_reason_t reason)
{
    switch (reason) {
    case COAP_NACK_TOO_MANY_RETRIES: return "no answer after every retransmission";
    case COAP_NACK_NOT_DELIVERABLE: return "the request could not be delivered";
    case COAP_NACK_RST: return "the peer reset the exchange (RST)";
    case COAP_NACK_ICMP_ISSUE:
        return "the network refused it (ICMP: nothing listening there, or unreachable)";
    default: return "libcoap gave up on the exchange";
    }
}

/* Whether pdu answers x's request. An earlier request that timed out is
 * still retransmitted by libcoap, and its late answer (or its giving up)
 * must not be taken for this one's. */
static bool ours(const exchange *x, const coap_pdu_t *pdu)
{
    if (pdu == NULL) {
        return false;
    }
    coap_bin_const_t t = coap_pdu_get_token(pdu);
    return t.length == x->token_len && memcmp(t.s, x->token, t.length) == 0;
}

static coap_response_t on_response(coap_session_t *session, const coap_pdu_t *sent,
                                   const coap_pdu_t *received, const coap_mid_t mid)
{
    (void)sent;
    (void)mid;
    exchange *x = coap_session_get_app_data(session);
    if (x == NULL || x->done || !ours(x, received)) {
        return COAP_RESPONSE_OK;
    }
    coap_pdu_code_t code = coap_pdu_get_code(received);
    if (code == COAP_EMPTY_CODE) {
        /* An empty ACK: the answer follows separately. */
        return COAP_RESPONSE_OK;
    }
    x->done = true;
    if (COAP_RESPONSE_CLASS(code) != 2) {
        x->err = WARD_ERR_AUTH;
        return COAP_RESPONSE_OK;
    }
    size_t len = 0;
    const uint8_t *data = NULL;
    if (!coap_get_data(received, &len, &data)) {
        len = 0;
    }
    if (len > x->cap) {
        x->err = WARD_ERR_NOSPACE;
        return COAP_RESPONSE_OK;
    }
    if (len > 0) {
        memcpy(x->out, data, len);
    }
    x->len = len;
    x->err = WARD_OK;
    return COAP_RESPONSE_OK;
}

static void on_nack(coap_session_t *session, const coap_pdu_t *sent,
                    const coap_nack_reason_t reason, const coap_mid_t mid)
{
    (void)mid;
    exchange *x = coap_session_get_app_data(session);
    /* A NACK without a PDU is the session's own failure (libcoap passes
     * none when it cannot tell which request an error was for): the
     * exchange in progress ends now rather than wait out its timeout. */
    if (x != NULL && !x->done && (sent == NULL || ours(x, sent))) {
        x->done = true;
        x->err = WARD_ERR_IO;
        x->why = nack_text(reason);
    }
}

/* A client context and its session to one address. */
typedef struct client {
    char hostport[300];
    coap_context_t *ctx;
    coap_session_t *s;
} client;

static void client_close(client *c)
{
    if (c->s != NULL) {
        coap_session_set_app_data(c->s, NULL);
        coap_session_release(c->s);
    }
    if (c->ctx != NULL) {
        coap_free_context(c->ctx);
    }
    memset(c, 0, sizeof *c);
}

static ward_err client_open(client *c, const char *hostport)
{
    memset(c, 0, sizeof *c);
    char host[256];
    unsigned port = 0;
    if (wcoap_split(hostport, host, sizeof host, &port) != WARD_OK ||
        strlen(hostport) >= sizeof c->hostport) {
        return WARD_ERR_PARAM;
    }
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%u", port);
    struct addrinfo hints = { 0 }, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICSERV;
    int gai = getaddrinfo(host, portstr, &hints, &ai);
    if (gai != 0 || ai == NULL) {
        snprintf(last_why, sizeof last_why, "cannot resolve %.200s: %s", host,
                 gai != 0 ? gai_strerror(gai) : "no address");
        return WARD_ERR_IO;
    }
    coap_address_t dst;
    coap_address_init(&dst);
    memcpy(&dst.addr, ai->ai_addr, ai->ai_addrlen);
    dst.size = ai->ai_addrlen;
    freeaddrinfo(ai);

    coap_startup();
    coap_set_log_level(LOG_ERR);
    c->ctx = coap_new_context(NULL);
    c->s = c->ctx ? coap_new_client_session(c->ctx, NULL, &dst, COAP_PROTO_UDP) : NULL;
    if (c->s == NULL) {
        snprintf(last_why, sizeof last_why, "libcoap could not open a session to %.280s",
                 hostport);
        client_close(c);
        return WARD_ERR_IO;
    }
    /* A LAN answers in milliseconds: retransmit after 1 s, not 2. */
    coap_fixed_point_t ack = { 1, 0 };
    coap_session_set_ack_timeout(c->s, ack);
    coap_register_response_handler(c->ctx, on_response);
    coap_register_nack_handler(c->ctx, on_nack);
    snprintf(c->hostport, sizeof c->hostport, "%s", hostport);
    return WARD_OK;
}

/* One request on c: method with the Uri-Path segments of path. */
static ward_err request(client *c, coap_pdu_code_t method, const char *path,
                        const uint8_t *payload, size_t len, exchange *x,
                        unsigned timeout_ms)
{
    coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_CON, method, c->s);
    if (pdu == NULL) {
        return WARD_ERR_NOSPACE;
    }
    coap_session_set_app_data(c->s, x);
    coap_session_new_token(c->s, &x->token_len, x->token);
    coap_add_token(pdu, x->token_len, x->token);
    const char *seg = path;
    while (*seg) {
        size_t n = strcspn(seg, "/");
        coap_add_option(pdu, COAP_OPTION_URI_PATH, n, (const uint8_t *)seg);
        seg += n;
        if (*seg == '/') {
            seg++;
        }
    }
    if (len > 0) {
        uint8_t buf[4];
        coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT,
                        coap_encode_var_safe(buf, sizeof buf,
                                             COAP_MEDIATYPE_APPLICATION_OCTET_STREAM),
                        buf);
        coap_add_data(pdu, len, payload);
    }
    ward_err err = WARD_ERR_IO;
    const char *why = "libcoap could not send the request";
    if (coap_send(c->s, pdu) != COAP_INVALID_MID) {
        long long deadline = cli_mono_ms() + timeout_ms;
        while (!x->done) {
            long long left = deadline - cli_mono_ms();
            if (left <= 0) {
                break;
            }
            coap_io_process(c->ctx, (uint32_t)(left < 100 ? left : 100));
        }
        err = x->done ? x->err : WARD_ERR_IO;
        why = x->done ? x->why : NULL;
    }
    if (err == WARD_ERR_IO) {
        if (why != NULL) {
            snprintf(last_why, sizeof last_why, "%s", why);
        } else {
            snprintf(last_why, sizeof last_why, "no answer within %u ms (timed out)",
                     timeout_ms);
        }
    }
    coap_session_set_app_data(c->s, NULL);
    return err;
}

/* The app's messages to one device share one session, so one source
 * port: the device finds a binding in progress by the peer's address. */
static client kept;

const char *wcoap_why(void)
{
    return last_why[0] != '\0' ? last_why : "i/o error";
}

void wcoap_app_close(void)
{
    client_close(&kept);
}

ward_err wcoap_exchange(const char *hostport, const uint8_t *msg, size_t len,
                        uint8_t *out, size_t cap, size_t *out_len,
                        unsigned timeout_ms)
{
    exchange x = { false, WARD_ERR_IO, out, cap, 0, { 0 }, 0, NULL };
    *out_len = 0;
    last_why[0] = '\0';
    if (kept.ctx != NULL && strcmp(kept.hostport, hostport) != 0) {
        client_close(&kept);
    }
    ward_err err = kept.ctx != NULL ? WARD_OK : client_open(&kept, hostport);
    if (err == WARD_OK) {
        err = request(&kept, COAP_REQUEST_CODE_POST, "ward", msg, len, &x, timeout_ms);
    }
    if (err == WARD_OK) {
        *out_len = x.len;
    }
    return err;
}

ward_err wcoap_get(const char *hostport, const char *path, char *out, size_t cap,
                   unsigned timeout_ms)
{
    if (cap == 0) {
        return WARD_ERR_PARAM;
    }
    exchange x = { false, WARD_ERR_IO, (uint8_t *)out, cap - 1, 0, { 0 }, 0, NULL };
    out[0] = '\0';
    last_why[0] = '\0';
    client c;
    ward_err err = client_open(&c, hostport);
    if (err == WARD_OK) {
        err = request(&c, COAP_REQUEST_CODE_GET, path, NULL, 0, &x, timeout_ms);
        client_close(&c);
    }
    if (err == WARD_OK) {
        out[x.len] = '\0';
    }
    return err;
}
