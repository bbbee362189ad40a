/* Help of `ward subdevice init|run` (flow C's sub-devices), for --help and ward(1). */
#include <stddef.h>

#include "doc.h"

const cli_doc cli_docs_subdevice[] = {
    { "subdevice init",
      "--dir S (--factory-key FILE [--factory-cert FILE] | --cert FILE | --no-activate) "
      "[--id HEX32]",
      "make a sub-device's identity, certified or activated by the manufacturer",
      "Makes the sub-device's identity key in S (identity.key, mode 0600; its\n"
      "public key in S/identity.pub), its id (S/id, 16 random bytes unless --id)\n"
      "and what the gateway checks when it joins: its certificate chain\n"
      "(S/identity.chain, made with --factory-key and --factory-cert, or given\n"
      "later with --cert on the same S), or the manufacturer's activation of the\n"
      "key (S/activation, --factory-key alone).",
      (const cli_doc_opt[]){
          { "dir", "S", "the sub-device's directory (made if missing)" },
          { "factory-key", "FILE", "the manufacturer key (factory.key, or the PKCS#11 URI of "
            "the token that holds it)" },
          { "factory-cert", "FILE", "with --factory-key (the factory's key): the factory's "
            "certificate; the chain is made on the spot" },
          { "cert", "FILE", "on an S made with --no-activate: its chain (ward factory cert of "
            "S/identity.pub, role subdevice, id S/id)" },
          { "no-activate", NULL, "only make the identity; certify it later (--cert)" },
          { "id", "HEX32", "the sub-device id, 32 hex digits (default: random)" },
          { NULL, NULL, NULL } } },
    { "subdevice run",
      "--dir S --gateway HOST:PORT [--join-wait SECONDS] [--reconnect-wait SECONDS]",
      "join a gateway and talk to it over the sealed channel",
      "Connects to the gateway over TCP (each message framed by a 2-byte\n"
      "big-endian length). Without a key yet, it joins: it sends its JOIN until\n"
      "the owner opens the gateway's join window (\"waiting for the gateway's join\n"
      "window\", back-off up to 8 s, at most --join-wait seconds, default 120),\n"
      "then keeps its key in S/subkey (mode 0600). It opens a channel (\"channel\n"
      "open\"), sends each line of standard input as one packet, prints each\n"
      "packet from the gateway as \"data: TEXT\", and leaves at the end of input.\n"
      "A sub-device the gateway removed is told so, drops its key and exits 1.\n"
      "When the link drops or the gateway restarts it says \"reconnecting\" and\n"
      "connects again (back-off 0.25 s doubling to 8 s) and opens a new channel;\n"
      "lines read meanwhile go up then. It gives up (exit 1) after\n"
      "--reconnect-wait seconds (default 300) without a channel.",
      (const cli_doc_opt[]){
          { "dir", "S", "the sub-device's directory (ward subdevice init)" },
          { "gateway", "HOST:PORT", "the gateway's sub-device port" },
          { "join-wait", "SECONDS", "how long to wait for a join window (default 120)" },
          { "reconnect-wait", "SECONDS", "how long to keep trying to reach the gateway "
            "(default 300)" },
          { NULL, NULL, NULL } } },
    { NULL, NULL, NULL, NULL, NULL },
};
