#!/bin/sh
# Builds examples/ against an installed ward with nothing but
# `pkg-config --cflags --libs ward` (no --static, no extra flags) and runs
# them against a real wardd started here (the installed one, a factory key
# made here): the example app registers and uploads the bind data, the
# example lock (one long-running process fed events on a FIFO) binds,
# confirms, asks to unlock, and applies a revocation; the `ward` CLI plays
# the factory and the app's approval and revocation. Effects are
# asserted: the binding on both sides, the door opened exactly once, the
# client gone from the lock's store.
set -eu
build="$1"
examples="$2"
prefix=$(mktemp -d)
wardd_pid=""
lock_pid=""
proxy_pid=""
cleanup() {
  exec 3>&- 2>/dev/null || true
  [ -z "$lock_pid" ] || kill "$lock_pid" 2>/dev/null || true
  [ -z "$proxy_pid" ] || kill "$proxy_pid" 2>/dev/null || true
  [ -z "$wardd_pid" ] || kill "$wardd_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$prefix"
}
trap cleanup EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
PKG_CONFIG_PATH="$(dirname "$(find "$prefix" -name ward.pc)")"
export PKG_CONFIG_PATH
for ex in lock app; do
  lines=$(wc -l <"$examples/$ex.c")
  [ "$lines" -lt 150 ] || { echo "examples/$ex.c has $lines lines (the limit is 149)" >&2; exit 1; }
  cc -std=c99 -Wall -Wextra -Werror "$examples/$ex.c" $(pkg-config --cflags --libs ward) \
     -o "$prefix/$ex"
done
cd "$prefix"
ward="$prefix/bin/ward"
fail() {
  echo "check_examples: $*" >&2
  for f in lock1.out lock2.out lock3.out revoke.out proxy.log wardd.log; do [ ! -f "$f" ] || { echo "--- $f" >&2; tail -20 "$f" >&2; }; done
  exit 1
}
# Waits up to $3 s for a line matching the extended regex $1 in file $2.
await() {
  i=0
  while ! grep -Eq "$1" "$2" 2>/dev/null; do
    i=$((i + 1))
    [ "$i" -le $(($3 * 10)) ] || fail "no line matching '$1' in $2 within $3 s"
    sleep 0.1
  done
}
# The code of the last SMS in wardd's outbox to phone $2 whose text matches $1.
sms_code() {
  python3 - "$1" "$2" <<'EOF'
import json, os, re, sys
code = None
for n in sorted(os.listdir("outbox")):
    if not n.startswith("."):
        sms = json.load(open(os.path.join("outbox", n)))
        text = sms["text"]
        if re.search(sys.argv[1], text) and sms["phone"] == sys.argv[2]:
            code = re.search(r"\b(\d{6})\b", text).group(1)
print(code or "")
EOF
}
PHONE=+8613800000000
BOB=+8613800000002

# The factory key, and wardd trusting it.
"$ward" factory keygen --out factory >/dev/null
mv factory/factory.pub factory.pub
"$prefix/bin/wardd" --listen 127.0.0.1:0 --db wardd.db --sms-outbox outbox \
  --factory-pub factory.pub 2>wardd.log &
wardd_pid=$!
await 'event=listening addr=127\.0\.0\.1:[0-9]+' wardd.log 10
url="http://$(sed -n 's/.*event=listening addr=\(127\.0\.0\.1:[0-9]*\).*/\1/p' wardd.log | head -1)"

# The factory makes the lock's state directory and activates it at wardd.
"$ward" lock init --dir lockdir --sn LOCK-EX-1 --server "$url" \
  --factory-key factory/factory.key >/dev/null || fail "ward lock init"

# The app's account, its phone verified with the code wardd texted.
out=$(./app new alice alice "$PHONE" "$url") || fail "app new: $out"
code=$(sms_code 'verify phone for account alice' "$PHONE")
[ -n "$code" ] || fail "no phone code in the outbox"
out=$(./app verify alice "$code") || fail "app verify: $out"

# The lock: one process, its state opened once, events on a FIFO; each
# phase a new process on the same state (as after a power cut). $2 and $3:
# another lock's state directory and serial number.
mkfifo lock.in
start_lock() {
  out="$1"
  ./lock "${2:-lockdir}" <lock.in >"$out" 2>&1 &
  lock_pid=$!
  exec 3>lock.in
  await "^lock ${3:-LOCK-EX-1} at " "$out" 10
}
# Ends the lock (end of input); lock_rc: its exit status (1 when an event
# failed), and no sanitizer report when built with one.
stop_lock() {
  exec 3>&-
  lock_rc=0
  wait "$lock_pid" || lock_rc=$?
  lock_pid=""
  ! grep -Eq 'Sanitizer|runtime error' "$1" || fail "the lock example: sanitizer report in $1"
}
# alice says yes to the request the lock made, pending at wardd.
alice_approves() {
  i=0
  op=""
  while [ -z "$op" ]; do
    i=$((i + 1))
    [ "$i" -le 100 ] || fail "alice was never asked to $1"
    op=$("$ward" app pending --dir alice | sed -n "s/^\([0-9a-f]\{32\}\)  lock .* asks to $1.*/\1/p")
    [ -n "$op" ] || sleep 0.1
  done
  "$ward" app approve --dir alice "$op" >/dev/null || fail "ward app approve"
}
# Flow A for app $1 (phone $2) on the running lock, its output in $3.
bind_app() {
  await '^(qr|error) ' "$3" 40
  qr=$(sed -n 's/^qr //p' "$3")
  [ -n "$qr" ] || fail "the lock showed no QR code"
  out=$(./app bind "$1" "$qr") || fail "app bind: $out"
  task=$(echo "$out" | sed -n 's/^uploaded LOCK-EX-1 \([0-9a-f]*\)$/\1/p')
  [ -n "$task" ] || fail "app bind: $out"
  code=$(sms_code "binding lock" "$2")
  [ -n "$code" ] || fail "no bind code in the outbox"
  echo "code $code" >&3
  await '^(bound|error) ' "$3" 30
  out=$(./app wait "$1" LOCK-EX-1 "$task") || fail "app wait: $out"
  echo "$out"
}

# Flow A: the lock shows its QR code, the app scans it and uploads, wardd
# texts the bind code, the user types it on the lock's keypad (a wrong
# code first: refused, the binding goes on).
start_lock lock1.out
echo "bind $PHONE" >&3
echo "code 000000" >&3
out=$(bind_app alice "$PHONE" lock1.out)
[ "$out" = "bound LOCK-EX-1 as owner" ] || fail "app alice says: $out"
grep -q '^code wrong' lock1.out || fail "the lock took a wrong code"
grep -q '^bound alice as owner$' lock1.out || fail "the lock did not bind alice"

# Flow B: the button asks the apps; alice approves; the door opens once,
# and the same approval sent again changes nothing.
echo "button" >&3
alice_approves unlock
await '^(unlocked|denied|error) ' lock1.out 30
"$ward" app approve --dir alice "$op" >/dev/null 2>&1 || true
stop_lock lock1.out   # exits 1: the wrong code was an event that failed
[ "$(grep -c '^unlocked by alice$' lock1.out)" = 1 ] || fail "the door did not open exactly once"
! grep -q '^error' lock1.out || fail "the lock example failed"
"$ward" lock clients --dir lockdir | grep -Eq '^\s+alice\s+owner\s' \
  || fail "the lock's store has no alice as owner"

# A second app: the lock asks its owner first. Then alice revokes bob; the
# lock's inbox round applies the REVOKE and acknowledges it, with the
# result wardd hands back to alice.
out=$(./app new bob bob "$BOB" "$url") || fail "app new: $out"
out=$(./app verify bob "$(sms_code 'verify phone for account bob' "$BOB")") || fail "app verify: $out"
start_lock lock2.out
echo "bind $BOB" >&3
alice_approves "add client"
out=$(bind_app bob "$BOB" lock2.out)
[ "$out" = "bound LOCK-EX-1 as member" ] || fail "app bob says: $out"
grep -q '^allowed by alice$' lock2.out || fail "the lock did not ask alice"
grep -q '^bound bob as member$' lock2.out || fail "the lock did not bind bob"
"$ward" app revoke --dir alice --user bob --timeout 30 >revoke.out 2>&1 &
revoke_pid=$!
# A timer tick a second, as firmware would: each a short inbox round.
i=0
while ! grep -Eq '^(revoke|error)' lock2.out; do
  i=$((i + 1))
  [ "$i" -le 40 ] || fail "no revocation reached the lock within 40 syncs"
  echo "sync" >&3
  sleep 1
done
grep -q '^revoke bob: done$' lock2.out || fail "the lock did not apply the revocation"
wait "$revoke_pid" || { cat revoke.out >&2; fail "ward app revoke got no confirmation"; }
stop_lock lock2.out
[ "$lock_rc" = 0 ] && ! grep -q '^error' lock2.out || fail "the lock example failed"
clients=$("$ward" lock clients --dir lockdir)
echo "$clients" | grep -Eq '^\s+alice\s+owner\s' || fail "alice is gone: $clients"
if echo "$clients" | grep -Eq '^\s+bob\s'; then fail "the lock still lists bob: $clients"; fi

# A confirmation whose answer was lost (a relay in between answers 503 to
# it) is kept by the lock and sent again at the next sync, which wardd
# then records; and a sync waits 1 s at most, so the next event is read at
# once (no 30 s long-poll holding the main loop).
python3 - "$examples/../tests/e2e" "$url" >proxy.url 2>proxy.log <<'EOF' &
import os, sys, time
sys.path.insert(0, sys.argv[1])
import wardlib
proxy = wardlib.HostileProxy(sys.argv[2])
proxy.on_request = lambda method, path, body: (
    (503, wardlib.DOWN) if method == "POST" and path.startswith("/v1/bind/confirm")
    and os.path.exists("confirm.down") else None)
print(proxy.url, flush=True)
while True:
    time.sleep(1)
EOF
proxy_pid=$!
await '^http://' proxy.url 10
"$ward" lock init --dir lockdir2 --sn LOCK-EX-2 --server "$(head -1 proxy.url)" \
  --factory-key factory/factory.key >/dev/null || fail "ward lock init (LOCK-EX-2)"
touch confirm.down
start_lock lock3.out lockdir2 LOCK-EX-2
echo "bind $PHONE" >&3
await '^(qr|error) ' lock3.out 40
qr=$(sed -n 's/^qr //p' lock3.out)
[ -n "$qr" ] || fail "LOCK-EX-2 showed no QR code"
out=$(./app bind alice "$qr") || fail "app bind: $out"
task=$(echo "$out" | sed -n 's/^uploaded LOCK-EX-2 \([0-9a-f]*\)$/\1/p')
[ -n "$task" ] || fail "app bind: $out"
code=$(sms_code "binding lock LOCK-EX-2 " "$PHONE")
[ -n "$code" ] || fail "no bind code for LOCK-EX-2 in the outbox"
echo "code $code" >&3
await '^(bound|error) ' lock3.out 30
grep -q '^error confirm: wardd refused (503' lock3.out || fail "the lost confirmation was not said"
! grep -q '^bound' lock3.out || fail "LOCK-EX-2 bound with no answer from wardd"
rm confirm.down
echo "sync" >&3
await '^(bound|error wardd refused)' lock3.out 10
grep -q '^bound alice as owner$' lock3.out || fail "the sync did not send the confirmation again"
out=$(./app wait alice LOCK-EX-2 "$task") || fail "app wait: $out"
[ "$out" = "bound LOCK-EX-2 as owner" ] || fail "app alice says: $out"
echo "sync" >&3
echo "ping" >&3
await '^error unknown event ping$' lock3.out 5
stop_lock lock3.out   # exits 1: the lost confirmation and the ping were events that failed
"$ward" lock clients --dir lockdir2 | grep -Eq '^\s+alice\s+owner\s' \
  || fail "LOCK-EX-2's store has no alice as owner"
echo "examples: lock and apps bound through wardd, one approval opened the door once," \
     "a second app allowed by the owner, then revoked; a lost confirmation sent again"
