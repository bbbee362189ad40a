#!/bin/sh
# Builds examples/ against an installed ward with nothing but
# `pkg-config --cflags --libs ward` (no --static, no extra flags) and runs
# them together: the lock example shows a QR code, the app example makes
# the upload, this script plays wardd (hands over the code and the blob,
# relays the confirmation), and the app checks it and records the lock.
set -eu
build="$1"
examples="$2"
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
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
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
fail() { echo "check_examples: $*" >&2; exit 1; }

out=$(echo "bind +8613800000000" | ./lock store LOCK-EX-1) || fail "lock bind: $out"
pub=$(echo "$out" | sed -n 's/^lock LOCK-EX-1 pub \([0-9a-f]*\)$/\1/p')
qr=$(echo "$out" | sed -n 's/^qr //p')
[ -n "$pub" ] && [ -n "$qr" ] || fail "lock printed no key or QR: $out"

./app new appdir alice +8613800000000 http://127.0.0.1:1 >/dev/null
out=$(./app bind appdir "$qr") || fail "app bind: $out"
upload=$(echo "$out" | sed -n 's/^upload //p')
code=$(field "$upload" code)
blob=$(field "$upload" blob)

# A new process on the same store: the binding survived the "power cut".
out=$(printf 'code 000000\ncode %s\nblob %s\nclients\n' "$code" "$blob" | ./lock store LOCK-EX-1) \
  || fail "lock: $out"
echo "$out" | grep -q '^code ok$' || fail "lock refused the code: $out"
confirm=$(echo "$out" | sed -n 's/^confirm //p')
[ -n "$confirm" ] || fail "lock made no confirmation: $out"
echo "$out" | grep -q '^client alice 0$' || fail "lock does not list alice as owner: $out"

out=$(./app bound appdir "$pub" "$confirm") || fail "app bound: $out"
[ "$out" = "bound LOCK-EX-1 as owner" ] || fail "app says: $out"
# A confirmation checked against another lock's key is refused.
other=$(echo | ./lock store2 LOCK-EX-2 | sed -n 's/^lock LOCK-EX-2 pub //p')
if ./app bound appdir "$other" "$confirm" >/dev/null; then fail "app took a confirmation another key signed"; fi
echo "examples: lock and app bound through the installed ward.pc"
