/* The device's end of the near-field CoAP link (libcoap3): /ward carries
 * one ward message each way, /ward/info says who the device is. */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <coap3/coap.h>

#include "coap_ward.h"

struct wcoap_dev {
    coap_context_t *ctx;
    wcoap_msg_fn fn;
    void *fn_ctx;
    char *info;
};

ward_err wcoap_split(const char *hostport, char *host, size_t cap, unsigned *port)
{
    const char *colon;
    const char *h = hostport;
    size_t hlen;
    if (hostport[0] == '[') {
        const char *close = strchr(hostport, ']');
        if (close == NULL) {
            return WARD_ERR_FORMAT;
        }
        h = hostport + 1;
        hlen = (size_t)(close - h);
        colon = close[1] == ':' ? close + 1 : NULL;
        if (close[1] != '\0' && colon == NULL) {
            return WARD_ERR_FORMAT;
        }
    } else {
        colon = strrchr(hostport, ':');
        hlen = colon ? (size_t)(colon - hostport) : strlen(hostport);
    }
    if (hlen == 0 || hlen >= cap) {
        return WARD_ERR_FORMAT;
    }
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = WCOAP_DEFAULT_PORT;
    if (colon != NULL) {
        char *end = NULL;
        unsigned long p = strtoul(colon + 1, &end, 10);
        if (colon[1] == '\0' || *end != '\0' || p > 65535) {
            return WARD_ERR_FORMAT;
        }
        *port = (unsigned)p;
    }
    return WARD_OK;
}

/* The peer's transport id: its address bytes, then its port (big-endian). */
static size_t peer_tid(const coap_session_t *session, uint8_t tid[WCOAP_TID_MAX])
{
    const coap_address_t *a = coap_session_get_addr_remote(session);
    if (a == NULL) {
        return 0;
    }
    if (a->addr.sa.sa_family == AF_INET) {
        memcpy(tid, &a->addr.sin.sin_addr, 4);
        memcpy(tid + 4, &a->addr.sin.sin_port, 2);
        return 6;
    }
    if (a->addr.sa.sa_family == AF_INET6) {
        memcpy(tid, &a->addr.sin6.sin6_addr, 16);
        memcpy(tid + 16, &a->addr.sin6.sin6_port, 2);
        return 18;
    }
    return 0;
}

static void set_format(coap_pdu_t *pdu, unsigned format)
{
    uint8_t buf[4];
    coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT,
                    coap_encode_var_safe(buf, sizeof buf, format), buf);
}

static void on_ward_post(coap_resource_t *res, coap_session_t *session,
                         const coap_pdu_t *req, const coap_string_t *query,
                         coap_pdu_t *resp)
{
    (void)query;
    wcoap_dev *d = coap_resource_get_userdata(res);
    size_t len = 0;
    const uint8_t *data = NULL;
    uint8_t tid[WCOAP_TID_MAX];
    size_t tid_len = peer_tid(session, tid);
    if (!coap_get_data(req, &len, &data) || len == 0 || tid_len == 0) {
        coap_pdu_set_code(resp, COAP_RESPONSE_CODE_BAD_REQUEST);
        return;
    }
    uint8_t out[WCOAP_PAYLOAD_MAX];
    size_t out_len = 0;
    d->fn(d->fn_ctx, tid, tid_len, data, len, out, sizeof out, &out_len);
    if (out_len == 0) {
        /* The core gave no answer (the message did not verify): a bare
         * 4.00, so a confirmable request is not retransmitted in vain. */
        coap_pdu_set_code(resp, COAP_RESPONSE_CODE_BAD_REQUEST);
        return;
    }
    coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CHANGED);
    set_format(resp, COAP_MEDIATYPE_APPLICATION_OCTET_STREAM);
    coap_add_data(resp, out_len, out);
}

static void on_info_get(coap_resource_t *res, coap_session_t *session,
                        const coap_pdu_t *req, const coap_string_t *query,
                        coap_pdu_t *resp)
{
    (void)session;
    (void)req;
    (void)query;
    wcoap_dev *d = coap_resource_get_userdata(res);
    coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CONTENT);
    set_format(resp, COAP_MEDIATYPE_APPLICATION_JSON);
    coap_add_data(resp, strlen(d->info), (const uint8_t *)d->info);
}

/* A free UDP port on host, for --listen HOST:0 (libcoap does not tell
 * which port an endpoint got). */
static unsigned free_port(const struct addrinfo *ai)
{
    int fd = socket(ai->ai_family, SOCK_DGRAM, 0);
    if (fd < 0) {
        return 0;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    unsigned port = 0;
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
        getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
        port = ss.ss_family == AF_INET6
                   ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                   : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    }
    close(fd);
    return port;
}

ward_err wcoap_dev_start(wcoap_dev **out, const char *host, unsigned port,
                         const char *info_json, wcoap_msg_fn fn, void *ctx,
                         unsigned *bound)
{
    *out = NULL;
    coap_startup();
    coap_set_log_level(LOG_ERR);
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%u", port);
    struct addrinfo hints = { 0 }, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    if (getaddrinfo(host, portstr, &hints, &ai) != 0 || ai == NULL) {
        return WARD_ERR_PARAM;
    }
    if (port == 0) {
        port = free_port(ai);
        if (port == 0) {
            freeaddrinfo(ai);
            return WARD_ERR_IO;
        }
        if (ai->ai_family == AF_INET6) {
            ((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_port = htons((uint16_t)port);
        } else {
            ((struct sockaddr_in *)(void *)ai->ai_addr)->sin_port = htons((uint16_t)port);
        }
    }
    coap_address_t addr;
    coap_address_init(&addr);
    memcpy(&addr.addr, ai->ai_addr, ai->ai_addrlen);
    addr.size = ai->ai_addrlen;
    freeaddrinfo(ai);

    wcoap_dev *d = calloc(1, sizeof *d);
    if (d == NULL || (d->info = strdup(info_json)) == NULL) {
        free(d);
        return WARD_ERR_NOSPACE;
    }
    d->fn = fn;
    d->fn_ctx = ctx;
    d->ctx = coap_new_context(NULL);
    errno = 0;
    if (d->ctx == NULL || coap_new_endpoint(d->ctx, &addr, COAP_PROTO_UDP) == NULL) {
        /* bind(2)'s reason (EADDRINUSE, EACCES) for the caller to say. */
        int os = errno;
        wcoap_dev_stop(d);
        errno = os;
        return WARD_ERR_IO;
    }
    coap_resource_t *r = coap_resource_init(coap_make_str_const("ward"), 0);
    coap_register_handler(r, COAP_REQUEST_POST, on_ward_post);
    coap_resource_set_userdata(r, d);
    coap_add_attr(r, coap_make_str_const("rt"), coap_make_str_const("\"ward.msg\""), 0);
    coap_add_attr(r, coap_make_str_const("ct"), coap_make_str_const("42"), 0);
    coap_add_resource(d->ctx, r);

    r = coap_resource_init(coap_make_str_const("ward/info"), 0);
    coap_register_handler(r, COAP_REQUEST_GET, on_info_get);
    coap_resource_set_userdata(r, d);
    coap_add_attr(r, coap_make_str_const("rt"), coap_make_str_const("\"ward.info\""), 0);
    coap_add_attr(r, coap_make_str_const("ct"), coap_make_str_const("50"), 0);
    coap_add_resource(d->ctx, r);

    *bound = port;
    *out = d;
    return WARD_OK;
}

void wcoap_dev_step(wcoap_dev *d, unsigned timeout_ms)
{
    coap_io_process(d->ctx, timeout_ms);
}

void wcoap_dev_stop(wcoap_dev *d)
{
    if (d == NULL) {
        return;
    }
    if (d->ctx != NULL) {
        coap_free_context(d->ctx);
    }
    free(d->info);
    free(d);
}
