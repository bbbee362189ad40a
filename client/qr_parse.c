/* The QR payload parser: exactly the draft's six keys, each once, each checked. */
#include <string.h>

#include "ward/ward_httpsig.h"
#include "app_inner.h"

enum {
    QR_V = 1u << 0,
    QR_MOBILE = 1u << 1,
    QR_SMS = 1u << 2,
    QR_SN = 1u << 3,
    QR_KEY = 1u << 4,
    QR_TID = 1u << 5,
    QR_ALL = (1u << 6) - 1u
};

static unsigned qr_key_bit(const char *name)
{
    static const char *const names[] = { "v", "mobile", "sms", "sn", "key",
                                         "tid" };
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(name, names[i]) == 0) {
            return 1u << i;
        }
    }
    return 0;
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
    }
    return true;
}

static ward_err qr_field(const cJSON *item, unsigned bit, ward_qr *qr)
{
    size_t n = 0, got = 0;
    if (bit == QR_V) {
        /* A number, and exactly 1: 1.0, 1e0 and true are not versions. */
        if (!cJSON_IsNumber(item) || item->valuedouble != 1.0 ||
            item->valueint != 1) {
            return WARD_ERR_FORMAT;
        }
        return WARD_OK;
    }
    if (!cJSON_IsString(item) || item->valuestring == NULL) {
        return WARD_ERR_FORMAT;
    }
    const char *s = item->valuestring;
    n = strlen(s);
    switch (bit) {
    case QR_MOBILE:
        if (ward_check_phone((const uint8_t *)s, n) != WARD_OK) {
            return WARD_ERR_FORMAT;
        }
        memcpy(qr->mobile, s, n + 1);
        return WARD_OK;
    case QR_SMS:
        if (n != WARD_BIND_CODE_LEN || !all_digits(s, n)) {
            return WARD_ERR_FORMAT;
        }
        memcpy(qr->sms, s, n + 1);
        return WARD_OK;
    case QR_SN:
        if (ward_check_sn((const uint8_t *)s, n) != WARD_OK) {
            return WARD_ERR_FORMAT;
        }
        memcpy(qr->sn, s, n + 1);
        return WARD_OK;
    case QR_KEY:
        if (n != 2 * WARD_BIND_KEY_LEN ||
            ward_hex_decode(s, n, qr->key, sizeof qr->key, &got) != WARD_OK ||
            got != WARD_BIND_KEY_LEN) {
            return WARD_ERR_FORMAT;
        }
        return WARD_OK;
    case QR_TID:
        if (n != 2 * WARD_TASK_ID_LEN ||
            ward_hex_decode(s, n, qr->tid, sizeof qr->tid, &got) != WARD_OK ||
            got != WARD_TASK_ID_LEN) {
            return WARD_ERR_FORMAT;
        }
        return WARD_OK;
    default:
        return WARD_ERR_FORMAT;
    }
}

void ward_qr_wipe(ward_qr *qr)
{
    volatile uint8_t *p = (volatile uint8_t *)qr;
    for (size_t i = 0; i < sizeof *qr; i++) {
        p[i] = 0;
    }
}

ward_err ward_qr_parse(const char *payload, size_t len, ward_qr *qr)
{
    const char *end = NULL;
    unsigned seen = 0;
    ward_err err = WARD_ERR_FORMAT;

    memset(qr, 0, sizeof *qr);
    if (payload == NULL || len == 0 || len > WARD_QR_PAYLOAD_MAX ||
        memchr(payload, '\0', len) != NULL ||
        memchr(payload, '\\', len) != NULL) {
        /* No legal value needs an escape; refusing them all means a
         * "\u0000" cannot cut a string short behind our checks. */
        return WARD_ERR_FORMAT;
    }
    cJSON *root = cJSON_ParseWithLengthOpts(payload, len, &end, 0);
    if (root == NULL || !cJSON_IsObject(root) || end == NULL) {
        goto out;
    }
    /* Only white space may follow the object. */
    for (const char *p = end; p < payload + len; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
            goto out;
        }
    }
    /* cJSON keeps duplicate keys (and lookups find the first): walk the
     * members ourselves so a second "key" cannot hide behind the first. */
    for (const cJSON *item = root->child; item != NULL; item = item->next) {
        unsigned bit = item->string != NULL ? qr_key_bit(item->string) : 0;
        if (bit == 0 || (seen & bit) != 0 ||
            qr_field(item, bit, qr) != WARD_OK) {
            goto out;
        }
        seen |= bit;
    }
    if (seen == QR_ALL) {
        err = WARD_OK;
    }
out:
    cJSON_Delete(root);
    if (err != WARD_OK) {
        ward_qr_wipe(qr);
    }
    return err;
}
