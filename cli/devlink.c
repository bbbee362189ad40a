/* The app's two links to a device: CoAP near-field, wardd far-field. */
#include "devlink.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "cli.h"
#include "coap_ward.h"
#include "ward/ward.h"

static ward_err near_exchange(const devlink *l, const uint8_t *msg, size_t len,
                              devlink_accept_fn accept, void *ctx, char *why,
                              size_t why_cap)
{
    uint8_t in[WCOAP_PAYLOAD_MAX];
    size_t in_len = 0;
    ward_err err = wcoap_exchange(l->near, msg, len, in, sizeof in, &in_len, l->timeout_ms);
    if (err == WARD_ERR_AUTH) {
        snprintf(why, why_cap, "the device at %s refused the message", l->near);
        return err;
    }
    if (err != WARD_OK) {
        snprintf(why, why_cap, "no answer from coap://%s: %s", l->near,
                 err == WARD_ERR_IO ? wcoap_why() : ward_strerror(err));
        return err;
    }
    bool stop = false;
    err = accept(ctx, in, in_len, &stop);
    if (err != WARD_OK) {
        snprintf(why, why_cap, "the device's answer: %s", ward_strerror(err));
    }
    return err;
}

/* What take_reply keeps across the replies of one exchange. */
typedef struct reply_take {
    devlink_accept_fn accept;
    void *ctx;
    bool taken, stop;
    ward_err last;
} reply_take;

/* Offers a reply to accept() until one is taken (or the device says
 * stop); the rest are only acknowledged. */
static void take_reply(void *arg, const char *cloud_id, const uint8_t *msg, size_t len)
{
    (void)cloud_id;
    reply_take *t = arg;
    if (t->taken || t->stop) {
        return;
    }
    ward_err err = t->accept(t->ctx, msg, len, &t->stop);
    if (err != WARD_ERR_IO) {
        t->last = err;
    }
    t->taken = err == WARD_OK;
}

static ward_err far_exchange(const devlink *l, const uint8_t *msg, size_t len,
                             devlink_accept_fn accept, void *ctx, char *why, size_t why_cap)
{
    ward_http_signer signer;
    ward_http_response resp;
    ward_app_http_signer(l->app, &signer);
    char target[160];
    snprintf(target, sizeof target, "/v1/dev/%s/msgs", l->cloud_id);
    long st = api_post_blob(&l->app->host, l->app->server, target, "msg", msg, len, NULL,
                            NULL, &signer, &resp, why, why_cap);
    ward_http_response_free(&resp);
    if (st != 0) {
        return WARD_ERR_IO;
    }
    long long deadline = cli_mono_ms() + l->timeout_ms, after = 0;
    reply_take t = { accept, ctx, false, false, WARD_ERR_IO };
    /* Replies of earlier exchanges may still wait there: each is offered
     * to accept(), which skips what does not belong to this one. Once
     * one is taken, a last poll (wait 0) acknowledges what was seen. */
    for (;;) {
        bool done = t.taken || t.stop;
        long long left = deadline - cli_mono_ms();
        if (done && after == 0) {
            return t.taken ? WARD_OK : t.last;
        }
        if (!done && left <= 0) {
            snprintf(why, why_cap, "no answer through wardd in %u ms", l->timeout_ms);
            return t.last;
        }
        long wait = done ? 0 : (long)((left + 999) / 1000);
        snprintf(target, sizeof target, "/v1/dev/%s/replies?wait=%ld&after=%lld",
                 l->cloud_id, wait > 30 ? 30 : wait, after);
        st = api_call(&l->app->host, l->app->server, "GET", target, NULL, &signer, &resp,
                      why, why_cap);
        if (st != 0) {
            ward_http_response_free(&resp);
            return WARD_ERR_IO;
        }
        if (done) {
            ward_http_response_free(&resp);
            return t.taken ? WARD_OK : t.last;
        }
        api_each_msg(&resp, &after, take_reply, &t);
        ward_http_response_free(&resp);
        if (t.stop && !t.taken) {
            snprintf(why, why_cap, "the device's answer: %s", ward_strerror(t.last));
        }
    }
}

ward_err devlink_exchange(const devlink *l, const uint8_t *msg, size_t len,
                          devlink_accept_fn accept, void *ctx, char *why, size_t why_cap)
{
    why[0] = '\0';
    if (l->far) {
        return far_exchange(l, msg, len, accept, ctx, why, why_cap);
    }
    return near_exchange(l, msg, len, accept, ctx, why, why_cap);
}
