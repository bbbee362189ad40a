#!/bin/sh
# `make demo`: the system end to end on one machine, as a person would see
# it. A manufacturer root and factory, wardd on a temporary SQLite file, a
# lock with a certificate chain that gets secure time from wardd, and a
# phone app: binding through the QR code and the SMS code,
# then a second phone recovering the keys from escrow; a lamp two apps share
# (flow D); a gateway provisioned and registered, and a sub-device joining
# it and talking through it (flow C, on loopback here:
# tests/e2e/test_gw_wire_e2e.py runs it across network namespaces); the
# lock updating its firmware from wardd (trial boot, confirm) and refusing
# an old release over a serial link; then, with wardd stopped, the lock and the gateway authenticating each other
# offline by certificate (issue 18, item 4).
set -eu
cd "$(dirname "$0")/.."
WARD="$PWD/build/cli/ward"
WARDD="$PWD/build/server/wardd"
DEMO=$(mktemp -d /tmp/ward-demo.XXXXXX)
WARDD_PID=""
cleanup() {
  [ -n "$WARDD_PID" ] && kill "$WARDD_PID" 2>/dev/null && wait "$WARDD_PID" 2>/dev/null
  rm -rf "$DEMO"
}
trap cleanup EXIT INT TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# The code of the last SMS in the outbox whose text matches $1.
sms_code() {
  grep -h "$1" "$DEMO"/outbox/*.json | tail -n 1 | grep -o 'code [0-9]\{6\}' | cut -d' ' -f2
}

# register DIR USER PHONE: the account, its phone verified by the code
# wardd texts to it (the first command says how to finish without a
# terminal to type the code into).
register() {
  "$WARD" app register --dir "$DEMO/$1" --server "$URL" --user "$2" --phone "$3" </dev/null \
    || true
  "$WARD" app register --dir "$DEMO/$1" --code "$(sms_code "verify phone for account $2\.")"
}

step "build self test: published vectors on both crypto backends"
"$WARD" selftest --backend all

step "the manufacturer makes its root and a factory key, and certifies the factory"
"$WARD" factory keygen --out "$DEMO/root"
"$WARD" factory keygen --out "$DEMO/factory"
"$WARD" factory cert --key "$DEMO/root/factory.key" --role factory --id factory-demo \
  --pub "$DEMO/factory/factory.pub" --out "$DEMO/factory/factory.cert"
"$WARD" fw keygen --out "$DEMO/release"

step "wardd starts on a fresh SQLite database (SMS go to an outbox directory)"
"$WARDD" --listen 127.0.0.1:0 --db "$DEMO/wardd.db" --sms-outbox "$DEMO/outbox" \
  --root-pub "$DEMO/root/factory.pub" --factory-pub "$DEMO/factory/factory.pub" \
  --release-pub "$DEMO/release/release.pub" 2>"$DEMO/wardd.log" &
WARDD_PID=$!
for _ in $(seq 50); do
  ADDR=$(grep -o 'event=listening addr=[0-9.:]*' "$DEMO/wardd.log" | cut -d= -f3 || true)
  [ -n "$ADDR" ] && break
  sleep 0.1
done
[ -n "$ADDR" ] || { cat "$DEMO/wardd.log"; exit 1; }
URL="http://$ADDR"
echo "wardd listening on $URL"

step "a lock comes off the line: identity key, certificate chain from the factory, checked by wardd"
"$WARD" lock init --dir "$DEMO/lock" --sn LOCK-0001 --server "$URL" \
  --factory-key "$DEMO/factory/factory.key" --factory-cert "$DEMO/factory/factory.cert" \
  --fw-class lock-k1 --release-pub "$DEMO/release/release.pub"
"$WARD" factory check --root "$DEMO/root/factory.pub" --chain "$DEMO/lock/identity.chain" \
  --role lock

step "the lock gets secure time: wardd signs the time over the lock's fresh nonce; expiries use it"
"$WARD" lock time --dir "$DEMO/lock" --time-key "$DEMO/wardd.db.timepub"

step "Alice installs the app on her phone; wardd texts a code to prove the number is hers"
register alice alice +8613800000001

step "at the lock, Alice types her phone number; the lock shows a QR code"
"$WARD" lock bind-start --dir "$DEMO/lock" --phone +8613800000001 --qr-out "$DEMO/qr.png"

step "Alice's app scans the QR code, seals the binding data and uploads it"
"$WARD" app scan --dir "$DEMO/alice" --qr "$DEMO/qr.png"

step "wardd sends the code by SMS (the outbox stands in for the SMS gateway)"
grep -h "binding lock" "$DEMO"/outbox/*.json
CODE=$(sms_code "binding lock")

step "Alice types the code into the lock; it fetches, verifies and stores the binding"
"$WARD" lock bind-finish --dir "$DEMO/lock" --code "$CODE"
"$WARD" app status --dir "$DEMO/alice"
"$WARD" lock clients --dir "$DEMO/lock"

step "Alice loses her phone: a new one recovers the lock's key from escrow"
"$WARD" app recover --dir "$DEMO/alice-new-phone" --from-key "$DEMO/alice/client.key"
# Compare without printing the secret itself.
old_key=$(grep -o '"auth_key":"[0-9a-f]*"' "$DEMO/alice/locks/LOCK-0001.json" | sha256sum)
new_key=$(grep -o '"auth_key":"[0-9a-f]*"' "$DEMO/alice-new-phone/locks/LOCK-0001.json" | sha256sum)
if [ "$old_key" = "$new_key" ]; then
  echo "the new phone holds the same authorization key as the old one"
else
  echo "recovered key differs" >&2; exit 1
fi

step "someone at the door presses unlock: the lock asks Alice's phone through wardd"
"$WARD" lock request --dir "$DEMO/lock" --op unlock --timeout 30 >"$DEMO/request.out" 2>&1 &
REQ_PID=$!
OP_ID=""
for _ in $(seq 100); do
  OP_ID=$("$WARD" app pending --dir "$DEMO/alice" | grep -o '^[0-9a-f]\{32\}' | head -n 1 || true)
  [ -n "$OP_ID" ] && break
  sleep 0.1
done
[ -n "$OP_ID" ] || { cat "$DEMO/request.out"; exit 1; }
"$WARD" app pending --dir "$DEMO/alice"

step "Alice allows it; the lock checks her approval with the key they share, and opens"
"$WARD" app approve --dir "$DEMO/alice" "$OP_ID"
wait "$REQ_PID"
cat "$DEMO/request.out"

step "the lock's own audit ring"
"$WARD" lock audit --dir "$DEMO/lock"

step "what wardd holds: ciphertext only"
echo "tasks:   $(sqlite3 "$DEMO/wardd.db" 'SELECT count(*) || " sealed blob(s), " || sum(length(blob)) || " bytes" FROM tasks;' 2>/dev/null || echo '(sqlite3 not installed)')"
echo "escrows: $(sqlite3 "$DEMO/wardd.db" 'SELECT count(*) || " escrow(s) sealed to client keys" FROM escrows;' 2>/dev/null || true)"

step "flow D: a lamp comes off the line; two apps on one phone will share it"
"$WARD" device init --dir "$DEMO/lamp" --id LAMP-0001 --server "$URL" \
  --factory-key "$DEMO/factory/factory.key" --name "Hall lamp"
LAMP_PORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$WARD" device run --dir "$DEMO/lamp" --listen "127.0.0.1:$LAMP_PORT" >"$DEMO/lamp.out" 2>&1 &
LAMP_PID=$!
trap 'kill "$LAMP_PID" 2>/dev/null || true; cleanup' EXIT INT TERM
for _ in $(seq 50); do grep -q "near coap://" "$DEMO/lamp.out" && break; sleep 0.1; done
register app-one bob +8613900000001 >/dev/null 2>&1
register app-two carol +8613900000002 >/dev/null 2>&1

step "both apps pair at once, in the pairing window the lamp opened at start; each types its PIN"
pins_before() { grep -c '^PIN: ' "$DEMO/lamp.out" || true; }
pair_app() {  # dir name: starts `ward app pair`, feeds it the next PIN shown
  n=$(pins_before)
  mkfifo "$DEMO/$2.pin"
  "$WARD" app pair --dir "$DEMO/$1" --device LAMP-0001 --near "127.0.0.1:$LAMP_PORT" \
    --name "$2" <"$DEMO/$2.pin" >"$DEMO/$2.pair" 2>&1 &
  exec 9>"$DEMO/$2.pin"
  for _ in $(seq 100); do [ "$(pins_before)" -gt "$n" ] && break; sleep 0.05; done
  grep '^PIN: ' "$DEMO/lamp.out" | tail -n 1 | cut -d' ' -f2 >&9
  exec 9>&-
}
pair_app app-one "app one"; P1=$!
pair_app app-two "app two"; P2=$!
wait "$P1" && wait "$P2" || { cat "$DEMO"/*.pair "$DEMO/lamp.out"; kill "$LAMP_PID"; exit 1; }
cat "$DEMO/app one.pair" "$DEMO/app two.pair"

step "each app drives its own encrypted channel, near-field (CoAP) and far-field (wardd)"
"$WARD" app send --dir "$DEMO/app-one" --device LAMP-0001 --via near whoami
"$WARD" app send --dir "$DEMO/app-two" --device LAMP-0001 --via near whoami
"$WARD" app send --dir "$DEMO/app-one" --device LAMP-0001 --via far on
"$WARD" app send --dir "$DEMO/app-two" --device LAMP-0001 --via far status
kill "$LAMP_PID" && wait "$LAMP_PID" || true
grep -v '^PIN: ' "$DEMO/lamp.out"

step "flow C: a gateway comes off the line; Bob's app hands it the Wi-Fi and registers it"
GW_PORTS=$(python3 -c 'import socket
u=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
t=socket.socket(); t.bind(("127.0.0.1", 0))
s=socket.socket(); s.bind(("127.0.0.1", 0))
print(u.getsockname()[1], t.getsockname()[1], s.getsockname()[1])')
GW_UDP=$(echo "$GW_PORTS" | cut -d' ' -f1)
GW_TCP=$(echo "$GW_PORTS" | cut -d' ' -f2)
GW_SUB=$(echo "$GW_PORTS" | cut -d' ' -f3)
"$WARD" gateway init --dir "$DEMO/hub" --mac 02:11:22:a3:b4:c5 --server "$URL" \
  --port "$GW_TCP" --factory-key "$DEMO/factory/factory.key"
echo "home correct-horse-battery" >"$DEMO/wifi.txt"
"$WARD" gateway run --dir "$DEMO/hub" --wifi "$DEMO/wifi.txt" --udp-port "$GW_UDP" \
  --heartbeat 1 --sub-port "$GW_SUB" --sub-factory "$DEMO/factory/factory.pub" \
  >"$DEMO/hub.out" 2>&1 &
HUB_PID=$!
SENSOR_PID=""
trap 'kill "$HUB_PID" $SENSOR_PID 2>/dev/null || true; cleanup' EXIT INT TERM
for _ in $(seq 50); do grep -q "listening" "$DEMO/hub.out" && break; sleep 0.1; done
"$WARD" app provision --dir "$DEMO/app-one" --qr "$DEMO/hub/qr.png" --ssid home \
  --psk correct-horse-battery --gateway-udp "127.0.0.1:$GW_UDP"
for _ in $(seq 100); do grep -q "^online tid=" "$DEMO/hub.out" && break; sleep 0.1; done
grep -q "^online tid=" "$DEMO/hub.out" || { cat "$DEMO/hub.out"; exit 1; }
"$WARD" app gateways --dir "$DEMO/app-one"

step "flow C: a door sensor joins the gateway in the window its owner opens, and reports"
"$WARD" subdevice init --dir "$DEMO/sensor" --factory-key "$DEMO/factory/factory.key"
# The sensor's reports come from a pipe: one line now, the end after the echo.
mkfifo "$DEMO/sensor.in"
"$WARD" subdevice run --dir "$DEMO/sensor" --gateway "127.0.0.1:$GW_SUB" --join-wait 30 \
  <"$DEMO/sensor.in" >"$DEMO/sensor.out" 2>&1 &
SENSOR_PID=$!
exec 3>"$DEMO/sensor.in"
for _ in $(seq 100); do grep -q "waiting for the gateway's join window" "$DEMO/sensor.out" \
  && break; sleep 0.1; done
"$WARD" gateway subdevices --dir "$DEMO/hub" --open 60
for _ in $(seq 100); do grep -q "channel open" "$DEMO/sensor.out" && break; sleep 0.1; done
echo "door: closed" >&3
for _ in $(seq 100); do grep -q "^data: echo: door: closed" "$DEMO/sensor.out" && break
  sleep 0.1; done
exec 3>&-
wait "$SENSOR_PID" || { cat "$DEMO/sensor.out"; exit 1; }
SENSOR_PID=""
cat "$DEMO/sensor.out"
"$WARD" gateway subdevices --dir "$DEMO/hub"
grep -q "data: door: closed" "$DEMO/hub.out" || { cat "$DEMO/hub.out"; exit 1; }
kill "$HUB_PID" && wait "$HUB_PID" || true
cat "$DEMO/hub.out"

step "the vendor signs firmware 1.1 and publishes it; the lock downloads it from wardd"
head -c 65536 /dev/urandom >"$DEMO/fw-1.1.bin"
"$WARD" fw sign --key "$DEMO/release/release.key" --image "$DEMO/fw-1.1.bin" --class lock-k1 \
  --version 1.1 --counter 2 --out "$DEMO/fw-1.1.manifest"
"$WARD" fw publish --server "$URL" --manifest "$DEMO/fw-1.1.manifest" --image "$DEMO/fw-1.1.bin"
"$WARD" lock update --dir "$DEMO/lock"
step "the lock boots 1.1 on trial; it confirms itself, and only then the counter rises"
"$WARD" lock boot --dir "$DEMO/lock"
step "an old release replayed over a serial link (a Unix socket) is refused; 1.1 runs on"
"$WARD" fw sign --key "$DEMO/release/release.key" --image "$DEMO/fw-1.1.bin" --class lock-k1 \
  --version 1.0 --counter 1 --out "$DEMO/fw-1.0.manifest" >/dev/null
"$WARD" fw serve --link "$DEMO/fw.sock" --manifest "$DEMO/fw-1.0.manifest" \
  --image "$DEMO/fw-1.1.bin" >"$DEMO/fw-serve.out" 2>&1 &
FW_PID=$!
for _ in $(seq 50); do [ -S "$DEMO/fw.sock" ] && break; sleep 0.1; done
if "$WARD" lock update --dir "$DEMO/lock" --link "$DEMO/fw.sock"; then
  echo "the old release was taken" >&2; exit 1
fi
"$WARD" lock boot --dir "$DEMO/lock"
kill "$FW_PID" && wait "$FW_PID" || true
step "offline: wardd stops; the lock and the gateway authenticate each other by certificate"
kill "$WARDD_PID" && wait "$WARDD_PID" 2>/dev/null || true
WARDD_PID=""
for who in "lock LOCK-0001 lock" "hub hub-0001 gateway"; do
  set -- $who
  "$WARD" peer init --dir "$DEMO/$1" >/dev/null
  "$WARD" factory cert --key "$DEMO/factory/factory.key" --role "$3" --id "$2" \
    --pub "$DEMO/$1/peer.pub" --out "$DEMO/$1.chain" >/dev/null
  "$WARD" peer init --dir "$DEMO/$1" --root "$DEMO/factory/factory.pub" --cert "$DEMO/$1.chain"
done
# The lock listens on a byte stream (a Unix socket standing in for a UART).
"$WARD" peer listen --dir "$DEMO/lock" --listen "unix:$DEMO/lock.uart" --allow gateway \
  --once >"$DEMO/peer.out" 2>&1 &
PEER_PID=$!
for _ in $(seq 100); do grep -q "listening on" "$DEMO/peer.out" && break; sleep 0.1; done
"$WARD" peer connect --dir "$DEMO/hub" --to "unix:$DEMO/lock.uart" --allow lock --then whoami
wait "$PEER_PID" || { cat "$DEMO/peer.out"; exit 1; }
cat "$DEMO/peer.out"

step "done"
