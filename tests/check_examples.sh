#!/bin/sh
# Builds examples/ against an installed ward with nothing but
# `pkg-config --cflags --libs ward` (no --static, no extra flags) and runs
# them against a real wardd started here (the installed one, a factory key
# made here): the example app registers and uploads the bind data, the
# example lock (one long-running process fed events on a FIFO) binds,
# confirms, asks to unlock, and applies a revocation; the `ward` CLI plays
# the factory and the app's approval. Effects are asserted: the binding
# on both sides, the door opened exactly once, the client gone.
set -eu
build="$1"
examples="$2"
prefix=$(mktemp -d)
wardd_pid=""
lock_pid=""
cleanup() {
  exec 3>&- 2>/dev/null || true
  [ -z "$lock_pid" ] || kill "$lock_pid" 2>/dev/null || true
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
  for f in lock.out wardd.log; do [ ! -f "$f" ] || { echo "--- $f" >&2; tail -20 "$f" >&2; }; done
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
# The code of the last SMS in wardd's outbox whose text matches $1.
sms_code() {
  python3 - "$1" <<'EOF'
import json, os, re, sys
code = None
for n in sorted(os.listdir("outbox")):
    if not n.startswith("."):
        text = json.load(open(os.path.join("outbox", n)))["text"]
        if re.search(sys.argv[1], text):
            code = re.search(r"\b(\d{6})\b", text).group(1)
print(code or "")
EOF
}
PHONE=+8613800000000

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
code=$(sms_code 'verify phone for account alice')
[ -n "$code" ] || fail "no phone code in the outbox"
out=$(./app verify alice "$code") || fail "app verify: $out"

# The lock: one process, its state opened once, events on a FIFO.
mkfifo lock.in
./lock lockdir <lock.in >lock.out 2>&1 &
lock_pid=$!
exec 3>lock.in
await '^lock LOCK-EX-1 at ' lock.out 10

# Flow A: the lock shows its QR code, the app scans it and uploads, wardd
# texts the bind code, the user types it on the lock's keypad.
echo "bind $PHONE" >&3
await '^(qr|error) ' lock.out 10
qr=$(sed -n 's/^qr //p' lock.out)
[ -n "$qr" ] || fail "the lock showed no QR code"
out=$(./app bind alice "$qr") || fail "app bind: $out"
task=$(echo "$out" | sed -n 's/^uploaded LOCK-EX-1 \([0-9a-f]*\)$/\1/p')
[ -n "$task" ] || fail "app bind: $out"
code=$(sms_code 'binding lock')
[ -n "$code" ] || fail "no bind code in the outbox"
echo "code 000000" >&3   # a wrong code first: refused, the binding goes on
echo "code $code" >&3
await '^(bound|error) ' lock.out 30
grep -q '^code wrong' lock.out || fail "the lock took a wrong code"
grep -q '^bound alice as owner$' lock.out || fail "the lock did not bind alice"
out=$(./app wait alice LOCK-EX-1 "$task") || fail "app wait: $out"
[ "$out" = "bound LOCK-EX-1 as owner" ] || fail "app says: $out"

# Flow B: the button asks the apps; alice approves; the door opens once.
echo "button" >&3
i=0
op=""
while [ -z "$op" ]; do
  i=$((i + 1))
  [ "$i" -le 100 ] || fail "alice was never asked to unlock"
  op=$("$ward" app pending --dir alice | sed -n 's/^\([0-9a-f]\{32\}\)  lock .* asks to unlock.*/\1/p')
  [ -n "$op" ] || sleep 0.1
done
"$ward" app approve --dir alice "$op" >/dev/null || fail "ward app approve"
await '^(unlocked|denied|error) ' lock.out 30
# The same approval sent again changes nothing at the lock.
"$ward" app approve --dir alice "$op" >/dev/null 2>&1 || true
exec 3>&-
wait "$lock_pid" || true   # it exits 1: the wrong code was an event that failed
lock_pid=""
! grep -q '^error' lock.out || fail "the lock example failed"
[ "$(grep -c '^unlocked by alice$' lock.out)" = 1 ] || fail "the door did not open exactly once"
"$ward" lock clients --dir lockdir | grep -Eq '^\s+alice\s+owner\s' \
  || fail "the lock's store has no alice as owner"
echo "examples: the lock and the app bound through wardd, one approval opened the door once"
