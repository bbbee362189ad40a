/* A server's text made safe to print: one line, no terminal control. */
#include <string.h>

#include "ward/ward_http.h"

/* The escape of c into e (at most 4 bytes); its length. */
static size_t escape(unsigned char c, char e[4])
{
    static const char hex[] = "0123456789abcdef";
    if (c >= 0x20 && c < 0x7f && c != '\\') {
        e[0] = (char)c;
        return 1;
    }
    if (c == '\\') {
        e[0] = '\\';
        e[1] = '\\';
        return 2;
    }
    e[0] = '\\';
    e[1] = 'x';
    e[2] = hex[c >> 4];
    e[3] = hex[c & 15];
    return 4;
}

void ward_http_text(char *out, size_t cap, const char *in)
{
    char e[4];
    size_t o = 0, total = 0;
    if (cap == 0) {
        return;
    }
    in = in != NULL ? in : "";
    for (size_t i = 0; in[i] != '\0'; i++) {
        total += escape((unsigned char)in[i], e);
    }
    /* Too long: room is kept for "..." and the NUL, and an escape is
     * never cut. */
    size_t room = total < cap ? cap - 1 : (cap > 4 ? cap - 4 : 0);
    for (size_t i = 0; in[i] != '\0'; i++) {
        size_t k = escape((unsigned char)in[i], e);
        if (o + k > room) {
            break;
        }
        memcpy(out + o, e, k);
        o += k;
    }
    if (total >= cap && cap > 4) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}
