/*
 * ward_pair.h - (client library) flow D on the app's side: the binding and
 * channel calls (ward_dev_app.h, in the device library) and the record the
 * app keeps per paired device in its directory.
 *
 *     ward_pair_device dev;      filled by ward_pair_on_pake_finish()
 *     ward_pair_device_save(app_dir, &dev);
 *     ...
 *     ward_pair_device_load(app_dir, "DEV-1", &dev);
 *     ward_pair_channel_open(&dev, cp, &rng, 1, &ch, out, cap, &n);
 *
 * The record is <app_dir>/devices/<ID>.json, mode 0600:
 * {"id", "name", "type", "key_index", "data_key": hex, "udidx": hex,
 *  "client_id": hex (absent for none), "cloud_id" (absent until attach)}.
 * The caller wipes a loaded record with ward_pair_device_wipe().
 */
#ifndef WARD_PAIR_H
#define WARD_PAIR_H

#include <stddef.h>

#include "ward/ward_dev_app.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the app's records: <app_dir>/devices/<ID>.json ---- */

/* On WARD_ERR_IO errno says why (ward_files.h). */
WARD_MUST_CHECK
ward_err ward_pair_device_save(const char *app_dir, const ward_pair_device *d);
/* WARD_ERR_NOTFOUND if the app has not paired id; WARD_ERR_FORMAT for a
 * file that does not parse; on WARD_ERR_IO errno says why. */
WARD_MUST_CHECK
ward_err ward_pair_device_load(const char *app_dir, const char *id,
                               ward_pair_device *d);
/* Up to max device ids, sorted. */
WARD_MUST_CHECK
ward_err ward_pair_device_list(const char *app_dir,
                               char ids[][WARD_DEV_ID_MAX + 1], size_t max,
                               size_t *count);
WARD_MUST_CHECK
ward_err ward_pair_device_remove(const char *app_dir, const char *id);

#ifdef __cplusplus
}
#endif

#endif /* WARD_PAIR_H */
