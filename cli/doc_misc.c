/* The help tables of the commands of one word, `factory`, `se` and `device`. */
#include <stddef.h>

#include "doc.h"

const cli_doc cli_docs_top[] = {
    { "selftest", "[--backend openssl|mbedtls|all] [--verbose] [--json]",
      "run the published known-answer vectors on a crypto backend",
      "Exits 0 only if the backend gives every published answer; with `all`,\n"
      "both backends are run.",
      (const cli_doc_opt[]){
          { "backend", "openssl|mbedtls|all",
            "the backend to check (default: the configured one)" },
          { "verbose", NULL, "print each vector's result" },
          CLI_DOC_JSON, { NULL, NULL, NULL } } },
    { "version", "[--json]", "print the version and the configured crypto backend", NULL,
      (const cli_doc_opt[]){ CLI_DOC_JSON, { NULL, NULL, NULL } } },
    { NULL, NULL, NULL, NULL, NULL },
};

const cli_doc cli_docs_factory[] = {
    { "factory keygen", "--out DIR [--keystore URI]", "make the manufacturer key pair",
      "Writes DIR/factory.key (0600) and DIR/factory.pub; wardd's --factory-pub\n"
      "takes the public half. An existing key is never replaced. With --keystore\n"
      "the key is made inside the PKCS#11 token (label PREFIX-factory) and only\n"
      "factory.pub is written: give the same URI as --factory-key.",
      (const cli_doc_opt[]){
          { "out", "DIR", "directory to write factory.key and factory.pub into" },
          { "keystore", "URI", "make the key in this PKCS#11 token "
            "(pkcs11:token=T;object=P?module-path=M&pin-value=PIN)" },
          { NULL, NULL, NULL } } },
    { "factory cert",
      "--key KEY --role ROLE --id ID --pub FILE --out FILE [--issuer-cert FILE] "
      "[--days N | --expires UNIX] [--issued UNIX]",
      "issue a device certificate, or certify a factory key under the root",
      "Signs {id, role, public key, issued, expires} with KEY (docs/protocol.md,\n"
      "\"Device certificates\"). The root's key with --role factory certifies a\n"
      "factory's key; a factory's key with a device role certifies a device.\n"
      "FILE of --out is binary: the certificate (117-148 bytes), preceded by the\n"
      "factory's certificate when --issuer-cert is given, so it is the whole chain\n"
      "a device presents. Times are seconds since 1970 (UTC); no expiry by default.",
      (const cli_doc_opt[]){
          { "key", "KEY", "the issuer's key: factory.key of `factory keygen`, or the PKCS#11 "
            "URI of the token that holds it" },
          { "role", "ROLE", "lock, device, gateway, subdevice, se-host or factory" },
          { "id", "ID", "the subject's id: 1-32 of A-Z a-z 0-9 . _ -" },
          { "pub", "FILE", "the subject's public key (130 hex digits, as factory.pub)" },
          { "out", "FILE", "where to write the certificate (the chain with --issuer-cert)" },
          { "issuer-cert", "FILE", "the factory certificate of KEY, written first into FILE" },
          { "days", "N", "valid for N days from the issue time" },
          { "expires", "UNIX", "valid until this time (exclusive)" },
          { "issued", "UNIX", "the issue time (default: now)" },
          { NULL, NULL, NULL } } },
    { "factory revoke", "--key ROOTKEY --list FILE [--cert FILE | --pub FILE | --key-id HEX]",
      "make or extend the root's signed revocation list",
      "Reads FILE (binary; absent: a new list), checks it is signed by ROOTKEY,\n"
      "adds the key (of a certificate, the last of a chain file; of a public key\n"
      "file; or its 16-hex-digit key id) and writes it back signed with the next\n"
      "sequence number, so a device that holds it refuses the older one. Revoking\n"
      "a factory's key revokes every device it certified. With no key given, the\n"
      "same entries are signed again with the next sequence number.",
      (const cli_doc_opt[]){
          { "key", "ROOTKEY", "the root's key (file or PKCS#11 URI)" },
          { "list", "FILE", "the revocation list to make or extend" },
          { "cert", "FILE", "revoke the key of this certificate (or chain's device)" },
          { "pub", "FILE", "revoke this public key (130 hex digits)" },
          { "key-id", "HEX", "revoke the key with this key id (16 hex digits)" },
          { NULL, NULL, NULL } } },
    { "factory check", "--root FILE --chain FILE --role ROLE [--list FILE] [--now UNIX]",
      "verify a certificate chain offline, as a device does",
      "Checks the chain (factory certificate, then the device's; or the device's\n"
      "alone) against the root's public key: signatures, issuers, roles, expiry\n"
      "at --now (default: the system clock), and the revocation list if given.\n"
      "Prints `certificate valid: ROLE ID` and exits 0, or says why it refused.",
      (const cli_doc_opt[]){
          { "root", "FILE", "the root's public key (factory.pub of the root)" },
          { "chain", "FILE", "the certificate or chain (`factory cert --out`)" },
          { "role", "ROLE", "the role the device must have" },
          { "list", "FILE", "the root's revocation list (`factory revoke --list`)" },
          { "now", "UNIX", "the time to check expiry at" },
          { NULL, NULL, NULL } } },
    { NULL, NULL, NULL, NULL, NULL },
};

const cli_doc cli_docs_se[] = {
    { "se run", "--dir S --link PATH [--backend openssl|mbedtls]",
      "a simulated secure element on a Unix socket",
      "Serves one host at a time on the Unix socket PATH until SIGTERM or SIGINT;\n"
      "its state (keys, counters, back-off) is kept in S.",
      (const cli_doc_opt[]){
          { "dir", "S", "the secure element's state directory" },
          { "link", "PATH", "Unix socket to listen on (the bus to the host)" },
          { "backend", "openssl|mbedtls", "crypto backend (default: the configured one)" },
          { NULL, NULL, NULL } } },
    { "se host",
      "--dir H --link PATH [--keystore URI] bind [--r1-by se|host] [--variant sym|asym] "
      "[--f hmac-sha256|aes-cmac|hmac-sm3|sm4-cmac] | lock | verify [--then CMD]... | "
      "cmd CMD...",
      "the SE's host: bind to the SE, lock the binding, verify, send commands",
      "Actions: `bind` pairs the host with the SE; `lock` makes the binding final;\n"
      "`verify` proves the SE is the bound one (then sends each --then CMD);\n"
      "`cmd CMD...` verifies and sends one command.",
      (const cli_doc_opt[]){
          { "dir", "H", "the host's state directory" },
          { "link", "PATH", "Unix socket of the SE (ward se run --link)" },
          { "backend", "openssl|mbedtls", "crypto backend (default: the configured one)" },
          { "r1-by", "se|host", "bind: which side makes the first random number (default se)" },
          { "variant", "sym|asym", "bind: symmetric or P-256 binding (default sym)" },
          { "f", "hmac-sha256|aes-cmac|hmac-sm3|sm4-cmac",
            "bind: the keyed function of the challenge (default hmac-sha256)" },
          { "then", "CMD", "verify: a command to send once verified (repeatable)" },
          { "keystore", "URI", "bind --variant asym: make the host's key in this keystore "
            "(pkcs11:token=T;object=P?module-path=M&pin-value=PIN); H remembers it" },
          { NULL, NULL, NULL } } },
    { NULL, NULL, NULL, NULL, NULL },
};

const cli_doc cli_docs_device[] = {
    { "device init",
      "--dir D --id ID --server URL (--factory-key FILE [--factory-cert FILE] | --cert FILE | "
      "--no-activate) [--name N] [--type T] [--keystore URI] [--fw-class C --release-pub F]",
      "make an IoT device's identity and activate it",
      "Makes the device's identity key in D (its public key in D/identity.pub) and\n"
      "registers it at wardd with its certificate chain (--cert, or made with\n"
      "--factory-key and --factory-cert), or with an activation (--factory-key\n"
      "alone). Run again with --cert on the same D to present a chain made later.",
      (const cli_doc_opt[]){
          { "dir", "D", "the device's directory (made if missing)" },
          { "id", "ID", "the device id (1-32 of A-Z a-z 0-9 - _ .)" },
          { "server", "URL", "wardd's base URL (http:// or https://)" },
          { "factory-key", "FILE", "the manufacturer key (factory.key, or the PKCS#11 URI of "
            "the token that holds it) that activates it" },
          { "no-activate", NULL, "only make the identity; activate later" },
          { "cert", "FILE", "its certificate chain (ward factory cert of D/identity.pub, made "
            "after a first init --no-activate): kept in D/identity.chain and presented to wardd" },
          { "factory-cert", "FILE", "with --factory-key (then the factory's key): the factory's "
            "certificate; the chain is made on the spot, kept and presented" },
          { "name", "N", "the name apps see (default: the id)" },
          { "type", "T", "the device type apps see (default lamp)" },
          { "keystore", "URI", "make the identity key in this keystore: a PKCS#11 URI "
            "(pkcs11:token=T;object=P?module-path=M&pin-value=PIN) or software (default); "
            "D remembers it" },
          CLI_DOC_FW_INIT_OPTS,
          { NULL, NULL, NULL } } },
    { "device run", "--dir D [--server URL] [--listen HOST:PORT] [--no-far] [--no-window] "
      "[--time-every S]",
      "run the device: near-field CoAP, far-field through wardd, pairing windows",
      "Runs the device: near-field CoAP on --listen (default 127.0.0.1:5683) and,\n"
      "unless --no-far, far-field through wardd at --server (default: the one\n"
      "of ward device init).\n\n"
      "Apps pair only inside a pairing window, opened by a local action. The\n"
      "window opens when the device starts, and a new one (with a fresh PIN;\n"
      "the old one closes) on each line read from standard input (press\n"
      "Enter) and on SIGUSR1 (kill -USR1 PID). Each window prints\n"
      "  PIN: NNNNNN\n"
      "and lasts 180 s or until 5 wrong PINs; \"pairing window closed\" says\n"
      "when it has ended. Every app pairing in the window types its PIN.\n"
      "SIGUSR2 is the owner closing the window: \"pairing window closed by the\n"
      "owner\" is said once the device's store no longer holds it, so a\n"
      "restart after that line finds no window. With --no-window the start\n"
      "opens none (a restart after a crash or a power cut is nobody's\n"
      "action): a window the store still holds goes on, with its PIN.\n"
      "SIGTERM or SIGINT stops the device cleanly. With time keys (ward device\n"
      "time) the window's end is measured on secure time, synced at start and\n"
      "every --time-every seconds.",
      (const cli_doc_opt[]){
          { "dir", "D", "the device's directory (ward device init)" },
          CLI_DOC_TIME_EVERY,
          { "server", "URL", "wardd's base URL (default: the one given at init)" },
          { "listen", "HOST:PORT", "near-field CoAP address (default 127.0.0.1:5683)" },
          { "no-far", NULL, "near-field only: do not poll wardd" },
          { "no-window", NULL, "open no pairing window at start (a restart, not the owner)" },
          { NULL, NULL, NULL } } },
    { "device time", CLI_DOC_TIME_SYNOPSIS, CLI_DOC_TIME_SUMMARY, CLI_DOC_TIME_DETAILS,
      (const cli_doc_opt[]){
          { "dir", "D", "the device's directory (ward device init)" },
          CLI_DOC_TIME_OPTS,
          { NULL, NULL, NULL } } },
    { "device update", CLI_DOC_FW_UPDATE_SYNOPSIS, CLI_DOC_FW_UPDATE_SUMMARY,
      CLI_DOC_FW_UPDATE_DETAILS,
      (const cli_doc_opt[]){
          { "dir", "D", "the device's directory (ward device init)" },
          CLI_DOC_FW_UPDATE_OPTS,
          { NULL, NULL, NULL } } },
    { "device boot", CLI_DOC_FW_BOOT_SYNOPSIS, CLI_DOC_FW_BOOT_SUMMARY, CLI_DOC_FW_BOOT_DETAILS,
      (const cli_doc_opt[]){
          { "dir", "D", "the device's directory (ward device init)" },
          CLI_DOC_FW_BOOT_OPTS,
          { NULL, NULL, NULL } } },
    { NULL, NULL, NULL, NULL, NULL },
};
