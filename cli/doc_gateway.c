/* The help tables of `ward gateway ...` (flow C: a gateway and its LAN hand-over). */
#include <stddef.h>

#include "doc.h"

const cli_doc cli_docs_gateway[] = {
    { "gateway init",
      "--dir G --mac MAC --server URL (--factory-key FILE | --no-activate) [--brand B] "
      "[--category C] [--port P] [--keystore URI] [--fw-class C --release-pub F]",
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
          CLI_DOC_FW_INIT_OPTS,
          { NULL, NULL, NULL } } },
    { "gateway run",
      "--dir G [--netns NAME] [--wifi FILE] [--udp-port P] [--failsafe S] [--heartbeat S] "
      "[--sub-port P [--sub-factory FILE] [--sub-root FILE [--sub-list FILE]]] [--time-every S]",
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
      "With --sub-port it also serves\n"
      "sub-devices (ward subdevice run) on that TCP port once it holds credentials:\n"
      "they join while the owner has its join window open (ward gateway subdevices\n"
      "--open), their table is kept in G/subdevices.bin, each message from one is\n"
      "printed as \"subdevice ID data: TEXT\" and answered \"echo: TEXT\" over its\n"
      "channel; G/gateway.sock (mode 0600) takes the owner's requests.\n"
      "SIGTERM or SIGINT stops it (a call to wardd is cut short after 3 s). With\n"
      "time keys (ward gateway time) the credentials' expiry is told on secure\n"
      "time, synced at start and every --time-every seconds.",
      (const cli_doc_opt[]){
          { "dir", "G", "the gateway's directory (ward gateway init)" },
          { "netns", "NAME", "run inside this network namespace (ip netns add NAME)" },
          { "wifi", "FILE", "the networks in range, one \"ssid psk\" a line" },
          { "udp-port", "P", "where SEARCH is heard (default 10071)" },
          { "failsafe", "S", "seconds a join waits for the app's commit (default 120)" },
          { "heartbeat", "S", "seconds between session heartbeats (default 30)" },
          CLI_DOC_TIME_EVERY,
          { "sub-port", "P", "serve sub-devices on this TCP port (with --sub-factory or "
            "--sub-root)" },
          { "sub-factory", "FILE", "the manufacturer's public key (factory.pub) whose "
            "activations sub-devices may carry" },
          { "sub-root", "FILE", "the manufacturer's root public key: sub-devices' certificate "
            "chains (role subdevice) must lead to it, unexpired (the gateway's clock)" },
          { "sub-list", "FILE", "the root's revocation list; kept in G/revocation.list when "
            "newer than the one kept there" },
          { NULL, NULL, NULL } } },
    { "gateway reset", "--dir G [--tries N]",
      "the user's reset: unbind at wardd, back to provisioning mode",
      "Wipes the gateway's credentials (kept aside only to tell wardd) and its\n"
      "Wi-Fi, sets the reset flag its SEARCH answer shows until the next\n"
      "provisioning, and asks wardd, in a session of those credentials, to drop\n"
      "its registration, owner and session (--tries times, back-off from 1 s,\n"
      "default 3). When wardd cannot be reached the wipe stands and ward gateway\n"
      "run tells wardd later, with back-off. Its sub-devices are forgotten too\n"
      "(G/subdevices.bin). The gateway must not be running.",
      (const cli_doc_opt[]){
          { "dir", "G", "the gateway's directory (ward gateway init)" },
          { "tries", "N", "how many times to try telling wardd now, 1-10 (default 3)" },
          { NULL, NULL, NULL } } },
    { "gateway time", CLI_DOC_TIME_SYNOPSIS, CLI_DOC_TIME_SUMMARY, CLI_DOC_TIME_DETAILS,
      (const cli_doc_opt[]){
          { "dir", "G", "the gateway's directory (ward gateway init)" },
          CLI_DOC_TIME_OPTS,
          { NULL, NULL, NULL } } },
    { "gateway update", CLI_DOC_FW_UPDATE_SYNOPSIS, CLI_DOC_FW_UPDATE_SUMMARY,
      CLI_DOC_FW_UPDATE_DETAILS,
      (const cli_doc_opt[]){
          { "dir", "G", "the gateway's directory (ward gateway init)" },
          CLI_DOC_FW_UPDATE_OPTS,
          { NULL, NULL, NULL } } },
    { "gateway boot", CLI_DOC_FW_BOOT_SYNOPSIS, CLI_DOC_FW_BOOT_SUMMARY, CLI_DOC_FW_BOOT_DETAILS,
      (const cli_doc_opt[]){
          { "dir", "G", "the gateway's directory (ward gateway init)" },
          CLI_DOC_FW_BOOT_OPTS,
          { NULL, NULL, NULL } } },
    { "gateway subdevices", "--dir G [--open SECONDS [--tries N] | --close | --remove ID]",
      "the owner's side of a running gateway's sub-devices",
      "Talks to the gateway running on G (ward gateway run --sub-port) through\n"
      "G/gateway.sock. Without an option it lists the sub-devices it holds, one\n"
      "\"subdevice ID connected|not connected\" a line, then \"N sub-devices; join\n"
      "window open|closed\". --open opens the join window for SECONDS (1-600) and\n"
      "at most --tries refused joins (1-16, default 3); it closes at the first\n"
      "sub-device that joins. --close closes it. --remove forgets a sub-device at\n"
      "once: its key stops working, it must join again through a window. Fails\n"
      "while the gateway holds no credentials (sub-device keys derive from them).",
      (const cli_doc_opt[]){
          { "dir", "G", "the gateway's directory" },
          { "open", "SECONDS", "open the join window for this long" },
          { "tries", "N", "refused joins the window takes before it closes (default 3)" },
          { "close", NULL, "close the join window" },
          { "remove", "ID", "the sub-device to forget (32 hex digits)" },
          { NULL, NULL, NULL } } },
    { NULL, NULL, NULL, NULL, NULL },
};
