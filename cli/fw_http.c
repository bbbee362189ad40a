/* HTTP for the firmware commands on libcurl: custom headers, the image as a raw body, ranges. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "fw_http.h"
#include "ward/ward_http.h"

const char *cli_ca_file;

typedef struct sink {
    fw_http_ans *ans;
    size_t cap;
    bool own;                   /* body is malloc'd by us */
} sink;

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    sink *s = ctx;
    fw_http_ans *a = s->ans;
    size_t add = size * n;
    if (a->len + add > s->cap) {
        a->overflow = true;
        return 0;               /* libcurl stops: CURLE_WRITE_ERROR */
    }
    if (s->own && a->body == NULL) {
        a->body = malloc(s->cap + 1);
        if (a->body == NULL) {
            return 0;
        }
        a->owned = true;
    }
    memcpy(a->body + a->len, data, add);
    a->len += add;
    return add;
}

/* The value of header line `name: value` into out (trimmed). */
static bool header_is(const char *line, size_t n, const char *name, char *out, size_t cap)
{
    size_t k = strlen(name);
    if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':') {
        return false;
    }
    const char *v = line + k + 1;
    size_t vn = n - k - 1;
    while (vn > 0 && (*v == ' ' || *v == '\t')) {
        v++;
        vn--;
    }
    while (vn > 0 && (v[vn - 1] == '\r' || v[vn - 1] == '\n' || v[vn - 1] == ' ')) {
        vn--;
    }
    if (vn >= cap) {
        vn = cap - 1;
    }
    memcpy(out, v, vn);
    out[vn] = '\0';
    return true;
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
    fw_http_ans *a = ctx;
    size_t len = size * n;
    char ra[32];
    if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        /* A new answer (after a 100 Continue): its own headers only. */
        a->content_range[0] = a->etag[0] = '\0';
        a->retry_after_s = -1;
    }
    header_is(data, len, "Content-Range", a->content_range, sizeof a->content_range);
    header_is(data, len, "ETag", a->etag, sizeof a->etag);
    if (header_is(data, len, "Retry-After", ra, sizeof ra)) {
        char *end = NULL;
        long v = strtol(ra, &end, 10);
        a->retry_after_s = end != ra && *end == '\0' && v >= 0 ? v : -1;
    }
    return len;
}

int fw_http_do(const char *method, const char *base_url, const char *target,
               const char *const *headers, size_t nheaders, const uint8_t *body,
               size_t body_len, uint8_t *into, size_t into_cap, long timeout_s,
               fw_http_ans *ans)
{
    memset(ans, 0, sizeof *ans);
    ans->retry_after_s = -1;
    if (!ward_http_url_ok(base_url)) {
        snprintf(ans->error, sizeof ans->error, "not an http(s) URL: %s", base_url);
        return 1;
    }
    char url[1024];
    snprintf(url, sizeof url, "%s%s", base_url, target);
    CURL *c = curl_easy_init();
    if (c == NULL) {
        snprintf(ans->error, sizeof ans->error, "libcurl cannot start");
        return 1;
    }
    struct curl_slist *hdrs = NULL;
    for (size_t i = 0; i < nheaders && i < 4; i++) {
        struct curl_slist *next = curl_slist_append(hdrs, headers[i]);
        if (next == NULL) {
            curl_slist_free_all(hdrs);
            curl_easy_cleanup(c);
            snprintf(ans->error, sizeof ans->error, "out of memory");
            return 1;
        }
        hdrs = next;
    }
    /* No "Expect: 100-continue": wardd answers a refusal on the headers
     * anyway, and the wait would cost a second on every publish. */
    struct curl_slist *next = curl_slist_append(hdrs, "Expect:");
    if (next != NULL) {
        hdrs = next;
    }
    sink s = { ans, into != NULL ? into_cap : FW_HTTP_JSON_MAX, into == NULL };
    ans->body = into;
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    if (cli_ca_file != NULL) {
        curl_easy_setopt(c, CURLOPT_CAINFO, cli_ca_file);
    }
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)WARD_HTTP_CONNECT_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, ans);
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    }
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    if (ans->owned) {
        ans->body[ans->len] = '\0';
    }
    /* The status stays when the answer broke off in its body: the bytes
     * that came are the caller's to keep or not (a range resumed). */
    ans->status = status;
    if (ans->overflow) {
        snprintf(ans->error, sizeof ans->error, "answer longer than expected");
        return 1;
    }
    if (rc != CURLE_OK) {
        snprintf(ans->error, sizeof ans->error, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
        return 1;
    }
    return 0;
}

void fw_http_free(fw_http_ans *ans)
{
    /* Only a body fw_http_do allocated: the caller's own is theirs. */
    if (ans->owned) {
        free(ans->body);
    }
    ans->body = NULL;
    ans->owned = false;
    ans->len = 0;
}

void fw_http_refusal(const fw_http_ans *ans, char *out, size_t cap)
{
    out[0] = '\0';
    if (ans->body == NULL || ans->len == 0) {
        return;
    }
    cJSON *j = cJSON_ParseWithLength((const char *)ans->body, ans->len);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "message");
    if (cJSON_IsString(e) && cJSON_IsString(m)) {
        char text[256];
        snprintf(text, sizeof text, "%s: %s", e->valuestring, m->valuestring);
        ward_http_text(out, cap, text);
    }
    cJSON_Delete(j);
}
