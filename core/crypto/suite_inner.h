/*
 * suite_inner.h - helpers shared by the suite's files (core/crypto/).
 * Not installed; nothing outside core/crypto includes it.
 */
#ifndef WARD_SUITE_INNER_H
#define WARD_SUITE_INNER_H

#include <stddef.h>
#include <stdint.h>

#include "ward/ward_crypto.h"
#include "ward/ward_err.h"

/* 1 iff 0 < s < n (the P-256 group order); constant time. */
uint32_t ward_p256_scalar_ok(const uint8_t s[WARD_P256_SCALAR_LEN]);

/* Length of a NUL-terminated label, scanning at most WARD_LABEL_MAX + 1
 * bytes: WARD_ERR_PARAM if it is empty or longer than WARD_LABEL_MAX. */
ward_err ward_label_len(const char *label, size_t *len);

#endif /* WARD_SUITE_INNER_H */
