/* Signed HTTP requests to wardd on libcurl (RFC 9421 profile of ward_httpsig.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "ward/ward_http.h"

typedef struct body_buf {
    char *p;
    size_t len;
    bool failed;
    bool too_big;  /* failed for the size, not for memory */
} body_buf;

#define HTTP_BODY_MAX (4u * 1024u * 1024u)

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    body_buf *b = ctx;
    size_t add = size * n;
    if (b->len + add > HTTP_BODY_MAX) {
        b->failed = true;
        b->too_big = true;
        return 0;
    }
    char *p = realloc(b->p, b->len + add + 1);
    if (p == NULL) {
        b->failed = true;
        return 0;
    }
    memcpy(p + b->len, data, add);
    b->p = p;
    b->len += add;
    b->p[b->len] = '\0';
    return add;
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
    long *retry = ctx;
    size_t len = size * n;
    static const char name[] = "retry-after:";
    if (len > sizeof name && strncasecmp(data, name, sizeof name - 1) == 0) {
        char tmp[32];
        size_t vlen = len - (sizeof name - 1);
        if (vlen >= sizeof tmp) {
            vlen = sizeof tmp - 1;
        }
        memcpy(tmp, data + sizeof name - 1, vlen);
        tmp[vlen] = '\0';
        *retry = strtol(tmp, NULL, 10);
    }
    return len;
}

/* Adds the three signature headers for this request to *hdrs. */
static ward_err sign_request(const ward_host *host, const char *method,
                             const char *target, const uint8_t *body,
                             size_t body_len, const ward_http_signer *signer,
                             struct curl_slist **hdrs)
{
    ward_httpsig_params p;
    ward_httpsig_hdrs h;
    char path[512], line[WARD_HTTPSIG_INPUT_HDR_MAX + 32];
    uint8_t nonce[WARD_HTTPSIG_NONCE_HEX / 2];
    uint64_t now = 0;
    const char *query = strchr(target, '?');
    size_t path_len = query != NULL ? (size_t)(query - target) : strlen(target);

    if (path_len >= sizeof path) {
        return WARD_ERR_PARAM;
    }
    memcpy(path, target, path_len);
    path[path_len] = '\0';
    memset(&p, 0, sizeof p);
    snprintf(p.keyid, sizeof p.keyid, "%s", signer->keyid);
    ward_err err = host->clock.now_ms(host->clock.ctx, &now);
    if (err == WARD_OK) {
        p.created = (int64_t)(now / 1000u);
        err = host->rng.fill(host->rng.ctx, nonce, sizeof nonce);
    }
    if (err == WARD_OK) {
        err = ward_hex_encode(nonce, sizeof nonce, p.nonce, sizeof p.nonce);
    }
    if (err == WARD_OK) {
        err = ward_httpsig_request(host->crypto, &p, method, path,
                                   query != NULL ? query + 1 : NULL, body, body_len,
                                   signer->sign, signer->ctx, &h);
    }
    if (err != WARD_OK) {
        return err;
    }
    const char *names[3] = { "Content-Digest", "Signature-Input", "Signature" };
    const char *values[3] = { h.digest, h.input, h.sig };
    for (int i = 0; i < 3; i++) {
        snprintf(line, sizeof line, "%s: %s", names[i], values[i]);
        struct curl_slist *hl = curl_slist_append(*hdrs, line);
        if (hl == NULL) {
            return WARD_ERR_IO;
        }
        *hdrs = hl;
    }
    return WARD_OK;
}

static const char *ca_file;

void ward_http_set_ca_file(const char *path)
{
    ca_file = path;
}

bool ward_http_url_ok(const char *url)
{
    size_t n = strncasecmp(url, "http://", 7) == 0    ? 7
               : strncasecmp(url, "https://", 8) == 0 ? 8
                                                       : 0;
    return n > 0 && url[n] != '\0' && url[n] != '/';
}

/* libcurl's progress callback: non-zero aborts the transfer. */
static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    const ward_host *host = ctx;
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return host->cancelled(host->cancel_ctx) ? 1 : 0;
}

/* Why the transfer failed, in resp->error: libcurl's error buffer (or
 * its text for the code when the buffer is empty) and, when a system
 * call failed (a refused connect, a reset), the OS's text, which the
 * buffer does not always carry ("Couldn't connect to server" says
 * neither "refused" nor "unreachable"). */
static void say_why(CURL *c, CURLcode code, const char *errbuf, ward_http_response *resp)
{
    long os_errno = 0;
    const char *text = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(code);
    if (code == CURLE_ABORTED_BY_CALLBACK) {
        text = "stopped before an answer came";
    }
    curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno);
    const char *os = os_errno != 0 ? strerror((int)os_errno) : NULL;
    if (os != NULL && strstr(text, os) == NULL) {
        snprintf(resp->error, sizeof resp->error, "%s (%s)", text, os);
    } else {
        snprintf(resp->error, sizeof resp->error, "%s", text);
    }
}

ward_err ward_http_request(const ward_host *host, const char *base_url,
                           const char *method, const char *target,
                           const uint8_t *body, size_t body_len,
                           const ward_http_signer *signer,
                           ward_http_response *resp)
{
    struct curl_slist *hdrs = NULL;
    body_buf b = { NULL, 0, false, false };
    ward_err err = WARD_OK;
    char errbuf[CURL_ERROR_SIZE];

    memset(resp, 0, sizeof *resp);
    resp->retry_after_s = -1;
    /* Anything else (ftp://, file://, a typo) would have libcurl try it,
     * or hang: refused before any byte goes out. */
    if (!ward_http_url_ok(base_url)) {
        snprintf(resp->error, sizeof resp->error, "not an http:// or https:// URL");
        return WARD_ERR_PARAM;
    }
    /* Stopped: nothing more, not even a signature (which may take the
     * lock's store). */
    if (host->cancelled != NULL && host->cancelled(host->cancel_ctx)) {
        snprintf(resp->error, sizeof resp->error, "stopped before the request was sent");
        return WARD_ERR_IO;
    }
    size_t ulen = strlen(base_url) + strlen(target) + 1;
    char *url = malloc(ulen);
    CURL *c = curl_easy_init();
    if (url == NULL || c == NULL) {
        snprintf(resp->error, sizeof resp->error, "out of memory");
        err = WARD_ERR_IO;
        goto out;
    }
    /* "http://h:1/" and "http://h:1" name the same server. */
    size_t base_len = strlen(base_url);
    while (base_len > 0 && base_url[base_len - 1] == '/') {
        base_len--;
    }
    snprintf(url, ulen, "%.*s%s", (int)base_len, base_url, target);
    if (signer != NULL) {
        err = sign_request(host, method, target, body, body_len, signer,
                           &hdrs);
        if (err != WARD_OK) {
            snprintf(resp->error, sizeof resp->error, "cannot sign the request: %s",
                     ward_strerror(err));
            goto out;
        }
    }
    if (body_len > 0) {
        struct curl_slist *h = curl_slist_append(hdrs,
                                                 "Content-Type: application/json");
        if (h == NULL) {
            snprintf(resp->error, sizeof resp->error, "out of memory");
            err = WARD_ERR_IO;
            goto out;
        }
        hdrs = h;
    }
    errbuf[0] = '\0';
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    if (ca_file != NULL) {
        curl_easy_setopt(c, CURLOPT_CAINFO, ca_file);
    }
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)WARD_HTTP_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)WARD_HTTP_CONNECT_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &resp->retry_after_s);
    if (host->cancelled != NULL) {
        /* Again: signing may have waited for the lock's store. */
        if (host->cancelled(host->cancel_ctx)) {
            snprintf(resp->error, sizeof resp->error, "stopped before the request was sent");
            err = WARD_ERR_IO;
            goto out;
        }
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)(uintptr_t)host);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    }
    if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    } else {
        /* The body is sent as given (an empty one too), never chunked. */
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body != NULL ? (const char *)body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }
    CURLcode code = curl_easy_perform(c);
    if (b.failed) {
        if (b.too_big) {
            snprintf(resp->error, sizeof resp->error, "the answer is larger than %u bytes",
                     HTTP_BODY_MAX);
        } else {
            snprintf(resp->error, sizeof resp->error, "out of memory");
        }
        err = WARD_ERR_IO;
        goto out;
    }
    if (code != CURLE_OK) {
        resp->cert_untrusted = code == CURLE_PEER_FAILED_VERIFICATION;
        say_why(c, code, errbuf, resp);
        err = WARD_ERR_IO;
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
    if (b.p == NULL) {
        b.p = calloc(1, 1);
        if (b.p == NULL) {
            snprintf(resp->error, sizeof resp->error, "out of memory");
            err = WARD_ERR_IO;
            goto out;
        }
    }
    resp->body = b.p;
    resp->body_len = b.len;
    b.p = NULL;
out:
    free(b.p);
    curl_slist_free_all(hdrs);
    if (c != NULL) {
        curl_easy_cleanup(c);
    }
    free(url);
    return err;
}

void ward_http_response_free(ward_http_response *resp)
{
    free(resp->body);
    memset(resp, 0, sizeof *resp);
}

static ward_err lock_sign(void *ctx, const char *base, size_t base_len,
                          uint8_t sig[WARD_P256_SIG_LEN])
{
    return ward_lock_sign_request(ctx, base, base_len, sig);
}

ward_err ward_http_lock_signer(ward_http_signer *s, const ward_lock *lock)
{
    uint8_t sn[WARD_SN_MAX];
    size_t sn_len = 0;
    memset(s, 0, sizeof *s);
    ward_err err = ward_lock_identity(lock, sn, &sn_len, NULL);
    if (err != WARD_OK) {
        return err;
    }
    snprintf(s->keyid, sizeof s->keyid, "lock:%.*s", (int)sn_len,
             (const char *)sn);
    s->sign = lock_sign;
    s->ctx = (void *)(uintptr_t)lock;
    return WARD_OK;
}
