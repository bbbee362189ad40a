/*
 * qr.h - QR codes for the lock's screen and the app's camera.
 *
 * The lock shows the binding payload as a QR code: in the terminal with
 * UTF-8 half blocks (two module rows per text line, light modules drawn,
 * for a dark terminal), and as a PNG file. The app "scans" a PNG with
 * ZBar, the same decoder a phone camera app would use.
 */
#ifndef WARD_CLI_QR_H
#define WARD_CLI_QR_H

#include <stddef.h>
#include <stdio.h>

/* 0 on success; -1 with errno-free failure (payload too long for a QR). */
int qr_print_terminal(FILE *out, const char *payload);
/* Writes an 8-bit grey PNG, 8 pixels per module, 4-module quiet zone. */
int qr_write_png(const char *path, const char *payload);
/* Decodes the first QR code in a PNG into out (NUL-terminated). Returns
 * the payload length, or -1 (unreadable file, no QR code, too long). */
int qr_read_png(const char *path, char *out, size_t cap);

#endif /* WARD_CLI_QR_H */
