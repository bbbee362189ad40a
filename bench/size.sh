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
else
  echo "size: no host cc or size: the agent's x86-64 size is not reported" >&2
fi
