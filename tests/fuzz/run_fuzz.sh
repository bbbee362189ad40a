#!/bin/sh
# Runs one libFuzzer binary for N seconds from its committed corpus and
# fails if it finds a crash. New inputs go to a temporary directory that is
# thrown away; the committed corpus is only read.
# Usage: run_fuzz.sh <fuzzer binary> <corpus dir> [seconds, default 20]
set -u
if [ $# -lt 2 ]; then
  echo "usage: $0 <fuzzer> <corpus dir> [seconds]" >&2
  exit 2
fi
bin=$1
corpus=$2
secs=${3:-20}
name=$(basename "$bin")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ward-fuzz.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
mkdir "$tmp/new" "$tmp/out"

seeds=0
if [ -d "$corpus" ]; then
  seeds=$(find "$corpus" -type f | wc -l | tr -d ' ')
  set -- "$tmp/new" "$corpus"
else
  echo "$name: no corpus at $corpus, starting empty" >&2
  set -- "$tmp/new"
fi

# The first directory receives new inputs, so the committed one comes
# second; crash files go to $tmp/out, not to the working directory.
"$bin" -max_total_time="$secs" -timeout=10 -print_final_stats=1 \
  -artifact_prefix="$tmp/out/" "$@" >"$tmp/log" 2>&1
rc=$?

runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/log" | tail -n 1)
cov=$(sed -n 's/^#[0-9]*.*cov: \([0-9]*\).*/\1/p' "$tmp/log" | tail -n 1)
new=$(find "$tmp/new" -type f | wc -l | tr -d ' ')

if [ "$rc" -ne 0 ] || [ -n "$(ls -A "$tmp/out")" ]; then
  # Keep the evidence: the crashing inputs and the log, beside the build.
  keep="$(pwd)/fuzz-artifacts/$name"
  mkdir -p "$keep"
  cp "$tmp/out"/* "$keep"/ 2>/dev/null
  cp "$tmp/log" "$keep/log.txt"
  tail -n 40 "$tmp/log"
  echo "$name: FAILED (exit $rc) after ${runs:-?} runs; inputs and log in $keep"
  exit 1
fi
echo "$name: ok, ${runs:-?} runs in ${secs}s, cov ${cov:-?}, $seeds seeds, $new new inputs (discarded)"
