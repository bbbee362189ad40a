/* CRC-32 (IEEE, reflected) with a 16-entry nibble table; see store_crc.h. */
#include "store_crc.h"

/* A nibble table is 64 bytes of flash instead of a 1 KiB byte table, and
 * still half the work of the bitwise loop; the store checksums a few
 * hundred bytes per power-up, so size wins over speed. */
static const uint32_t crc_nibble[16] = {
    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu,
    0x76DC4190u, 0x6B6B51F4u, 0x4DB26158u, 0x5005713Cu,
    0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
    0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
};

uint32_t ward_crc32(uint32_t crc, const uint8_t *data, size_t len)
{
    /* Inverting on entry and exit makes the pieces chain: the register
     * between calls is the finished CRC of what was fed so far. */
    crc = ~crc;
    for (size_t i = 0; i < len; i++) {
        crc ^= data[i];
        crc = (crc >> 4) ^ crc_nibble[crc & 0x0Fu];
        crc = (crc >> 4) ^ crc_nibble[crc & 0x0Fu];
    }
    return ~crc;
}
