#!/bin/sh
# Instructions per ward_op_lock_accept on each crypto backend, counted by
# callgrind (only the accept calls are collected; the app's seal, the
# binding and the timing code are not).
#   bench/callgrind.sh [BUILD_DIR] [N]      (default build/, 100 approvals)
set -eu
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
N="${2:-100}"
BENCH="$BUILD/bench/bench_approval_lock"
[ -x "$BENCH" ] || { echo "callgrind: $BENCH not built" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "callgrind: valgrind not installed" >&2; exit 1; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ward-callgrind.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM
valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file="$TMP/cg.%p" \
  "$BENCH" --iterations "$N" >"$TMP/out.txt" 2>"$TMP/valgrind.txt"
# One dump per backend, named by the bench (CALLGRIND_DUMP_STATS_AT).
for f in "$TMP"/cg.*; do
  name=$(sed -n 's/^desc: Trigger: Client Request: //p' "$f" | head -n 1)
  ir=$(sed -n 's/^summary: //p' "$f" | head -n 1)
  [ -n "$name" ] && [ -n "$ir" ] || continue
  echo "$name: $((ir / N)) instructions per ward_op_lock_accept ($ir over $N approvals)"
done
