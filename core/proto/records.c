/* Build-time proof that every store record key of each flow lies in its public range (ward_records.h). */
#include "ward/ward_records.h"

#include "dev_inner.h"
#include "lock_records.h"
#include "se_inner.h"

/* C99 has no _Static_assert: a negative array size fails the build. */
#define REC_IN(key, flow)                                                    \
    ((key) >= WARD_REC_##flow##_FIRST && (key) <= WARD_REC_##flow##_LAST)
#define REC_ASSERT(name, cond) typedef char ward_rec_check_##name[(cond) ? 1 : -1]

REC_ASSERT(lock_identity, REC_IN(LOCK_REC_IDENTITY, LOCK));
REC_ASSERT(lock_add_grant, REC_IN(LOCK_REC_ADD_GRANT, LOCK));
REC_ASSERT(lock_clients, REC_IN(LOCK_REC_CLIENT_FIRST, LOCK) &&
                         REC_IN(LOCK_REC_CLIENT_LAST, LOCK));
REC_ASSERT(op_audit, REC_IN(LOCK_REC_AUDIT_FIRST, OP) &&
                     REC_IN(LOCK_REC_AUDIT_FIRST + WARD_AUDIT_MAX - 1u, OP));
REC_ASSERT(dev_info, REC_IN(DEV_REC_INFO, DEV) && REC_IN(DEV_REC_WINDOW, DEV));
REC_ASSERT(dev_nodes, REC_IN(DEV_REC_NODE_FIRST, DEV) &&
                      REC_IN(DEV_REC_NODE_FIRST + WARD_MAX_NODES - 1u, DEV));
REC_ASSERT(se, REC_IN(SE_REC_ID, SE) && REC_IN(SE_REC_FAILS, SE));
REC_ASSERT(se_host, REC_IN(HOST_REC_BINDING, SE_HOST));
/* Bounds of ward_config.h: the largest tables still fit their ranges. */
REC_ASSERT(lock_max, LOCK_REC_CLIENT_FIRST + 255u - 1u <= WARD_REC_LOCK_LAST);
REC_ASSERT(op_max, LOCK_REC_AUDIT_FIRST + 255u - 1u <= WARD_REC_OP_LAST);
REC_ASSERT(dev_max, DEV_REC_NODE_FIRST + 64u - 1u <= WARD_REC_DEV_LAST);

REC_ASSERT(product, WARD_REC_PRODUCT_LAST < WARD_STORE_KEY_RESERVED);

/* Not empty for -pedantic's sake: the typedefs above are all it holds. */
typedef int ward_records_checked;
