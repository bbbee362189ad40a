/* Signed requests to wardd over one keep-alive libcurl handle per thread. */
#include "bench_http.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ward/ward_bind.h"
#include "ward/ward_httpsig.h"
#include "ward/ward_port_posix.h"

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    bench_http *h = ctx;
    size_t len = size * n;
    if (h->resp_len + len + 1 > h->resp_cap) {
        size_t cap = (h->resp_len + len + 1) * 2;
        char *p = realloc(h->resp, cap);
        if (p == NULL) {
            return 0;
        }
        h->resp = p;
        h->resp_cap = cap;
    }
    memcpy(h->resp + h->resp_len, data, len);
    h->resp_len += len;
    h->resp[h->resp_len] = '\0';
    return len;
}

int bench_http_init(bench_http *h, const ward_crypto *cp, const char *base_url)
{
    memset(h, 0, sizeof *h);
    h->cp = cp;
    h->rng = ward_random_posix();
    h->base_url = base_url;
    h->resp_cap = 4096;
    h->resp = malloc(h->resp_cap);
    h->curl = curl_easy_init();
    if (h->resp == NULL || h->curl == NULL) {
        bench_http_free(h);
        return -1;
    }
    h->resp[0] = '\0';
    curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, h);
    curl_easy_setopt(h->curl, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h->curl, CURLOPT_TCP_NODELAY, 1L);
    return 0;
}

void bench_http_free(bench_http *h)
{
    if (h->curl != NULL) {
        curl_easy_cleanup(h->curl);
    }
    free(h->resp);
    memset(h, 0, sizeof *h);
}

/* The three signature headers of an RFC 9421 request, appended to hdrs. */
static struct curl_slist *sign_headers(bench_http *h, struct curl_slist *hdrs,
                                       const char *method, const char *path,
                                       const char *query, const char *body,
                                       const bench_signer *s)
{
    ward_httpsig_params p;
    ward_httpsig_hdrs sh;
    uint8_t nb[WARD_HTTPSIG_NONCE_HEX / 2];
    char line[512];
    memset(&p, 0, sizeof p);
    p.created = (int64_t)time(NULL);
    snprintf(p.keyid, sizeof p.keyid, "%s", s->keyid);
    if (h->rng.fill(h->rng.ctx, nb, sizeof nb) != WARD_OK ||
        ward_hex_encode(nb, sizeof nb, p.nonce, sizeof p.nonce) != WARD_OK ||
        ward_httpsig_request(h->cp, &p, method, path, query, (const uint8_t *)body,
                             strlen(body), s->sign, s->ctx, &sh) != WARD_OK) {
        curl_slist_free_all(hdrs);
        return NULL;
    }
    snprintf(line, sizeof line, "Content-Digest: %s", sh.digest);
    hdrs = curl_slist_append(hdrs, line);
    snprintf(line, sizeof line, "Signature-Input: %s", sh.input);
    hdrs = curl_slist_append(hdrs, line);
    snprintf(line, sizeof line, "Signature: %s", sh.sig);
    return curl_slist_append(hdrs, line);
}

long bench_http_call(bench_http *h, const char *method, const char *path,
                     const char *query, const char *body, const bench_signer *s)
{
    struct curl_slist *hdrs = NULL;
    char url[1024];
    long status = -1;
    if (body == NULL) {
        body = "";
    }
    hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    hdrs = curl_slist_append(hdrs, "Expect:");
    if (s != NULL) {
        hdrs = sign_headers(h, hdrs, method, path, query, body, s);
        if (hdrs == NULL) {
            return -1;
        }
    }
    snprintf(url, sizeof url, "%s%s%s%s", h->base_url, path,
             query != NULL && *query ? "?" : "", query != NULL ? query : "");
    h->resp_len = 0;
    h->resp[0] = '\0';
    curl_easy_setopt(h->curl, CURLOPT_URL, url);
    curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hdrs);
    if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    if (curl_easy_perform(h->curl) == CURLE_OK) {
        curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
    }
    curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdrs);
    return status;
}

int bench_json_str(const char *json, const char *name, char *out, size_t cap)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", name);
    const char *p = strstr(json, pat);
    if (p == NULL) {
        return -1;
    }
    p += strlen(pat);
    const char *e = strchr(p, '"');
    if (e == NULL || (size_t)(e - p) >= cap) {
        return -1;
    }
    memcpy(out, p, (size_t)(e - p));
    out[e - p] = '\0';
    return 0;
}

int bench_outbox_code(const char *outbox, const char *uid, char *code)
{
    char want[WARD_UID_MAX + 40], path[2048], text[512], file[1024];
    snprintf(want, sizeof want, ": verify phone for account %s. ", uid);
    DIR *d = opendir(outbox);
    int found = -1;
    for (struct dirent *e; d != NULL && found != 0 && (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.') {
            continue;
        }
        snprintf(path, sizeof path, "%s/%s", outbox, e->d_name);
        FILE *f = fopen(path, "r");
        size_t n = f ? fread(file, 1, sizeof file - 1, f) : 0;
        if (f) {
            fclose(f);
        }
        file[n] = '\0';
        if (bench_json_str(file, "text", text, sizeof text) == 0 &&
            strncmp(text, "ward code ", 10) == 0 && strstr(text, want) == text + 16 &&
            strspn(text + 10, "0123456789") == WARD_BIND_CODE_LEN) {
            memcpy(code, text + 10, WARD_BIND_CODE_LEN);
            code[WARD_BIND_CODE_LEN] = '\0';
            found = 0;
        }
    }
    if (d != NULL) {
        closedir(d);
    }
    return found;
}
