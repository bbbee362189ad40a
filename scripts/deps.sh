#!/bin/sh
# Installs the Debian packages ward needs that are missing, and nothing
# else. Run as root (or with sudo available). Used by `make deps`, which
# `make check` and `make demo` run first.
set -eu

PACKAGES="
build-essential cmake pkg-config python3
libmbedtls-dev libssl-dev
libcmocka-dev
libcjson-dev libcurl4-openssl-dev
libmicrohttpd-dev libsqlite3-dev sqlite3 openssl util-linux
libqrencode-dev libzbar-dev libpng-dev
libcoap3-dev libcoap3-bin
mosquitto
libp11-kit-dev softhsm2
groff-base
clang libclang-rt-14-dev llvm
gcc-arm-none-eabi libnewlib-arm-none-eabi binutils-arm-none-eabi
systemd util-linux
"

missing=""
for pkg in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $pkg"
  fi
done

if [ -z "$missing" ]; then
  echo "deps: all Debian packages present"
  exit 0
fi

echo "deps: installing:$missing"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "deps: not root and no sudo; install these packages:$missing" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
