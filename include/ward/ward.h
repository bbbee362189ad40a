/*
 * ward.h - everything the device library offers, in one include.
 *
 * Where to start: ward_err.h (the one error type), ward_config.h (sizes
 * and switches), then the ports a platform provides (ward_crypto.h,
 * ward_random.h, ward_clock.h, ward_store_port.h), then the modules built
 * on them: ward_suite.h and ward_spake2p.h (crypto), ward_codec.h (wire
 * format), ward_store.h (power-safe records; ward_records.h says which
 * keys are whose), and the flows: ward_bind.h
 * and ward_lock.h (lock-app binding), ward_op.h (remote approval),
 * ward_device.h (several apps, one device), ward_se.h (secure element
 * binding), ward_cert.h (device certificates), ward_identity.h (one
 * identity for every role), ward_time.h (secure time), ward_fw.h
 * (firmware manifests), ward_fw_update.h (the A/B update engine),
 * ward_peer.h (offline peer authentication). The client library's headers
 * (ward_app.h, ...) are separate.
 */
#ifndef WARD_H
#define WARD_H

#define WARD_VERSION_STRING "0.1.0"

#include "ward_err.h"
#include "ward_config.h"
#include "ward_crypto.h"
#include "ward_random.h"
#include "ward_clock.h"
#include "ward_store_port.h"
#include "ward_suite.h"
#include "ward_spake2p.h"
#include "ward_codec.h"
#include "ward_store.h"
#include "ward_bind.h"
#include "ward_lock.h"
#include "ward_op.h"
#include "ward_device.h"
#include "ward_dev_app.h"
#include "ward_se.h"
#include "ward_gw_prov.h"
#include "ward_gw_cloud.h"
#include "ward_gw_sub.h"
#include "ward_cert.h"
#include "ward_identity.h"
#include "ward_time.h"
#include "ward_fw.h"
#include "ward_peer.h"
#include "ward_fw_update.h"
#include "ward_records.h"

#endif /* WARD_H */
