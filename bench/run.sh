#!/bin/sh
# Flow B benchmarks: the lock's bytes and CPU per approval (both crypto
# backends), wardd's signed time answers per second (software keystore,
# SoftHSM2 token), then wardd's relay rate against the ECDSA verify rate, with
# wardd on a fresh SQLite file on 127.0.0.1, port 0. Then flow C: the
# whole gateway provisioning's round trips and bytes, and gateway logins
# and session packets per second through the same wardd, beside
# mosquitto (started here, its own process and config in the temp dir,
# pinned like wardd) relaying the same bytes; no mosquitto, no broker
# phase (said so).
#   bench/run.sh [--quick] [BUILD_DIR]     (default build/; builds nothing)
# With two CPUs or more wardd is pinned to CPU 0 and the load generator to
# CPU 1 (taskset), and the verify loop runs on CPU 0 while wardd is idle.
# --quick: a couple of seconds per phase, for `make check`. The goals are
# printed, never asserted: only a failing bench (a refused request, a
# wrong answer) makes this exit non-zero.
# WARD_BENCH_RELAYS_ONLY=1: no lock bench, and one relay phase after the
# line "relays start now" (attach strace or perf to wardd there).
# WARD_BENCH_GATEWAYS_ONLY=1: flow C only (no lock bench, no relay phases).
# Last, firmware serving (bench/fw_serve.py, its own wardd): image MB/s
# through wardd against python3 -m http.server, and 64 KiB ranges.
set -eu
cd "$(dirname "$0")/.."
QUICK=0
BUILD=build
for a in "$@"; do
  case "$a" in
    --quick) QUICK=1 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) BUILD="$a" ;;
  esac
done
LOCK_BENCH="$BUILD/bench/bench_approval_lock"
RELAY_BENCH="$BUILD/bench/bench_relay"
GW_BENCH="$BUILD/bench/bench_gateways"
TIME_BENCH="$BUILD/bench/bench_time_sign"
WARDD="$BUILD/server/wardd"
for f in "$LOCK_BENCH" "$RELAY_BENCH" "$GW_BENCH" "$TIME_BENCH" "$WARDD"; do
  [ -x "$f" ] || { echo "bench: $f not built (cmake --build $BUILD)" >&2; exit 1; }
done
if [ "$QUICK" = 1 ]; then
  SECONDS_PER_PHASE=2; PAIRS=8; WORKERS=4; LOCK_ARGS=--quick; GATEWAYS=96
else
  SECONDS_PER_PHASE="${WARD_BENCH_SECONDS:-10}"; PAIRS=32; WORKERS=8; LOCK_ARGS=; GATEWAYS=400
fi

PIN_WARDD=""; PIN_GEN=""; VERIFY_CPU=-1
if command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ]; then
  PIN_WARDD="taskset -c 0"; PIN_GEN="taskset -c 1"; VERIFY_CPU=0
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ward-bench.XXXXXX")
WARDD_PID=""
MQTT_PID=""
cleanup() {
  for pid in $WARDD_PID $MQTT_PID; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

RELAYS_ONLY="${WARD_BENCH_RELAYS_ONLY:-0}"
GATEWAYS_ONLY="${WARD_BENCH_GATEWAYS_ONLY:-0}"
[ "$RELAYS_ONLY" = 1 ] || [ "$GATEWAYS_ONLY" = 1 ] || "$LOCK_BENCH" $LOCK_ARGS
# Offline peer authentication (issue 18, item 4): bytes per message against EDHOC's.
[ "$RELAYS_ONLY" = 1 ] || [ "$GATEWAYS_ONLY" = 1 ] || "$BUILD/bench/bench_peer" $LOCK_ARGS
[ "$RELAYS_ONLY" = 1 ] || [ "$GATEWAYS_ONLY" = 1 ] || "$TIME_BENCH" $LOCK_ARGS
# Issue 18, item 3: update verification cost per KB on both backends.
FW_BENCH="$BUILD/bench/bench_fw_update"
if [ "$RELAYS_ONLY" != 1 ] && [ "$GATEWAYS_ONLY" != 1 ]; then
  if [ -x "$FW_BENCH" ]; then "$FW_BENCH" $LOCK_ARGS; else echo "bench: $FW_BENCH not built"; fi
fi

"$RELAY_BENCH" factory "$TMP"
# shellcheck disable=SC2086
$PIN_WARDD "$WARDD" --listen 127.0.0.1:0 --db "$TMP/wardd.db" --sms-outbox "$TMP/outbox" \
  --factory-pub "$TMP/factory.pub" --sms-per-addr 1000000 --sms-per-phone 1000 \
  --gw-logins-per-addr 1000000 \
  --max-connections 256 2>"$TMP/wardd.log" &
WARDD_PID=$!
ADDR=""
i=0
while [ $i -lt 200 ]; do
  ADDR=$(sed -n 's/.*event=listening addr=\([0-9.]*:[0-9]*\).*/\1/p' "$TMP/wardd.log" | head -n 1)
  [ -n "$ADDR" ] && break
  kill -0 "$WARDD_PID" 2>/dev/null || { cat "$TMP/wardd.log" >&2; echo "bench: wardd exited" >&2; exit 1; }
  sleep 0.05
  i=$((i + 1))
done
[ -n "$ADDR" ] || { echo "bench: wardd did not log its address" >&2; exit 1; }
echo "wardd on $ADDR (pid $WARDD_PID${PIN_WARDD:+, CPU 0}), SQLite $TMP/wardd.db"

# shellcheck disable=SC2086
if [ "$GATEWAYS_ONLY" != 1 ] && ! $PIN_GEN "$RELAY_BENCH" run --url "http://$ADDR" --factory "$TMP" --pairs "$PAIRS" \
    --workers "$WORKERS" --seconds "$SECONDS_PER_PHASE" --verify-cpu "$VERIFY_CPU" \
    --wardd-pid "$WARDD_PID" --relays-only "$RELAYS_ONLY"; then
  echo "bench: the relay bench failed; last lines of the wardd log:" >&2
  tail -n 20 "$TMP/wardd.log" >&2
  exit 1
fi

[ "$RELAYS_ONLY" = 1 ] && exit 0

# Flow C. mosquitto cannot take port 0: a port the kernel just gave out.
"$GW_BENCH" prov
MOSQUITTO="${MOSQUITTO:-$(command -v mosquitto || echo /usr/sbin/mosquitto)}"
MQTT_ARGS=""
if [ -x "$MOSQUITTO" ]; then
  MQTT_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\nlog_dest stderr\n' \
    "$MQTT_PORT" >"$TMP/mosquitto.conf"
  # shellcheck disable=SC2086
  $PIN_WARDD "$MOSQUITTO" -c "$TMP/mosquitto.conf" 2>"$TMP/mosquitto.log" &
  MQTT_PID=$!
  MQTT_ARGS="--mqtt-port $MQTT_PORT --mqtt-pid $MQTT_PID"
  echo "mosquitto on 127.0.0.1:$MQTT_PORT (pid $MQTT_PID${PIN_WARDD:+, CPU 0})"
else
  echo "bench: no mosquitto ($MOSQUITTO; make deps installs it): the broker phases are skipped"
fi
# shellcheck disable=SC2086
if ! $PIN_GEN "$GW_BENCH" run --url "http://$ADDR" --factory "$TMP" --gateways "$GATEWAYS" \
    --workers "$WORKERS" --seconds "$SECONDS_PER_PHASE" --wardd-pid "$WARDD_PID" $MQTT_ARGS; then
  echo "bench: the gateway bench failed; last lines of the wardd and mosquitto logs:" >&2
  tail -n 20 "$TMP/wardd.log" >&2
  [ -f "$TMP/mosquitto.log" ] && tail -n 5 "$TMP/mosquitto.log" >&2
  exit 1
fi

# Firmware serving (issue 18, item 3): its own wardd, after the others stopped using CPU 0.
if [ "$QUICK" = 1 ]; then
  python3 bench/fw_serve.py --quick "$BUILD"
else
  python3 bench/fw_serve.py "$BUILD"
fi
