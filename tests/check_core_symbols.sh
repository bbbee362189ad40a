#!/bin/sh
# Fails if the device library references any symbol it does not define
# beyond the mem*/str* basics (and compiler support routines): no heap,
# no stdio, no sockets, no clock, no OS.
set -eu
lib="$1"
nm_tool="${NM:-nm}"
undefined=$("$nm_tool" -u "$lib" | awk 'NF && $NF !~ /:$/ { print $NF }' | sort -u)
defined=$("$nm_tool" --defined-only "$lib" | awk 'NF == 3 { print $3 }' | sort -u)
bad=""
for sym in $undefined; do
  if printf '%s\n' "$defined" | grep -qx "$sym"; then continue; fi
  case "$sym" in
    memcpy|memmove|memset|memcmp|memchr|strlen|strnlen|strcmp|strncmp) ;;
    __aeabi_*|__gnu_*|__stack_chk_*) ;;
    *) bad="$bad $sym" ;;
  esac
done
if [ -n "$bad" ]; then
  echo "ward_core references forbidden symbols:$bad" >&2
  exit 1
fi
echo "ward_core: only allowed external symbols ($(printf '%s\n' "$undefined" | grep -c . || true) undefined, all mem*/str* or defined inside)"
