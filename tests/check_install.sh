#!/bin/sh
# Installs the build into a temporary prefix and builds a program against
# it with nothing but pkg-config: the headers, libraries and ward.pc that
# `cmake --install` lays down must be enough.
set -eu
build="$1"
src="$2"
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
pc=$(find "$prefix" -name ward.pc)
[ -n "$pc" ] || { echo "ward.pc not installed" >&2; exit 1; }
export PKG_CONFIG_PATH="$(dirname "$pc")"
cc -std=c99 "$src" $(pkg-config --cflags ward) $(pkg-config --libs --static ward) -o "$prefix/smoke"
"$prefix/smoke"
