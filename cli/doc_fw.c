/* The help tables of `ward fw ...`: release keys, manifests, serving and publishing updates. */
#include <stddef.h>

#include "doc.h"

const cli_doc cli_docs_fw[] = {
    { "fw keygen", "--out DIR [--keystore URI]", "make the firmware release key pair",
      "Writes DIR/release.key (0600, 64 hex digits) and DIR/release.pub (130 hex\n"
      "digits), the forms of factory.key and factory.pub. An existing key is\n"
      "never replaced. With --keystore the key is made inside the PKCS#11 token\n"
      "(label PREFIX-release) and only release.pub is written: give the same URI\n"
      "to `fw sign --key`. Devices learn release.pub with `ROLE init --release-pub`.",
      (const cli_doc_opt[]){
          { "out", "DIR", "directory to write release.key and release.pub into" },
          { "keystore", "URI", "make the key in this PKCS#11 token "
            "(pkcs11:token=T;object=P?module-path=M&pin-value=PIN)" },
          { NULL, NULL, NULL } } },
    { "fw sign",
      "--key F --image IMG --class C --version V --counter N [--min-counter N] --out MANIFEST",
      "sign the manifest of a firmware image",
      "Hashes IMG and writes its manifest (docs/protocol.md \"Signed firmware\n"
      "update\"): for devices of class C, release V (a label, never compared),\n"
      "security counter N (every release raises it; a device refuses one not\n"
      "above the counter it has confirmed) and, with --min-counter, the counter a\n"
      "device must run already to install it.",
      (const cli_doc_opt[]){
          { "key", "F", "the release key: release.key, or the PKCS#11 URI of its token" },
          { "image", "IMG", "the firmware image (1 byte to 2 GiB)" },
          { "class", "C", "the device class: 1 to 32 of A-Z a-z 0-9 . _ -" },
          { "version", "V", "the version label: 1 to 32 of A-Z a-z 0-9 . + _ -" },
          { "counter", "N", "the security counter, 1 to 4294967295" },
          { "min-counter", "N", "the counter a device must have confirmed (default 0: any)" },
          { "out", "MANIFEST", "the file to write the manifest (121 to 183 bytes) into" },
          { NULL, NULL, NULL } } },
    { "fw serve", "--link PATH --manifest M --image IMG",
      "serve one release over a byte stream (a Unix socket standing in for a UART)",
      "Listens on the Unix stream socket PATH and answers `ROLE update --link\n"
      "PATH`: the manifest for its class and the image in pieces (docs/protocol.md\n"
      "\"Signed firmware update\", \"Over a byte stream\"). One device at a time;\n"
      "stops on SIGTERM or SIGINT. It checks nothing: the device verifies.",
      (const cli_doc_opt[]){
          { "link", "PATH", "the socket to listen on (replaced if a socket is there)" },
          { "manifest", "M", "the release's manifest (`ward fw sign`)" },
          { "image", "IMG", "the release's image" },
          { NULL, NULL, NULL } } },
    { "fw publish", "--server URL --manifest M --image IMG",
      "publish a signed firmware release to wardd",
      "Sends the manifest (`ward fw sign`) and its image to wardd (POST /v1/fw).\n"
      "wardd keeps it only if the manifest is signed by a release key it was\n"
      "given (--release-pub), its counter is above every release of its class,\n"
      "and the image has the manifest's size and SHA-256; otherwise this exits 1\n"
      "with wardd's reason. Prints `published class C version V counter N: ...`.",
      (const cli_doc_opt[]){
          { "server", "URL", "wardd's base URL (http:// or https://)" },
          { "manifest", "M", "the signed manifest file" },
          { "image", "IMG", "the image the manifest names" },
          { NULL, NULL, NULL } } },
    { "fw fetch",
      "--server URL --class C --out IMG [--manifest-out M] [--release-pub F] [--chunk BYTES]",
      "download the newest release of a device class from wardd",
      "Asks wardd for the newest manifest of class C (GET /v1/fw/C), then reads\n"
      "its image in byte ranges of --chunk bytes (default 65536), each retried\n"
      "with back-off after a dropped connection from the byte reached, and\n"
      "writes IMG only when its SHA-256 is the manifest's. With --release-pub the\n"
      "manifest must also verify under that key. What a device's update does,\n"
      "without a device: for mirrors and checks.",
      (const cli_doc_opt[]){
          { "server", "URL", "wardd's base URL (http:// or https://)" },
          { "class", "C", "the device class: 1-32 of A-Z a-z 0-9 . _ -" },
          { "out", "IMG", "where to write the image" },
          { "manifest-out", "M", "where to write its manifest" },
          { "release-pub", "F", "the release public key (130 hex digits) it must verify under" },
          { "chunk", "BYTES", "bytes per range request, 1..16777216" },
          { NULL, NULL, NULL } } },
    { NULL, NULL, NULL, NULL, NULL },
};
