/* The help table of the `fw` commands: signed firmware releases (docs/protocol.md "Signed
 * firmware update"). */
#include <stddef.h>

#include "doc.h"

const cli_doc cli_docs_fw[] = {
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
