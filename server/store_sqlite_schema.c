/* wardd's SQLite schema: the migrations, applied in order at open. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_sqlite.h"

/* The schema, as an ordered list of migrations: migration i brings
 * user_version from i to i + 1. Never edit one that has shipped; append. */
static const char *const migrations[WARDD_SCHEMA_VERSION] = {
    /* 0 -> 1: locks, users, tasks, bindings, escrows. */
    "CREATE TABLE locks ("
    "  sn TEXT PRIMARY KEY,"
    "  pub BLOB NOT NULL);"
    "CREATE TABLE users ("
    "  uid TEXT PRIMARY KEY,"
    "  phone TEXT NOT NULL,"
    "  pub BLOB NOT NULL);"
    "CREATE TABLE tasks ("
    "  tid BLOB PRIMARY KEY,"
    "  sn TEXT NOT NULL REFERENCES locks(sn),"
    "  uid TEXT NOT NULL REFERENCES users(uid),"
    "  phone TEXT NOT NULL,"
    "  blob BLOB NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  expires_ms INTEGER NOT NULL,"
    "  state INTEGER NOT NULL DEFAULT 0,"
    "  role INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE bindings ("
    "  sn TEXT NOT NULL REFERENCES locks(sn),"
    "  uid TEXT NOT NULL REFERENCES users(uid),"
    "  role INTEGER NOT NULL,"
    "  tid BLOB NOT NULL,"
    "  bound_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (sn, uid));"
    "CREATE TABLE escrows ("
    "  uid TEXT NOT NULL REFERENCES users(uid),"
    "  sn TEXT NOT NULL REFERENCES locks(sn),"
    "  blob BLOB NOT NULL,"
    "  PRIMARY KEY (uid, sn));",
    /* 1 -> 2: replay nonces and rate-limit events, with their expiry. */
    "CREATE TABLE nonces ("
    "  keyid TEXT NOT NULL,"
    "  nonce TEXT NOT NULL,"
    "  expires_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (keyid, nonce)) WITHOUT ROWID;"
    "CREATE INDEX nonces_expiry ON nonces(expires_ms);"
    "CREATE TABLE rate_events ("
    "  key TEXT NOT NULL,"
    "  at_ms INTEGER NOT NULL);"
    "CREATE INDEX rate_events_key ON rate_events(key, at_ms);"
    "CREATE INDEX tasks_expiry ON tasks(expires_ms);",
    /* 2 -> 3: flow B. An op's audience rows live as long as the op, so
     * a user's pending list is one index range (answered ops filtered by
     * state); the audit is append-only, read newest first per lock. */
    "CREATE TABLE ops ("
    "  op_id BLOB PRIMARY KEY,"
    "  sn TEXT NOT NULL REFERENCES locks(sn),"
    "  target TEXT NOT NULL DEFAULT '',"
    "  op INTEGER NOT NULL,"
    "  token_hash BLOB NOT NULL,"
    "  request BLOB NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  expires_ms INTEGER NOT NULL,"
    "  state INTEGER NOT NULL DEFAULT 0,"
    "  answered_by TEXT,"
    "  approval BLOB,"
    "  answer_sig_input TEXT,"
    "  answer_sig TEXT,"
    "  answered_ms INTEGER,"
    "  delivered_ms INTEGER,"
    "  result BLOB,"
    "  result_ms INTEGER) WITHOUT ROWID;"
    "CREATE INDEX ops_expiry ON ops(expires_ms);"
    "CREATE TABLE op_audience ("
    "  op_id BLOB NOT NULL REFERENCES ops(op_id) ON DELETE CASCADE,"
    "  uid TEXT NOT NULL,"
    "  expires_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (op_id, uid)) WITHOUT ROWID;"
    "CREATE INDEX op_audience_uid ON op_audience(uid, expires_ms);"
    "CREATE TABLE inbox ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  sn TEXT NOT NULL REFERENCES locks(sn),"
    "  msg BLOB NOT NULL,"
    "  created_ms INTEGER NOT NULL);"
    "CREATE INDEX inbox_sn ON inbox(sn, id);"
    "CREATE TABLE audit ("
    "  id INTEGER PRIMARY KEY,"
    "  sn TEXT NOT NULL,"
    "  ts_ms INTEGER NOT NULL,"
    "  event TEXT NOT NULL,"
    "  uid TEXT NOT NULL DEFAULT '',"
    "  op INTEGER NOT NULL DEFAULT 0,"
    "  detail TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX audit_sn ON audit(sn, id);",
    /* 3 -> 4: flow D. A device is a row of locks (activated the same
     * way); an attachment gives one (device, user, app) its cloud id;
     * relayed messages wait per cloud id and way until polled or
     * expired. */
    "CREATE TABLE dev_attach ("
    "  cloud_id BLOB PRIMARY KEY,"
    "  device TEXT NOT NULL REFERENCES locks(sn),"
    "  uid TEXT NOT NULL REFERENCES users(uid),"
    "  app TEXT NOT NULL DEFAULT '',"
    "  attached_ms INTEGER NOT NULL,"
    "  UNIQUE (device, uid, app)) WITHOUT ROWID;"
    "CREATE INDEX dev_attach_uid ON dev_attach(uid, attached_ms);"
    "CREATE TABLE dev_msgs ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  cloud_id BLOB NOT NULL REFERENCES dev_attach(cloud_id) ON DELETE CASCADE,"
    "  device TEXT NOT NULL,"
    "  way INTEGER NOT NULL,"
    "  msg BLOB NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  expires_ms INTEGER NOT NULL);"
    "CREATE INDEX dev_msgs_device ON dev_msgs(device, way, id);"
    "CREATE INDEX dev_msgs_cloud ON dev_msgs(cloud_id, way, id);"
    "CREATE INDEX dev_msgs_expiry ON dev_msgs(expires_ms);",
    /* 4 -> 5: flow B after issue 14. Every audience member's answer is
     * kept (one each), so no member can burn an op with garbage: the lock
     * takes the first that verifies. An op answered before the upgrade
     * keeps its answer as answer 1; ops.approval, answer_sig_input and
     * answer_sig are emptied once copied and unused from then on (the
     * answers live in op_answers). Inbox messages stay after the lock's
     * acknowledgement, with the result it sealed for the revoker, until
     * purged; the lock pages through them by id. */
    "CREATE TABLE op_answers ("
    "  op_id BLOB NOT NULL REFERENCES ops(op_id) ON DELETE CASCADE,"
    "  n INTEGER NOT NULL,"
    "  uid TEXT NOT NULL,"
    "  approval BLOB NOT NULL,"
    "  sig_input TEXT NOT NULL,"
    "  sig TEXT NOT NULL,"
    "  answered_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (op_id, n)) WITHOUT ROWID;"
    "CREATE UNIQUE INDEX op_answers_uid ON op_answers(op_id, uid);"
    "ALTER TABLE ops ADD COLUMN answers INTEGER NOT NULL DEFAULT 0;"
    "INSERT INTO op_answers (op_id, n, uid, approval, sig_input, sig, answered_ms)"
    "  SELECT op_id, 1, answered_by, approval, answer_sig_input, answer_sig, answered_ms"
    "  FROM ops WHERE approval IS NOT NULL AND answered_by IS NOT NULL"
    "  AND answer_sig_input IS NOT NULL AND answer_sig IS NOT NULL"
    "  AND answered_ms IS NOT NULL;"
    "UPDATE ops SET answers = 1 WHERE approval IS NOT NULL AND answered_by IS NOT NULL"
    "  AND answer_sig_input IS NOT NULL AND answer_sig IS NOT NULL"
    "  AND answered_ms IS NOT NULL;"
    "UPDATE ops SET answered_by = NULL WHERE state = 1;"
    "UPDATE ops SET approval = NULL, answer_sig_input = NULL, answer_sig = NULL;"
    "ALTER TABLE inbox ADD COLUMN revoker TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE inbox ADD COLUMN target TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE inbox ADD COLUMN acked_ms INTEGER;"
    "ALTER TABLE inbox ADD COLUMN result BLOB;"
    "CREATE INDEX inbox_acked ON inbox(acked_ms) WHERE acked_ms IS NOT NULL;",
    /* 5 -> 6: phone verification. verified_ms is set once the user typed
     * back a code sent to the phone; the partial unique index keeps one
     * verified account per number. A user's live code is kept only as a
     * MAC (under a key outside the database), with the wrong attempts
     * and lock-outs that limit guessing it. Accounts made before this
     * migration start unverified. */
    "ALTER TABLE users ADD COLUMN verified_ms INTEGER;"
    "CREATE UNIQUE INDEX users_verified_phone ON users(phone)"
    "  WHERE verified_ms IS NOT NULL;"
    "CREATE TABLE phone_codes ("
    "  uid TEXT PRIMARY KEY REFERENCES users(uid),"
    "  mac BLOB,"
    "  expires_ms INTEGER NOT NULL DEFAULT 0,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  lockouts INTEGER NOT NULL DEFAULT 0,"
    "  locked_until_ms INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;",
    /* 6 -> 7: flow C. A claim is kept as its hash; a gateway as its
     * public key, a verifier of its password and its accesskey wrapped
     * to wardd's key (never the localkey). */
    "CREATE TABLE gw_claims ("
    "  hash BLOB PRIMARY KEY,"
    "  uid TEXT NOT NULL,"
    "  expires_ms INTEGER NOT NULL,"
    "  used INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
    "CREATE TABLE gateways ("
    "  tid BLOB PRIMARY KEY,"
    "  uuid BLOB NOT NULL UNIQUE,"
    "  mac BLOB NOT NULL,"
    "  pub BLOB NOT NULL,"
    "  uid TEXT NOT NULL,"
    "  generation INTEGER NOT NULL,"
    "  expires_ms INTEGER NOT NULL,"
    "  verifier BLOB NOT NULL,"
    "  wrapped BLOB NOT NULL,"
    "  last_counter INTEGER NOT NULL DEFAULT 0,"
    "  created_ms INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX gateways_uid ON gateways(uid, created_ms);",
    /* 7 -> 8: signed firmware releases. The manifest as signed and the
     * fields read from it; the image is a file beside the database
     * (DB.fw/FILE), not a row: images are megabytes. */
    "CREATE TABLE fw_releases ("
    "  class TEXT NOT NULL,"
    "  counter INTEGER NOT NULL,"
    "  version TEXT NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  digest BLOB NOT NULL,"
    "  manifest BLOB NOT NULL,"
    "  file TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (class, counter)) WITHOUT ROWID;",
};

/* Brings the schema from its user_version to WARDD_SCHEMA_VERSION, each
 * migration in its own transaction with the version bump. */
ward_err sq_migrate(sq *s)
{
    for (;;) {
        ward_err err = sq_begin(s);
        if (err != WARD_OK) {
            return err;
        }
        sqlite3_stmt *st = sq_prep(s, "PRAGMA user_version");
        int v = -1;
        if (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
            v = sqlite3_column_int(st, 0);
        }
        sq_release(s, st);
        if (v < 0 || v > WARDD_SCHEMA_VERSION) {
            /* Newer than this binary: refuse rather than guess. */
            return sq_end(s, WARD_ERR_UNSUPPORTED);
        }
        if (v == WARDD_SCHEMA_VERSION) {
            return sq_end(s, WARD_OK);
        }
        char bump[64];
        snprintf(bump, sizeof bump, "PRAGMA user_version = %d", v + 1);
        err = sq_exec(s, migrations[v]);
        if (err == WARD_OK) {
            err = sq_exec(s, bump);
        }
        err = sq_end(s, err);
        if (err != WARD_OK) {
            return err;
        }
    }
}
