/*
 * ward_records.h - which keys of the record store (ward_store.h) each
 * flow uses, so a product can keep its own records in the same store.
 *
 * Each flow owns one range of 16-bit record keys; what the records hold is
 * private to the core (docs/protocol.md gives the layouts). A product's
 * own records go in WARD_REC_PRODUCT_FIRST..WARD_REC_PRODUCT_LAST, which
 * no version of ward will use; every other key is ward's, including the
 * gaps (reserved for flows to come). The core checks at build time that
 * every key it writes lies in its flow's range, whatever the sizes set in
 * ward_config.h.
 *
 *     range          flow                       records
 *     0x0100-0x02FF  A, lock-app binding        identity (0x0100, also the
 *                                               device's), pending binding,
 *                                               lock-out, unacknowledged
 *                                               confirmation, audit head,
 *                                               add-client grant, clients
 *                                               (0x0110 + slot)
 *     0x0300-0x03FF  B, remote approval         audit ring (0x0300 + seq %
 *                                               WARD_AUDIT_MAX)
 *     0x0400-0x04FF  C, gateway                  provisioning state (0x0400-
 *                                               0x047F), cloud credentials
 *                                               and sessions (0x0480-0x04BF),
 *                                               sub-device table (0x04C0-
 *                                               0x04FF: next generation at
 *                                               0x04C0, 0x04C1 + slot)
 *     0x0500-0x05FF  D, several apps, a device  name and type, next key
 *                                               index, pairing window,
 *                                               nodes (0x0510 + slot)
 *     0x0600-0x06FF  E, secure element (SE)     SE id, binding, failures
 *     0x0700-0x07FF  E, secure element (host)   the host's binding
 *     0x0900-0x09FF  secure time                floor (0x0900)
 *     0x0A00-0x0AFF  firmware update            boot state (0x0A00), download
 *                                               in progress (0x0A01, its
 *                                               checkpoint 0x0A02)
 *     0x8000-0xFEFF  the product's own
 *     0xFF00-0xFFFF  none: the store takes no key here (ward_store.h)
 */
#ifndef WARD_RECORDS_H
#define WARD_RECORDS_H

#define WARD_REC_LOCK_FIRST 0x0100u
#define WARD_REC_LOCK_LAST 0x02FFu
#define WARD_REC_OP_FIRST 0x0300u
#define WARD_REC_OP_LAST 0x03FFu
#define WARD_REC_GW_FIRST 0x0400u
#define WARD_REC_GW_LAST 0x04FFu
/* Flow C's sub-device table, the top of the gateway's range. */
#define WARD_REC_GW_SUB_FIRST 0x04C0u
#define WARD_REC_GW_SUB_LAST 0x04FFu
#define WARD_REC_DEV_FIRST 0x0500u
#define WARD_REC_DEV_LAST 0x05FFu
#define WARD_REC_SE_FIRST 0x0600u
#define WARD_REC_SE_LAST 0x06FFu
#define WARD_REC_SE_HOST_FIRST 0x0700u
#define WARD_REC_SE_HOST_LAST 0x07FFu
#define WARD_REC_TIME_FIRST 0x0900u
#define WARD_REC_TIME_LAST 0x09FFu
#define WARD_REC_FW_FIRST 0x0A00u
#define WARD_REC_FW_LAST 0x0AFFu
#define WARD_REC_PRODUCT_FIRST 0x8000u
#define WARD_REC_PRODUCT_LAST 0xFEFFu

/* The same table for code that walks it: X(first, last, name) per range,
 * in key order, e.g. to check a product's keys at start-up. */
#define WARD_RECORD_RANGES(X)                                                \
    X(WARD_REC_LOCK_FIRST, WARD_REC_LOCK_LAST, "lock-app binding")           \
    X(WARD_REC_OP_FIRST, WARD_REC_OP_LAST, "remote approval")                \
    X(WARD_REC_GW_FIRST, WARD_REC_GW_LAST, "gateway")                        \
    X(WARD_REC_DEV_FIRST, WARD_REC_DEV_LAST, "several apps, one device")     \
    X(WARD_REC_SE_FIRST, WARD_REC_SE_LAST, "secure element")                 \
    X(WARD_REC_SE_HOST_FIRST, WARD_REC_SE_HOST_LAST, "secure element host")  \
    X(WARD_REC_TIME_FIRST, WARD_REC_TIME_LAST, "secure time")                \
    X(WARD_REC_FW_FIRST, WARD_REC_FW_LAST, "firmware update")                \
    X(WARD_REC_PRODUCT_FIRST, WARD_REC_PRODUCT_LAST, "product")

#endif /* WARD_RECORDS_H */
