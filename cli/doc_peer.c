/* The help tables of `ward peer`: offline peer authentication (cli/cmd_peer.c). */
#include <stddef.h>

#include "doc.h"

#define PEER_ADDR_HELP "HOST:PORT for CoAP over UDP, or unix:PATH for a byte stream (a UART)"
#define PEER_ALLOW                                                                    \
    { "allow", "ROLES", "the peer roles accepted, comma-separated: lock, device, gateway, " \
      "subdevice, se-host (default: all)" }

const cli_doc cli_docs_peer[] = {
    { "peer init", "--dir D [--root FILE] [--cert FILE] [--list FILE]",
      "make the device's peer key; keep its chain, the root and the revocation list",
      "Makes D/peer.key (0600) and D/peer.pub on first use; certify peer.pub with\n"
      "`ward factory cert --pub D/peer.pub` and give the chain back with --cert.\n"
      "--root keeps the manufacturer's root public key (D/root.pub), --cert the\n"
      "chain (checked under the root, for this key: D/peer.chain), --list a\n"
      "revocation list newer than the one kept (D/revocation.list). Expiry is\n"
      "checked against secure time's floor in D/time.bin (`ward ROLE time`).",
      (const cli_doc_opt[]){
          { "dir", "D", "the device's peer state directory (may be a role's directory)" },
          { "root", "FILE", "the manufacturer root's public key (130 hex digits)" },
          { "cert", "FILE", "this device's certificate chain (`ward factory cert --out`)" },
          { "list", "FILE", "the root's revocation list (`ward factory revoke`)" },
          { NULL, NULL, NULL } } },
    { "peer listen", "--dir D --listen HOST:PORT|unix:PATH [--allow ROLES] [--once]",
      "wait for peers: authenticate them offline and answer their commands",
      "Answers each peer's handshake (docs/protocol.md \"Offline peer\n"
      "authentication\"), refusing a chain of another root, revoked, expired by\n"
      "secure time, of a role not allowed, or an altered or replayed message; then\n"
      "answers the commands sent over the channel: ping, whoami, count (commands\n"
      "run so far), echo TEXT. Prints one line per peer and per command. D's files\n"
      "(the list, the time floor) are read at start: restart it to take new ones.",
      (const cli_doc_opt[]){
          { "dir", "D", "the device's peer state directory (`ward peer init`)" },
          { "listen", "ADDR", PEER_ADDR_HELP }, PEER_ALLOW,
          { "once", NULL, "exit after the first command answered" },
          { NULL, NULL, NULL } } },
    { "peer connect", "--dir D --to HOST:PORT|unix:PATH [--then CMD] [--allow ROLES] "
      "[--timeout MS]",
      "authenticate a peer offline and run one command over the channel",
      "Runs the handshake with the listener, prints who it is and the bytes of\n"
      "each message, then sends CMD (default ping) over the channel and prints\n"
      "`answer: TEXT`. Exits 1 if either side refuses the other.",
      (const cli_doc_opt[]){
          { "dir", "D", "the device's peer state directory (`ward peer init`)" },
          { "to", "ADDR", PEER_ADDR_HELP },
          { "then", "CMD", "the command to send: ping, whoami, count, echo TEXT" },
          PEER_ALLOW,
          { "timeout", "MS", "how long to wait for each answer (default 5000)" },
          { NULL, NULL, NULL } } },
    { NULL, NULL, NULL, NULL, NULL },
};
