/* Length and character-set checks of the identifiers of flow A. */
#include <stdbool.h>

#include "ward/ward_bind.h"

static bool id_char(uint8_t c, bool at_ok)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
           (at_ok && c == '@');
}

/* Identifiers end up in JSON, file names and log lines: a narrow alphabet
 * means none of them ever needs escaping. */
static ward_err check_id(const uint8_t *s, size_t len, size_t max, bool at_ok)
{
    if (s == NULL || len == 0 || len > max) {
        return WARD_ERR_FORMAT;
    }
    for (size_t i = 0; i < len; i++) {
        if (!id_char(s[i], at_ok)) {
            return WARD_ERR_FORMAT;
        }
    }
    return WARD_OK;
}

ward_err ward_check_sn(const uint8_t *sn, size_t len)
{
    return check_id(sn, len, WARD_SN_MAX, false);
}

ward_err ward_check_uid(const uint8_t *uid, size_t len)
{
    return check_id(uid, len, WARD_UID_MAX, true);
}

ward_err ward_check_phone(const uint8_t *phone, size_t len)
{
    if (phone == NULL || len < WARD_PHONE_MIN || len > WARD_PHONE_MAX) {
        return WARD_ERR_FORMAT;
    }
    for (size_t i = 0; i < len; i++) {
        uint8_t c = phone[i];
        if (!((c >= '0' && c <= '9') || (c == '+' && i == 0))) {
            return WARD_ERR_FORMAT;
        }
    }
    /* "+" alone is not a number. */
    if (phone[0] == '+' && len == 1) {
        return WARD_ERR_FORMAT;
    }
    return WARD_OK;
}
