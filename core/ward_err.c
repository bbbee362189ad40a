/* ward_strerror(): one stable phrase per error class. */
#include "ward/ward_err.h"

const char *ward_strerror(ward_err err)
{
    switch (err) {
    case WARD_OK: return "ok";
    case WARD_ERR_PARAM: return "invalid parameter";
    case WARD_ERR_STATE: return "not allowed in this state";
    case WARD_ERR_NOSPACE: return "no space";
    case WARD_ERR_AUTH: return "authentication failed";
    case WARD_ERR_FORMAT: return "malformed input";
    case WARD_ERR_IO: return "i/o error";
    case WARD_ERR_BUSY: return "busy, try again later";
    case WARD_ERR_LOCKED: return "locked";
    case WARD_ERR_EXPIRED: return "expired";
    case WARD_ERR_NOTFOUND: return "not found";
    case WARD_ERR_CRYPTO: return "crypto backend failure";
    case WARD_ERR_UNSUPPORTED: return "not supported";
    case WARD_ERR_CONFLICT: return "conflicts with what exists";
    }
    return "unknown error";
}
