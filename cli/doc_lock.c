/* The help tables of `ward lock ...`: the smart lock's commands. */
#include <stddef.h>

#include "doc.h"

#define LOCK_DIR { "dir", "D", "the lock's directory (ward lock init)" }
#define END { NULL, NULL, NULL }

const cli_doc cli_docs_lock[] = {
    { "lock init", "--dir D --sn SN --server URL (--factory-key FILE [--factory-cert FILE] | "
      "--cert FILE | --no-activate) [--keystore URI] [--fw-class C --release-pub F]",
      "make a lock's identity and activate it",
      "Makes the lock's identity key in D (its public key in D/identity.pub) and\n"
      "registers the lock at wardd with its certificate chain (--cert, or made with\n"
      "--factory-key and --factory-cert), or with an activation (--factory-key\n"
      "alone). Run again with --cert on the same D to present a chain made later.",
      (const cli_doc_opt[]){
          { "dir", "D", "the lock's directory (made if missing)" },
          { "sn", "SN", "the lock's serial number (1-32 of A-Z a-z 0-9 - _ .)" },
          { "server", "URL", "wardd's base URL (http:// or https://)" },
          { "factory-key", "FILE", "the manufacturer key (factory.key, or the PKCS#11 URI of "
            "the token that holds it) that activates it" },
          { "no-activate", NULL, "only make the identity; activate later" },
          { "cert", "FILE", "its certificate chain (ward factory cert of D/identity.pub, made "
            "after a first init --no-activate): kept in D/identity.chain and presented to wardd" },
          { "factory-cert", "FILE", "with --factory-key (then the factory's key): the factory's "
            "certificate; the chain is made on the spot, kept and presented" },
          { "keystore", "URI", "make the identity key in this keystore: a PKCS#11 URI "
            "(pkcs11:token=T;object=P?module-path=M&pin-value=PIN) or software (default); "
            "D remembers it" },
          CLI_DOC_FW_INIT_OPTS,
          END } },
    { "lock bind", "--dir D --phone P [--code CODE] [--qr-out FILE.png] [--wait S]",
      "bind an app: show the QR code, read the SMS code",
      "Shows the QR code for the app to scan (ward app scan), then reads the code\n"
      "wardd texts to the phone from standard input (or --code) and finishes the\n"
      "binding. A lock that has an owner first asks the owner or an admin to\n"
      "allow a new app, and waits for that answer.",
      (const cli_doc_opt[]){
          LOCK_DIR,
          { "phone", "P", "the owner's phone number (optional +, then 5-20 digits)" },
          { "code", "CODE", "the SMS code, instead of reading it from standard input" },
          { "qr-out", "FILE.png", "where to write the QR code (default D/bind-qr.png)" },
          { "wait", "S", "seconds to wait for the app's upload to reach wardd (default 30)" },
          END } },
    { "lock bind-start", "--dir D --phone P --qr-out FILE.png",
      "first half of bind: write the QR code for the app to scan",
      "A lock that has an owner first asks the owner or an admin to allow a new\n"
      "app, and waits for that answer (ward app approve).",
      (const cli_doc_opt[]){
          LOCK_DIR,
          { "phone", "P", "the owner's phone number (optional +, then 5-20 digits)" },
          { "qr-out", "FILE.png", "where to write the QR code" },
          END } },
    { "lock bind-finish", "--dir D --code CODE [--wait S]",
      "second half of bind: type the SMS code into the lock",
      NULL,
      (const cli_doc_opt[]){
          LOCK_DIR,
          { "code", "CODE", "the code wardd texted to the owner's phone" },
          { "wait", "S", "seconds to wait for the app's upload to reach wardd (default 0)" },
          END } },
    { "lock clients", "--dir D [--json]", "list the apps bound to the lock", NULL,
      (const cli_doc_opt[]){ LOCK_DIR, CLI_DOC_JSON, END } },
    { "lock sync", "--dir D",
      "send wardd what it has not acknowledged (a binding's confirmation)", NULL,
      (const cli_doc_opt[]){ LOCK_DIR, END } },
    { "lock request", "--dir D --op unlock|intercom|video|add [--user U] [--timeout S] [--ttl S]",
      "ask the bound apps to allow an operation",
      "Sends the request through wardd and waits for an app's answer; the lock\n"
      "acts only on an answer it verifies. Given up and withdrawn after --timeout\n"
      "or on Ctrl-C.",
      (const cli_doc_opt[]){
          LOCK_DIR,
          { "op", "unlock|intercom|video|add", "the operation to ask for" },
          { "user", "U", "ask this bound user only (default: every bound app)" },
          { "timeout", "S", "seconds to wait for an answer (default 60; 0: as long as it lives)" },
          { "ttl", "S", "seconds the request lives (default 0: the protocol's 60)" },
          END } },
    { "lock run", "--dir D [--time-every S]",
      "run the lock: the near-field link, revocations from wardd",
      "Serves the near-field link (D/near.sock) and applies and answers the\n"
      "revocations wardd relays, until SIGTERM or SIGINT. With time keys (ward\n"
      "lock time) its expiries use secure time, synced at start and every S s.",
      (const cli_doc_opt[]){ LOCK_DIR, CLI_DOC_TIME_EVERY, END } },
    { "lock audit", "--dir D [--json]", "the lock's own audit ring", NULL,
      (const cli_doc_opt[]){ LOCK_DIR, CLI_DOC_JSON, END } },
    { "lock time", CLI_DOC_TIME_SYNOPSIS, CLI_DOC_TIME_SUMMARY, CLI_DOC_TIME_DETAILS,
      (const cli_doc_opt[]){ LOCK_DIR, CLI_DOC_TIME_OPTS, END } },
    { "lock update", CLI_DOC_FW_UPDATE_SYNOPSIS, CLI_DOC_FW_UPDATE_SUMMARY,
      CLI_DOC_FW_UPDATE_DETAILS, (const cli_doc_opt[]){ LOCK_DIR, CLI_DOC_FW_UPDATE_OPTS, END } },
    { "lock boot", CLI_DOC_FW_BOOT_SYNOPSIS, CLI_DOC_FW_BOOT_SUMMARY, CLI_DOC_FW_BOOT_DETAILS,
      (const cli_doc_opt[]){ LOCK_DIR, CLI_DOC_FW_BOOT_OPTS, END } },
    { NULL, NULL, NULL, NULL, NULL },
};
