/* Flow C: the credentials as the gateway keeps them, one store record (0x0480), both ways. */
#include <string.h>

#include "ward/ward_gw_cloud.h"
#include "ward_inner.h"

void ward_gw_creds_rec_encode(const ward_gw_creds *c, uint8_t rec[WARD_GW_CREDS_REC_LEN])
{
    size_t o = 0;
    WARD_ASSERT(c != NULL && rec != NULL);
    memcpy(rec, c->tid, WARD_GW_TID_LEN);
    o += WARD_GW_TID_LEN;
    ward_store32(rec + o, c->generation);
    o += 4;
    ward_store64(rec + o, c->expiry_ms);
    o += 8;
    memcpy(rec + o, c->password, WARD_GW_PASSWORD_LEN);
    o += WARD_GW_PASSWORD_LEN;
    memcpy(rec + o, c->accesskey, WARD_GW_ACCESSKEY_LEN);
    o += WARD_GW_ACCESSKEY_LEN;
    memcpy(rec + o, c->localkey, WARD_GW_LOCALKEY_LEN);
}

void ward_gw_creds_rec_decode(const uint8_t rec[WARD_GW_CREDS_REC_LEN], ward_gw_creds *c)
{
    size_t o = 0;
    WARD_ASSERT(c != NULL && rec != NULL);
    memcpy(c->tid, rec, WARD_GW_TID_LEN);
    o += WARD_GW_TID_LEN;
    c->generation = ward_load32(rec + o);
    o += 4;
    c->expiry_ms = ward_load64(rec + o);
    o += 8;
    memcpy(c->password, rec + o, WARD_GW_PASSWORD_LEN);
    o += WARD_GW_PASSWORD_LEN;
    memcpy(c->accesskey, rec + o, WARD_GW_ACCESSKEY_LEN);
    o += WARD_GW_ACCESSKEY_LEN;
    memcpy(c->localkey, rec + o, WARD_GW_LOCALKEY_LEN);
}
