/* The help tables of `ward app ...`: the phone app's commands. */
#include <stddef.h>

#include "doc.h"

#define APP_DIR { "dir", "A", "the app's directory (ward app register)" }
#define APP_SN { "sn", "SN", "the lock (default: the only lock this app is bound to)" }
#define ESCROW { "from-escrow", NULL, "sign with the key kept in escrow at wardd" }
#define END { NULL, NULL, NULL }

const cli_doc cli_docs_app[] = {
    { "app register", "--dir A --server URL --user U --phone P [--code C] [--keystore URI] | "
      "--dir A --code C",
      "make the app's account and key, verify its phone by the SMS code",
      "The first form makes the key and the account and has wardd text a code to\n"
      "the phone; with --code it also verifies it. The second form verifies a\n"
      "registration begun before. The client key printed recovers the locks on a\n"
      "new phone (ward app recover): keep a copy.",
      (const cli_doc_opt[]){
          { "dir", "A", "the app's directory (made if missing)" },
          { "server", "URL", "wardd's base URL (http:// or https://)" },
          { "user", "U", "the user name to register" },
          { "phone", "P", "the phone number to verify (optional +, then 5-20 digits)" },
          { "code", "C", "the code wardd texted (else read from standard input)" },
          { "keystore", "URI", "make the client key in this keystore: a PKCS#11 URI "
            "(pkcs11:token=T;object=P?module-path=M&pin-value=PIN) or software (default); "
            "A remembers it" },
          END } },
    { "app scan", "--dir A --qr FILE.png [--wait S] [--rebind]",
      "scan a lock's QR code and upload the binding",
      "Reads the lock's QR code from FILE.png, seals the binding for the lock and\n"
      "uploads it; wardd texts the code to type into the lock. --wait S waits up\n"
      "to S seconds for the lock to finish it (`ward app status` asks later).\n\n"
      "A QR code for a lock this app holds a record of already (bound, or a\n"
      "binding begun and not finished) is refused: anyone can print one. With\n"
      "--rebind it binds again beside the binding in use, which stays in use\n"
      "until the lock takes the new one. The lock takes it only once the\n"
      "binding in use was revoked there (it refuses to bind a user id it holds\n"
      "already); until then the new binding just expires, and is dropped.",
      (const cli_doc_opt[]){
          APP_DIR,
          { "qr", "FILE.png", "the picture of the lock's QR code" },
          { "wait", "S", "seconds to wait for the lock to finish the binding (default 0)" },
          { "rebind", NULL, "bind again to a lock this app holds a record of" },
          END } },
    { "app status", "--dir A [--wait S] [--json]", "ask wardd about pending bindings", NULL,
      (const cli_doc_opt[]){
          APP_DIR,
          { "wait", "S", "seconds to wait for a pending binding to finish (default 0)" },
          CLI_DOC_JSON, END } },
    { "app recover", "--dir A --from-key FILE [--server URL] [--keystore URI]",
      "a new phone: import the key, restore locks from escrow", NULL,
      (const cli_doc_opt[]){
          { "dir", "A", "the new app directory (made if missing)" },
          { "from-key", "FILE", "the client key file kept from ward app register" },
          { "server", "URL", "wardd's base URL (default: the one in the key file)" },
          { "keystore", "URI", "the keystore that holds the key of a key file with \"pub\" "
            "only (ward app register --keystore); A remembers it" },
          END } },
    { "app pending", "--dir A [--wait S] [--json]", "requests waiting for this app's answer", NULL,
      (const cli_doc_opt[]){
          APP_DIR,
          { "wait", "S", "seconds to wait for a request to arrive (default 0)" },
          CLI_DOC_JSON, END } },
    { "app approve", "--dir A OP_ID [--wait S] [--from-escrow]",
      "allow a request (OP_ID from ward app pending)", NULL,
      (const cli_doc_opt[]){
          APP_DIR,
          { "wait", "S", "seconds to wait for the lock's outcome (default 10)" },
          ESCROW,
          END } },
    { "app deny", "--dir A OP_ID [--wait S] [--from-escrow]",
      "refuse a request (OP_ID from ward app pending)", NULL,
      (const cli_doc_opt[]){
          APP_DIR,
          { "wait", "S", "seconds to wait for the lock's outcome (default 10)" },
          ESCROW,
          END } },
    { "app near", "--dir A --link SOCKET [--op unlock|intercom|video] [--sn SN] [--from-escrow]",
      "at the door, over the direct link", NULL,
      (const cli_doc_opt[]){
          APP_DIR,
          { "link", "SOCKET", "the lock's near-field socket (D/near.sock of ward lock run)" },
          { "op", "unlock|intercom|video", "the operation (default unlock)" },
          APP_SN,
          ESCROW,
          END } },
    { "app revoke", "--dir A --user U [--sn SN] [--timeout S] [--from-escrow]",
      "remove a client from a lock, confirmed by the lock itself",
      "wardd relays the revocation to the lock (ward lock run), which applies it\n"
      "and answers; the command waits for that confirmation.",
      (const cli_doc_opt[]){
          APP_DIR,
          { "user", "U", "the user to remove" },
          APP_SN,
          { "timeout", "S", "seconds to wait for the lock's confirmation (default 60)" },
          ESCROW,
          END } },
    { "app gateways", "--dir A [--json]",
      "the gateways this account registered, and when their keys expire",
      "Warns (on standard error) for each gateway whose credentials expire\n"
      "within 15 days: registering it again rotates its keys.",
      (const cli_doc_opt[]){ APP_DIR, CLI_DOC_JSON, END } },
    { "app clients", "--dir A [--sn SN] [--json]", "a lock's clients as wardd records them", NULL,
      (const cli_doc_opt[]){ APP_DIR, APP_SN, CLI_DOC_JSON, END } },
    { "app audit", "--dir A [--sn SN] [--json]", "wardd's audit of a lock (owner, admin)", NULL,
      (const cli_doc_opt[]){ APP_DIR, APP_SN, CLI_DOC_JSON, END } },
    { "app forget", "--dir A --sn SN",
      "drop a binding begun with a lock and never finished",
      "For a binding wardd refused, or whose task expired, that the app still\n"
      "records (a warning names this command): the record and its key go. A\n"
      "lock the app is bound to is never dropped this way (ward app revoke).",
      (const cli_doc_opt[]){ APP_DIR, { "sn", "SN", "the lock the binding was begun with" },
          END } },
    { "app forget-key", "--dir A [--sn SN]",
      "keep no authorization key on this phone; answer from escrow", NULL,
      (const cli_doc_opt[]){ APP_DIR, APP_SN, END } },
    { "app pair",
      "--dir A --device ID [--near HOST:PORT] [--pin PIN] [--name APP] [--no-client-id] "
      "[--udidx HEX] [--no-attach] [--timeout MS]",
      "bind to an IoT device with the PIN it shows",
      "The device must be in a pairing window (ward device run). A registered\n"
      "app also attaches the device at wardd, for far-field commands.",
      (const cli_doc_opt[]){
          APP_DIR,
          { "device", "ID", "the device id" },
          { "near", "HOST:PORT", "the device's CoAP address (default 127.0.0.1:5683)" },
          { "pin", "PIN", "the PIN the device shows (else read from standard input)" },
          { "name", "APP", "this app's name the device records (default \"ward app\")" },
          { "no-client-id", NULL, "send no client id (an older app)" },
          { "udidx", "HEX", "the phone's device id, 1-64 bytes of hex (default: machine id)" },
          { "no-attach", NULL, "do not attach the device at wardd (near-field only)" },
          { "timeout", "MS", "milliseconds to wait for each answer (default 5000)" },
          END } },
    { "app send",
      "--dir A --device ID [--via near|far] [--near HOST:PORT] [--channel N] [--repeat N] "
      "[--timeout MS] CMD...",
      "a command to a paired device, print its reply",
      "A command that gets no answer is not sent blindly again: the channel is\n"
      "opened again to learn its fate. If the device restarted (it lost the\n"
      "channel), only an idempotent command (on, off, status, whoami, echo) is\n"
      "sent again; any other (toggle) fails with \"outcome unknown\", since it\n"
      "may have run before the restart.",
      (const cli_doc_opt[]){
          APP_DIR,
          { "device", "ID", "the paired device" },
          { "via", "near|far", "the link (default near if its address is known, else far)" },
          { "near", "HOST:PORT", "the device's CoAP address (default: the one paired at)" },
          { "channel", "N", "the secure channel's number (default 1)" },
          { "repeat", "N", "send the command N times (default 1)" },
          { "timeout", "MS", "milliseconds to wait for each answer (default 5000)" },
          END } },
    { "app discover", "--dir A [--scan HOST:PORT[-PORT]] [--json]",
      "devices on the LAN and in the cloud list", NULL,
      (const cli_doc_opt[]){
          APP_DIR,
          { "scan", "HOST:PORT[-PORT]", "addresses to probe (default 127.0.0.1:5683)" },
          CLI_DOC_JSON, END } },
    { "app provision",
      "--dir A --qr FILE.png --ssid S --psk P [--netns NAME] [--gateway-udp HOST:PORT] "
      "[--timeout S]",
      "hand a gateway the home network (flow C: SEARCH, then the sealed link)",
      "Finds the gateway of the QR code (ward gateway init) by a UDP broadcast,\n"
      "checks its answer with the QR code's secret, then hands it SSID and password\n"
      "over the sealed TCP link, waits for the join, registers the gateway with\n"
      "wardd when A holds an account (a claim to the gateway, its registration to\n"
      "wardd, the credentials sealed to it back; prints the tid) and commits. A\n"
      "wrong password leaves the gateway waiting for the next try: run again. On a\n"
      "gateway provisioned already its Wi-Fi is kept and its registration renewed\n"
      "(new keys; another account gets 'already bound'). The gateway is recorded\n"
      "in A/gateways/.",
      (const cli_doc_opt[]){
          APP_DIR,
          { "qr", "FILE.png", "the gateway's QR code" },
          { "ssid", "S", "the network to join" },
          { "psk", "P", "its password (8-64 bytes; empty for an open network)" },
          { "netns", "NAME", "run inside this network namespace (ip netns add NAME)" },
          { "gateway-udp", "HOST:PORT", "where SEARCH goes (default 255.255.255.255:10071)" },
          { "timeout", "S", "seconds to give the whole hand-over (default 20)" },
          END } },
    { NULL, NULL, NULL, NULL, NULL },
};
