#!/bin/sh
# Issue 15, item 13: `cmake --install` lays down contrib/wardd.service with
# the installation's paths, sandboxed, and systemd accepts it:
# `systemd-analyze verify` (the binaries it names exist, every directive is
# known and well formed) and `systemd-analyze security` (an exposure of at
# most 2.0 of 10). Exits 77 (ctest: skipped) without systemd-analyze.
set -eu
build="$1"
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "SKIP: systemd-analyze is not installed (Debian package systemd, see scripts/deps.sh)"
  exit 77
fi
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
unit="$prefix/lib/systemd/system/wardd.service"
[ -f "$unit" ] || { echo "FAIL: $unit not installed" >&2; exit 1; }
grep -qx "ExecStart=$prefix/bin/wardd --config $prefix/etc/wardd/wardd.conf .*" "$unit" || {
  echo "FAIL: ExecStart does not name the installed wardd and config:" >&2
  grep '^ExecStart=' "$unit" >&2
  exit 1
}
[ -f "$prefix/etc/wardd/wardd.conf" ] || { echo "FAIL: example config not installed" >&2; exit 1; }
for want in 'DynamicUser=yes' 'StateDirectory=wardd' 'ProtectSystem=strict' 'ProtectHome=yes' \
            'PrivateTmp=yes' 'NoNewPrivileges=yes' 'CapabilityBoundingSet=' \
            'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' \
            'SystemCallFilter=@system-service' 'ExecReload=/bin/kill -HUP $MAINPID'; do
  grep -qxF "$want" "$unit" || { echo "FAIL: no '$want' in the unit" >&2; exit 1; }
done
# The manual page is not in the man path of a temporary prefix.
systemd-analyze verify --man=no "$unit"
out=$(systemd-analyze security --offline=yes --threshold=20 "$unit" 2>&1) || {
  echo "$out" | grep -v '✓' >&2
  echo "FAIL: exposure above 2.0" >&2
  exit 1
}
echo "$out" | tail -1
echo "wardd.service: installed, verified, $(echo "$out" | grep -o 'exposure level.*')"
