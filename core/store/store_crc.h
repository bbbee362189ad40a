/*
 * store_crc.h - CRC-32 for the record store's checksums. Private to core/.
 *
 * IEEE 802.3 CRC-32 (reflected, polynomial 0xEDB88320, initial and final
 * XOR 0xFFFFFFFF), the one zlib and Ethernet use, so images can be checked
 * with any off-the-shelf tool. It detects torn and flipped bytes; it is
 * not a MAC and protects nothing against an attacker.
 */
#ifndef WARD_STORE_CRC_H
#define WARD_STORE_CRC_H

#include <stddef.h>
#include <stdint.h>

/* Continues a CRC: start with crc = 0, feed the data in any number of
 * pieces; the result after the last piece is the CRC of the whole. */
uint32_t ward_crc32(uint32_t crc, const uint8_t *data, size_t len);

#endif /* WARD_STORE_CRC_H */
