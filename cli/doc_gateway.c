/* The help tables of `ward gateway ...` (flow C: a gateway and its LAN hand-over). */
#include <stddef.h>

#include "doc.h"

const cli_doc cli_docs_gateway[] = {
    { "gateway init",
      "--dir G --mac MAC --server URL (--factory-key FILE | --no-activate) [--brand B] "
      "[--category C] [--port P] [--keystore URI]",
      "make a gateway's identity, its QR code and SoftAP name",
      "Makes the gateway's identity key in G and, with --factory-key, activates it\n"
      "at wardd, as ward device init does. Its cloud identity is that same key in\n"
      "the --keystore token; in software it is a key of its own, G/gateway.key.\n"
      "With --factory-key, also the activation its registration carries\n"
      "(G/activation.bin: without it the gateway refuses a claim). Draws the gateway's proof-of-possession\n"
      "secret and writes G/qr.png, the QR code an app scans to provision it\n"
      "(ward app provision), and prints the SoftAP SSID, brand_category_XXYYZZ.",
      (const cli_doc_opt[]){
          { "dir", "G", "the gateway's directory (made if missing)" },
          { "mac", "MAC", "its MAC address (02:11:22:a3:b4:c5 or 021122a3b4c5)" },
          { "server", "URL", "wardd's base URL (http:// or https://)" },
          { "factory-key", "FILE", "the manufacturer key (factory.key, or the PKCS#11 URI of "
            "the token that holds it) that activates it" },
          { "no-activate", NULL, "only make the identity; activate later" },
          { "brand", "B", "the SoftAP name's brand, 1-12 of A-Z a-z 0-9 - (default ward)" },
          { "category", "C", "the SoftAP name's category (default hub)" },
          { "port", "P", "the TCP port of the hand-over link (default 10080)" },
          { "keystore", "URI", "make the identity key in this keystore: a PKCS#11 URI "
            "(pkcs11:token=T;object=P?module-path=M&pin-value=PIN) or software (default); "
            "G remembers it" },
          { NULL, NULL, NULL } } },
    { "gateway run",
      "--dir G [--netns NAME] [--wifi FILE] [--udp-port P] [--failsafe S] [--heartbeat S]",
      "run the gateway: the LAN hand-over, its registration, its session with wardd",
      "Answers SEARCH on UDP port 10071 and serves the hand-over link on its TCP\n"
      "port. The station join is simulated: it succeeds when the SSID and password\n"
      "match a line of --wifi FILE (one \"ssid psk\" a line), whose SSIDs are also\n"
      "the networks the gateway sees. A join the app does not commit within\n"
      "--failsafe seconds (default 120) is rolled back. The same link carries the\n"
      "app's claim (answered with the gateway's signed registration) and wardd's\n"
      "credentials (kept in G/cloud.bin). Once its Wi-Fi is kept and it holds\n"
      "credentials, it logs in to wardd, prints \"online tid=TID generation=N\", sends\n"
      "a heartbeat every --heartbeat seconds (default 30) and logs in again when the\n"
      "session ends (back-off 1 s doubling to 60 s). wardd is talked to from a\n"
      "thread of its own: a slow or silent wardd never delays the LAN answers.\n"
      "SIGTERM or SIGINT stops it (a call to wardd is cut short after 3 s).",
      (const cli_doc_opt[]){
          { "dir", "G", "the gateway's directory (ward gateway init)" },
          { "netns", "NAME", "run inside this network namespace (ip netns add NAME)" },
          { "wifi", "FILE", "the networks in range, one \"ssid psk\" a line" },
          { "udp-port", "P", "where SEARCH is heard (default 10071)" },
          { "failsafe", "S", "seconds a join waits for the app's commit (default 120)" },
          { "heartbeat", "S", "seconds between session heartbeats (default 30)" },
          { NULL, NULL, NULL } } },
    { "gateway reset", "--dir G [--tries N]",
      "the user's reset: unbind at wardd, back to provisioning mode",
      "Wipes the gateway's credentials (kept aside only to tell wardd) and its\n"
      "Wi-Fi, sets the reset flag its SEARCH answer shows until the next\n"
      "provisioning, and asks wardd, in a session of those credentials, to drop\n"
      "its registration, owner and session (--tries times, back-off from 1 s,\n"
      "default 3). When wardd cannot be reached the wipe stands and ward gateway\n"
      "run tells wardd later, with back-off. The gateway must not be running.",
      (const cli_doc_opt[]){
          { "dir", "G", "the gateway's directory (ward gateway init)" },
          { "tries", "N", "how many times to try telling wardd now, 1-10 (default 3)" },
          { NULL, NULL, NULL } } },
    { "gateway time", CLI_DOC_TIME_SYNOPSIS, CLI_DOC_TIME_SUMMARY, CLI_DOC_TIME_DETAILS,
      (const cli_doc_opt[]){
          { "dir", "G", "the gateway's directory (ward gateway init)" },
          CLI_DOC_TIME_OPTS,
          { NULL, NULL, NULL } } },
    { NULL, NULL, NULL, NULL, NULL },
};
