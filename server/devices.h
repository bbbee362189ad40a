/*
 * devices.h - flow D's far-field relay in wardd (devices.c): the routes
 * an app and a device use to move ward messages through wardd.
 *
 *   POST /v1/devices/attach       user: {device, app} -> {cloud_id, ...}
 *   GET  /v1/devices              user: its attachments (discovery)
 *   POST /v1/dev/{cloud_id}/msgs  user: {msg} queued for the device
 *   GET  /v1/dev/{cloud_id}/replies?wait=S&after=N   user: the replies
 *   GET  /v1/device/inbox?wait=S&after=N             device: its messages
 *   POST /v1/device/replies       device: {cloud_id, msg} for that app
 *
 * A device signs as "lock:ID": it is activated with POST /v1/locks like
 * a lock and shares its table. docs/protocol.md ("Far-field relay")
 * gives the JSON of each.
 */
#ifndef WARDD_DEVICES_H
#define WARDD_DEVICES_H

#include "wardd.h"

void wardd_h_devices_attach(wardd *w, const wardd_req *r, wardd_resp *out);
void wardd_h_devices_get(wardd *w, const wardd_req *r, wardd_resp *out);
void wardd_h_dev_msgs_post(wardd *w, const wardd_req *r, wardd_resp *out);
void wardd_h_dev_replies_get(wardd *w, const wardd_req *r, wardd_resp *out);
void wardd_h_device_inbox_get(wardd *w, const wardd_req *r, wardd_resp *out);
void wardd_h_device_replies_post(wardd *w, const wardd_req *r, wardd_resp *out);

#endif /* WARDD_DEVICES_H */
