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
      "--dir D --id ID --server URL (--factory-key FILE | --no-activate) [--name N] [--type T] "
      "[--keystore URI]",
      "make an IoT device's identity and activate it",
      "Makes the device's identity key in D and, with --factory-key, activates it\n"
      "at wardd (the manufacturer's signature vouches for it).",
      (const cli_doc_opt[]){
          { "dir", "D", "the device's directory (made if missing)" },
          { "id", "ID", "the device id (1-32 of A-Z a-z 0-9 - _ .)" },
          { "server", "URL", "wardd's base URL (http:// or https://)" },
          { "factory-key", "FILE", "the manufacturer key (factory.key, or the PKCS#11 URI of "
            "the token that holds it) that activates it" },
          { "no-activate", NULL, "only make the identity; activate later" },
          { "name", "N", "the name apps see (default: the id)" },
          { "type", "T", "the device type apps see (default lamp)" },
          { "keystore", "URI", "make the identity key in this keystore: a PKCS#11 URI "
            "(pkcs11:token=T;object=P?module-path=M&pin-value=PIN) or software (default); "
            "D remembers it" },
          { NULL, NULL, NULL } } },
    { "device run", "--dir D [--server URL] [--listen HOST:PORT] [--no-far]",
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
      "SIGTERM or SIGINT stops the device cleanly.",
      (const cli_doc_opt[]){
          { "dir", "D", "the device's directory (ward device init)" },
          { "server", "URL", "wardd's base URL (default: the one given at init)" },
          { "listen", "HOST:PORT", "near-field CoAP address (default 127.0.0.1:5683)" },
          { "no-far", NULL, "near-field only: do not poll wardd" },
          { NULL, NULL, NULL } } },
    { "device time", CLI_DOC_TIME_SYNOPSIS, CLI_DOC_TIME_SUMMARY, CLI_DOC_TIME_DETAILS,
      (const cli_doc_opt[]){
          { "dir", "D", "the device's directory (ward device init)" },
          CLI_DOC_TIME_OPTS,
          { NULL, NULL, NULL } } },
    { NULL, NULL, NULL, NULL, NULL },
};
