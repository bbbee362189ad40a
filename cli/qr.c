/* QR codes: libqrencode to make them, libpng to store them, ZBar to read
 * them back; see qr.h. */
#include "qr.h"

#include <png.h>
#include <qrencode.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zbar.h>

#define QUIET 4
#define SCALE 8

static QRcode *encode(const char *payload)
{
    /* 8-bit mode keeps the JSON byte for byte; level M survives a smudged
     * screen without making the code too dense for a small display. */
    return QRcode_encodeString8bit(payload, 0, QR_ECLEVEL_M);
}

static int dark(const QRcode *qr, int x, int y)
{
    if (x < 0 || y < 0 || x >= qr->width || y >= qr->width) {
        return 0;
    }
    return qr->data[y * qr->width + x] & 1;
}

int qr_print_terminal(FILE *out, const char *payload)
{
    QRcode *qr = encode(payload);
    if (qr == NULL) {
        return -1;
    }
    const int q = 2;
    for (int y = -q; y < qr->width + q; y += 2) {
        for (int x = -q; x < qr->width + q; x++) {
            int top = dark(qr, x, y), bottom = dark(qr, x, y + 1);
            /* Light modules are drawn, so the code reads right on a dark
             * terminal background. */
            const char *cell = !top && !bottom ? "\xe2\x96\x88"  /* full block */
                             : !top            ? "\xe2\x96\x80"  /* upper half */
                             : !bottom         ? "\xe2\x96\x84"  /* lower half */
                                               : " ";
            fputs(cell, out);
        }
        fputc('\n', out);
    }
    QRcode_free(qr);
    return 0;
}

int qr_write_png(const char *path, const char *payload)
{
    QRcode *qr = encode(payload);
    if (qr == NULL) {
        return -1;
    }
    int side = (qr->width + 2 * QUIET) * SCALE;
    uint8_t *pixels = malloc((size_t)side * (size_t)side);
    if (pixels == NULL) {
        QRcode_free(qr);
        return -1;
    }
    for (int py = 0; py < side; py++) {
        for (int px = 0; px < side; px++) {
            int mx = px / SCALE - QUIET, my = py / SCALE - QUIET;
            pixels[py * side + px] = dark(qr, mx, my) ? 0 : 255;
        }
    }
    QRcode_free(qr);

    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    image.width = (png_uint_32)side;
    image.height = (png_uint_32)side;
    image.format = PNG_FORMAT_GRAY;
    int ok = png_image_write_to_file(&image, path, 0, pixels, 0, NULL);
    free(pixels);
    return ok ? 0 : -1;
}

int qr_read_png(const char *path, char *out, size_t cap)
{
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&image, path)) {
        return -1;
    }
    image.format = PNG_FORMAT_GRAY;
    size_t size = PNG_IMAGE_SIZE(image);
    uint8_t *pixels = malloc(size);
    if (pixels == NULL) {
        png_image_free(&image);
        return -1;
    }
    if (!png_image_finish_read(&image, NULL, pixels, 0, NULL)) {
        free(pixels);
        return -1;
    }

    int result = -1;
    zbar_image_scanner_t *scanner = zbar_image_scanner_create();
    zbar_image_scanner_set_config(scanner, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
    zbar_image_scanner_set_config(scanner, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
    /* Keep the payload's bytes as they are: no guessing of a text charset. */
    zbar_image_scanner_set_config(scanner, ZBAR_QRCODE, ZBAR_CFG_BINARY, 1);
    zbar_image_t *zimg = zbar_image_create();
    zbar_image_set_format(zimg, zbar_fourcc('Y', '8', '0', '0'));
    zbar_image_set_size(zimg, image.width, image.height);
    zbar_image_set_data(zimg, pixels, size, zbar_image_free_data);
    if (zbar_scan_image(scanner, zimg) > 0) {
        for (const zbar_symbol_t *sym = zbar_image_first_symbol(zimg); sym;
             sym = zbar_symbol_next(sym)) {
            if (zbar_symbol_get_type(sym) != ZBAR_QRCODE) {
                continue;
            }
            unsigned len = zbar_symbol_get_data_length(sym);
            if (len + 1 <= cap) {
                memcpy(out, zbar_symbol_get_data(sym), len);
                out[len] = '\0';
                result = (int)len;
            }
            break;
        }
    }
    zbar_image_destroy(zimg); /* frees pixels through zbar_image_free_data */
    zbar_image_scanner_destroy(scanner);
    return result;
}
