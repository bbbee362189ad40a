#!/bin/sh
# Size report of the device core for a Cortex-M4 (arm-none-eabi-gcc and
# newlib from Debian, -Os -mcpu=cortex-m4 -mthumb): flash (.text+.rodata)
# and RAM (.data+.bss) of ward_core alone (the crypto library is behind
# the port and not counted), and the largest stack frame (-fstack-usage).
# Every object of core/ is counted, so this is the cost of linking all of
# it; a firmware that uses fewer modules pays less after --gc-sections.
set -eu
cd "$(dirname "$0")/.."
CC="${ARM_CC:-arm-none-eabi-gcc}"
SIZE="${ARM_SIZE:-arm-none-eabi-size}"
OUT="${SIZE_OUT:-build-size}"
CFLAGS="-std=c99 -Os -mcpu=cortex-m4 -mthumb -ffunction-sections -fdata-sections
 -ffreestanding -fstack-usage -Wall -Wextra -Wconversion -Wshadow -pedantic -Werror
 -Iinclude -Icore"

command -v "$CC" >/dev/null || { echo "size: $CC not found (make deps)" >&2; exit 1; }
rm -rf "$OUT"
mkdir -p "$OUT"

objs=""
for src in $(find core -name '*.c' | sort); do
  obj="$OUT/$(echo "$src" | tr '/' '_' | sed 's/\.c$/.o/')"
  # shellcheck disable=SC2086
  "$CC" $CFLAGS -c "$src" -o "$obj"
  objs="$objs $obj"
done

# shellcheck disable=SC2086
"$SIZE" -A $objs | awk -v out="$OUT" '
  $1 ~ /^\.text/ || $1 ~ /^\.rodata/ { flash += $2 }
  $1 ~ /^\.data/                     { flash += $2; ram += $2 }
  $1 ~ /^\.bss/ || $1 ~ /^COMMON/    { ram += $2 }
  END {
    printf "ward_core on Cortex-M4 (-Os, thumb): flash %d bytes (.text+.rodata+.data init), RAM %d bytes (.data+.bss)\n", flash, ram
  }'

# Per module, so growth is easy to place.
for dir in $(find core -mindepth 1 -maxdepth 1 -type d | sort) core; do
  mod=$(echo "$dir" | tr '/' '_')
  if [ "$dir" = core ]; then pattern="$OUT/core_ward_*.o"; else pattern="$OUT/${mod}_*.o"; fi
  # shellcheck disable=SC2086
  set -- $pattern
  [ -e "$1" ] || continue
  "$SIZE" -A "$@" | awk -v m="$dir" '
    $1 ~ /^\.(text|rodata|data)/ { f += $2 } END { printf "  %-14s flash %6d\n", m, f }'
done

cat "$OUT"/*.su | sort -t'	' -k2 -n -r | head -n 1 | awk -F'\t' '
  { printf "largest stack frame: %s bytes in %s (%s)\n", $2, $1, $3 }'

# Flow C's gateway role (issue 17): the core objects a gateway links (the
# LAN hand-over's gateway half, the cloud stage's messages, the session;
# sub-devices once they exist), then the app's half of the LAN hand-over,
# which a gateway does not link. Sums of whole objects: an upper bound,
# since --gc-sections drops what a firmware never calls (gw_cloud.c also
# holds wardd's checks).
flowc() {
  label=$1; shift
  objs=""; sus=""
  for pat in "$@"; do
    for o in "$OUT"/core_proto_$pat.o; do
      [ -e "$o" ] && objs="$objs $o" && sus="$sus ${o%.o}.su"
    done
  done
  [ -n "$objs" ] || return 0
  # shellcheck disable=SC2086
  "$SIZE" -A $objs | awk -v l="$label" '
    $1 ~ /^\.text/ || $1 ~ /^\.rodata/ { f += $2 }
    $1 ~ /^\.data/                     { f += $2; r += $2 }
    $1 ~ /^\.bss/ || $1 ~ /^COMMON/    { r += $2 }
    END { printf "  %-40s flash %6d, static RAM %d\n", l, f, r }'
  for o in $objs; do
    "$SIZE" -A "$o" | awk -v m="$(basename "$o" .o | sed 's/^core_proto_//')" '
      $1 ~ /^\.(text|rodata|data)/ { f += $2 } END { printf "    %-38s flash %6d\n", m, f }'
  done
  # shellcheck disable=SC2086
  sort -t'	' -k2 -n -r $sus | head -n 1 | awk -F'\t' '
    { printf "    largest stack frame %s bytes in %s\n", $2, $1 }'
}
echo "flow C on Cortex-M4 (-Os, thumb; the contexts are the caller's, sizes in ward_gw_*.h):"
flowc "the gateway's core objects" gw_prov gw_prov_msg gw_prov_qr gw_msg \
  'gw_cloud*' 'gw_session*' 'gw_sub*'
flowc "the app's half of the LAN hand-over" 'gw_prov_app*'
# The contexts a gateway's firmware holds (caller-owned, opaque) at their
# Cortex-M4 size: one of each, as .bss symbols whose sizes nm reports.
printf '#include "ward/ward_gw_prov.h"\n#include "ward/ward_gw_cloud.h"\nward_gw_prov flowc_prov;\nward_gw_session flowc_session;\n' \
  >"$OUT/flowc_ctx.c"
# shellcheck disable=SC2086
if "$CC" $CFLAGS -c "$OUT/flowc_ctx.c" -o "$OUT/flowc_ctx.o" 2>/dev/null; then
  "${ARM_NM:-arm-none-eabi-nm}" -S -t d "$OUT/flowc_ctx.o" | awk '
    $4 == "flowc_prov"    { p = $2 + 0 }
    $4 == "flowc_session" { s = $2 + 0 }
    END { printf "  RAM the gateway holds for them: ward_gw_prov %d B, ward_gw_session %d B\n", p, s }'
fi

# Issue 18's device certificates: what a verifier (any role) links to check
# a chain and the revocation list, and what the factory tooling adds to
# issue them (cert.c: both). Stack: the chain check's two parsed certificates.
echo "device certificates on Cortex-M4 (-Os, thumb; buffers are the caller's):"
flowc "certificates (encode, chain check, list)" 'cert*'
flowc "identity (any role: a chain, or an activation)" identity
# Secure time (issue 18, item 2): what a device links to sync its clock
# with k of n time servers, its context, and the bytes of one exchange.
echo "secure time on Cortex-M4 (-Os, thumb; ward_time.h):"
flowc "the device's secure time (sync, floor, the flows' clock)" time time_msg time_clock
printf '#include "ward/ward_time.h"\nward_time sectime_ctx;\n' >"$OUT/time_ctx.c"
# shellcheck disable=SC2086
if "$CC" $CFLAGS -c "$OUT/time_ctx.c" -o "$OUT/time_ctx.o" 2>/dev/null; then
  "${ARM_NM:-arm-none-eabi-nm}" -S -t d "$OUT/time_ctx.o" | awk '
    $4 == "sectime_ctx" { t = $2 + 0 }
    END { printf "  RAM the device holds for it: ward_time %d B (8 keys)\n", t }'
fi
echo "  one sync per server: a 32-byte nonce out (64 hex digits in the query), a 117-byte answer back"
# Offline peer authentication (issue 18, item 4): what a device links to
# authenticate a peer (the handshake and the channel; the chain check is the
# certificates' line above), and the context it holds per peer.
echo "offline peer authentication on Cortex-M4 (-Os, thumb; ward_peer.h):"
flowc "peer handshake and channel" peer peer_chan
printf '#include "ward/ward_peer.h"\nward_peer peer_ctx;\n' >"$OUT/peer_ctx.c"
# shellcheck disable=SC2086
if "$CC" $CFLAGS -c "$OUT/peer_ctx.c" -o "$OUT/peer_ctx.o" 2>/dev/null; then
  "${ARM_NM:-arm-none-eabi-nm}" -S -t d "$OUT/peer_ctx.o" | awk '
    $4 == "peer_ctx" { t = $2 + 0 }
    END { printf "  RAM per peer: ward_peer %d B\n", t }'
fi
# Signed firmware update (issue 18, item 3): the manifest's parser and
# verifier, and the A/B engine (download, boot, confirm), and its context.
echo "firmware update on Cortex-M4 (-Os, thumb; ward_fw.h, ward_fw_update.h):"
flowc "manifest parse and verify" fw_manifest
flowc "A/B update engine (download, boot, confirm)" fw_update fw_boot
printf '#include "ward/ward_fw_update.h"\nward_fw_update fwu_ctx;\n' >"$OUT/fwu_ctx.c"
# shellcheck disable=SC2086
if "$CC" $CFLAGS -c "$OUT/fwu_ctx.c" -o "$OUT/fwu_ctx.o" 2>/dev/null; then
  "${ARM_NM:-arm-none-eabi-nm}" -S -t d "$OUT/fwu_ctx.o" | awk '
    $4 == "fwu_ctx" { t = $2 + 0 }
    END { printf "  RAM the device holds for it: ward_fw_update %d B\n", t }'
fi

# The agent (agent/: a device's link to wardd and its state directory) on
# the host it is for, x86-64 Linux (-Os, the host's cc): what a Linux-class
# lock or gateway adds beyond the core, libcurl and cJSON not counted.
HOST_CC="${HOST_CC:-cc}"
if command -v "$HOST_CC" >/dev/null && command -v size >/dev/null; then
  mkdir -p "$OUT/agent"
  aobjs=""
  for src in $(find agent -name '*.c' | sort); do
    obj="$OUT/agent/$(basename "$src" .c).o"
    # shellcheck disable=SC2086
    "$HOST_CC" -std=c99 -Os -D_GNU_SOURCE -ffunction-sections -fdata-sections -Iinclude \
      $(pkg-config --cflags libcjson libcurl 2>/dev/null) -c "$src" -o "$obj"
    aobjs="$aobjs $obj"
  done
  # shellcheck disable=SC2086
  size -A $aobjs | awk '
    $1 ~ /^\.text/ || $1 ~ /^\.rodata/ { flash += $2 }
    $1 ~ /^\.data/                     { flash += $2; ram += $2 }
    $1 ~ /^\.bss/ || $1 ~ /^COMMON/    { ram += $2 }
    END {
      printf "ward_agent on x86-64 (-Os): code %d bytes (.text+.rodata+.data init), RAM %d bytes (.data+.bss)\n", flash, ram
    }'
  # Its gateway part (flow C: login, session, and what else agent/gw_*.c holds).
  set -- "$OUT"/agent/gw_*.o
  if [ -e "$1" ]; then
    size -A "$@" | awk -v files="$(cd "$OUT/agent" && echo gw_*.o)" '
      $1 ~ /^\.text/ || $1 ~ /^\.rodata/ || $1 ~ /^\.data/ { flash += $2 }
      END { printf "  its gateway part (%s): code %d bytes\n", files, flash }'
  fi
else
  echo "size: no host cc or size: the agent's x86-64 size is not reported" >&2
fi
