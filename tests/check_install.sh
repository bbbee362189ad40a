#!/bin/sh
# Installs the build into a temporary prefix and builds a program against
# it with nothing but pkg-config: the headers, libraries and ward.pc that
# `cmake --install` lays down must be enough. The operator's kit must be
# there too: the programs, ward(1) and wardd(8), and bash completion.
set -eu
build="$1"
src="$2"
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
pc=$(find "$prefix" -name ward.pc)
[ -n "$pc" ] || { echo "ward.pc not installed" >&2; exit 1; }
for f in bin/ward bin/wardd share/man/man1/ward.1 share/man/man8/wardd.8 \
         share/bash-completion/completions/ward share/bash-completion/completions/wardd; do
  [ -s "$prefix/$f" ] || { echo "$f not installed" >&2; exit 1; }
done
grep -q '^\.TH WARD 1' "$prefix/share/man/man1/ward.1" || { echo "ward.1 is no man page" >&2; exit 1; }
grep -q '^\.TH WARDD 8' "$prefix/share/man/man8/wardd.8" || { echo "wardd.8 is no man page" >&2; exit 1; }
export PKG_CONFIG_PATH="$(dirname "$pc")"
cc -std=c99 "$src" $(pkg-config --cflags ward) $(pkg-config --libs ward) -o "$prefix/smoke"
"$prefix/smoke"
